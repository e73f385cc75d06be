#!/usr/bin/env bash
# Set up, print development tokens with curl commands, and serve the example search API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m examples.demo "$@"
