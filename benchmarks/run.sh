#!/usr/bin/env bash
# Run the benchmark suite: bash benchmarks/run.sh [--quick] [--no-server] [--out DIR]
# Sets up .venv with the `bench` extra, then writes benchmarks/results/latest.{json,md,png}.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
bash scripts/setup.sh
.venv/bin/python -m pip install -q -c scripts/constraints.txt --no-build-isolation -e ".[bench]" \
  --config-settings editable_mode=strict 2>&1 \
  | grep -v '^WARNING: Location' || true
# fastapi-authz declares a dependency on the old `casbin` distribution, which installs into the
# same `casbin` import name as pycasbin and overwrites it; its own imports are all in pycasbin.
.venv/bin/python -m pip install -q --no-deps "fastapi-authz==1.0.0" 2>&1 \
  | grep -v '^WARNING: Location' || true
.venv/bin/python - <<'PY'
import importlib.metadata as md
import sys
if any((d.metadata["Name"] or "").lower() == "casbin" for d in md.distributions()):
    sys.exit("the old `casbin` distribution is installed over pycasbin: recreate .venv")
PY
# wrk is the load generator and valgrind counts instructions when the machine has them; as root
# we may install them from Debian.
for tool in wrk valgrind; do
  if ! command -v "$tool" >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q "$tool" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$tool" >/dev/null 2>&1; } \
      || echo "$tool could not be installed: see benchmarks/README.md for what is left out" >&2
  fi
done
exec .venv/bin/python benchmarks/bench.py "$@"
