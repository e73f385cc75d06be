#!/usr/bin/env bash
# Mutation testing of the security-critical modules, each against its own tests (issue 12 #10).
#
# Not part of CI's pass/fail: it reports how many mutants of each module the tests kill and
# lists the survivors, which a person then judges (equivalent, or a gap that needs a test).
#
#   bash scripts/mutation.sh                  # all modules below
#   bash scripts/mutation.sh authority paths  # some of them
#
# Tool: cosmic-ray, pinned below, in a throw-away venv (.mutation/venv) that never touches .venv
# or pyproject's dependencies. mutmut 3 does not fit this layout: it names a mutant's module
# after its file path (middleware.decision.matchers, never the jurisgate.middleware.decision.
# matchers the tests import), and it mutates only the bodies of undecorated functions, so @dataclass(frozen=True),
# @lru_cache'd functions and class-level code would never be mutated.
#
# cosmic-ray edits a module in place for each mutant, so it runs on a copy of the working tree
# (.mutation/tree, tracked and untracked files), never on the tree you edit; the venv holds
# that copy as an editable install. Mutants that change only annotations (never evaluated
# here) or are not Python are skipped (scripts/mutation_session.py). Results:
# .mutation/<module>.txt (kill rate, then each survivor's diff). Runs under `nice -n 19`, one
# mutant at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COSMIC_RAY="cosmic-ray==8.7.0"
WORK=${JURISGATE_MUTATION_DIR:-$ROOT/.mutation}
TREE=$WORK/tree
VENV=$WORK/venv

# module -> its own tests (file names; found wherever they live under tests/).
declare -A TESTS=(
  [principal]="test_principal.py test_claims.py test_agency_claims.py test_offline.py test_properties.py"
  [regions]="test_regions.py test_claims.py test_agency_claims.py test_properties.py"
  [authority]="test_authority.py test_agency_claims.py"
  [paths]="test_profile.py test_path_properties.py test_surface.py"
  [matchers]="test_matchers.py"
  [compiled]="test_compiled.py test_engine_properties.py"
)
ORDER=(principal regions authority paths matchers compiled)
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=("${ORDER[@]}")
for m in "${modules[@]}"; do
  [ -n "${TESTS[$m]:-}" ] || { echo "unknown module '$m' (one of: ${ORDER[*]})" >&2; exit 2; }
done

mkdir -p "$WORK"
# A fresh copy of the working tree: what you have now, committed or not.
rm -rf "$TREE" && mkdir -p "$TREE"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$TREE"

export PIP_DISABLE_PIP_VERSION_CHECK=1
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "$COSMIC_RAY" -e "$TREE[test]" >"$WORK/pip.log" 2>&1 \
  || { cat "$WORK/pip.log" >&2; exit 1; }

# No bytecode: a mutant of the same size written within the same second as the original
# could otherwise be served from a stale .pyc.
export PYTHONDONTWRITEBYTECODE=1
find "$TREE" -name __pycache__ -prune -exec rm -rf {} +

for m in "${modules[@]}"; do
  module=$(cd "$TREE" && find middleware -name "$m.py" | head -n 1)
  tests=()
  for name in ${TESTS[$m]}; do
    found=$(cd "$TREE" && find tests -name "$name" | head -n 1)
    [ -n "$found" ] || { echo "$m: no test file $name under tests/" >&2; exit 1; }
    tests+=("$found")
  done
  config=$WORK/$m.toml
  session=$WORK/$m.sqlite
  # -x: the first failing test kills the mutant; a fixed seed makes Hypothesis's verdict
  # repeatable.
  cat >"$config" <<EOF
[cosmic-ray]
module-path = "$module"
timeout = 120.0
excluded-modules = []
test-command = "$VENV/bin/python -m pytest -x -q -p no:cacheprovider --hypothesis-seed=0 ${tests[*]}"

[cosmic-ray.distributor]
name = "local"
EOF
  rm -f "$session"
  echo "== $m: $module against ${tests[*]}"
  (
    cd "$TREE"
    "$VENV/bin/cosmic-ray" init "$config" "$session"
    "$VENV/bin/python" "$ROOT/scripts/mutation_session.py" skip-annotations "$session" "$module"
    "$VENV/bin/cosmic-ray" baseline "$config" \
      || { echo "$m: the tests fail on unmutated code; fix that first" >&2; exit 1; }
    nice -n 19 "$VENV/bin/cosmic-ray" exec "$config" "$session"
  )
  "$VENV/bin/python" "$ROOT/scripts/mutation_session.py" summary "$session" "$m ($module)" \
    >"$WORK/$m.txt"
  head -n 1 "$WORK/$m.txt"
done
