#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install jurisgate editable with its test and dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "jurisgate needs Python >= 3.11 (found $("$PY" --version))" >&2; exit 2; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
log=.venv/setup.log
# strict editable mode: mypy and the tests see exactly the installed jurisgate.* names
# (a module added later needs this script run again).
if ! { .venv/bin/python -m pip install --upgrade pip \
       && .venv/bin/python -m pip install -e ".[dev]" --config-settings editable_mode=strict; } \
     >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup failed (log above, also in $log)" >&2
  exit 1
fi
.venv/bin/python -c 'import jurisgate.middleware' # fail here, not in the first test
echo "setup: .venv ready ($(.venv/bin/python --version))"
