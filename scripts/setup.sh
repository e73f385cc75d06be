#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install jurisgate editable with its test and dev tools, at the
# exact versions of scripts/constraints.txt (the lock; refresh it with scripts/lock.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "jurisgate needs Python >= 3.11 (found $("$PY" --version))" >&2; exit 2; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
lock=scripts/constraints.txt
log=.venv/setup.log
# pip and setuptools come from the lock too, and the editable build uses that setuptools
# (--no-build-isolation), so no step resolves a version the lock does not name.
# Strict editable mode: mypy and the tests see exactly the installed jurisgate.* names
# (a module added later needs this script run again).
if ! { .venv/bin/python -m pip install -c "$lock" pip setuptools \
       && .venv/bin/python -m pip install -c "$lock" --no-build-isolation -e ".[dev]" \
            --config-settings editable_mode=strict; } \
     >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup failed (log above, also in $log)" >&2
  exit 1
fi
.venv/bin/python -c 'import jurisgate.middleware' # fail here, not in the first test
echo "setup: .venv ready ($(.venv/bin/python --version), versions from $lock)"
