#!/usr/bin/env bash
# Early warning, not part of CI's pass/fail: run ruff, mypy and the whole suite against the
# newest releases that pyproject.toml's open ranges allow, ignoring scripts/constraints.txt.
#   bash scripts/test-latest.sh [pytest args]
# A failure here means a new release of a dependency breaks us (or our tools got stricter):
# fix the code or narrow the range, then refresh the lock with scripts/lock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m venv "$work/venv"
py="$work/venv/bin/python"
log="$work/install.log"
# A wheel, not an editable install: .venv's editable build tree stays untouched.
if ! { "$py" -m pip install --upgrade pip setuptools build \
       && "$py" -m build --wheel --outdir "$work/dist" . \
       && "$py" -m pip install --upgrade --upgrade-strategy eager \
            "$(ls "$work"/dist/jurisgate-*.whl)[dev]"; } >"$log" 2>&1; then
  cat "$log" >&2; echo "test-latest: install failed" >&2; exit 1
fi
echo "== newest releases installed:"
"$py" -m pip freeze --all --exclude jurisgate | LC_ALL=C sort -f \
  | diff <(grep -v '^#' scripts/constraints.txt) - | sed -n 's/^> /   newer or new: /p' || true
status=0
echo "== ruff";  "$work/venv/bin/ruff" check . && "$work/venv/bin/ruff" format --check . || status=1
echo "== mypy";  "$work/venv/bin/mypy" && "$work/venv/bin/mypy" tests examples || status=1
# Tests run from outside the checkout, so only the installed wheel provides jurisgate.*
echo "== tests"
(cd "$work" && "$py" -m pytest -q -p no:cacheprovider --rootdir "$root" \
   -c "$root/pyproject.toml" "$root/tests" "$@") || status=1
exit $status
