#!/usr/bin/env bash
# Set up and run the whole test suite (Redis tests start their own redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# .venv/bin/pytest, not "python -m pytest": -m would put the checkout on sys.path and make
# bare `middleware` importable, hiding packaging mistakes.
exec .venv/bin/pytest "$@"
