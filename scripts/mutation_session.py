"""Helpers for scripts/mutation.sh, run with its throw-away venv's Python (they use cosmic-ray).

python mutation_session.py skip-annotations SESSION MODULE.py
    Mark as skipped every mutant that changes only type annotations (with
    ``from __future__ import annotations`` they are never evaluated, so such a mutant is
    equivalent by construction: ``Iterable[str] | None`` -> ``Iterable[str] - None``) and
    every one that is not Python at all (``def f(a, *, b)`` -> ``def f(a, %, b)``).
python mutation_session.py summary SESSION NAME
    Print the kill rate (killed / mutants run; skipped ones left out) and every
    surviving mutant's diff.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult


def _without_annotations(code: str) -> str:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
    return ast.dump(tree)


def skip_annotations(session: str, module: str) -> None:
    code = Path(module).read_text(encoding="utf-8")
    plain = _without_annotations(code)
    skipped = 0
    with use_db(session, WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            (mutation,) = item.mutations
            operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
            mutated = mutate_code(code, operator, mutation.occurrence)
            if mutated is None:
                continue
            try:
                equivalent = _without_annotations(mutated) == plain
            except SyntaxError:
                equivalent = True  # nothing a test could catch: the module does not compile
            if equivalent:
                result = WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="skipped")
                db.set_result(item.job_id, result)
                skipped += 1
    print(f"skipped {skipped} mutants: annotations only, or not valid Python")


def summary(session: str, name: str) -> None:
    with use_db(session, WorkDB.Mode.open) as db:
        results = dict(db.results)
        items = {item.job_id: item for item in db.work_items}
    ran = {job: r for job, r in results.items() if r.worker_outcome != WorkerOutcome.SKIPPED}
    killed = sum(r.is_killed for r in ran.values())
    survivors = [job for job, r in ran.items() if r.test_outcome == TestOutcome.SURVIVED]
    rate = 100 * killed / len(ran) if ran else 0.0
    print(
        f"{name}: {killed} of {len(ran)} mutants killed ({rate:.1f}%), "
        f"{len(survivors)} survived, {len(results) - len(ran)} skipped (annotations only or "
        "not Python), "
        f"{len(items) - len(results)} not run"
    )
    for job in survivors:
        (mutation,) = items[job].mutations
        print(f"\n--- {mutation.operator_name} #{mutation.occurrence}")
        print(ran[job].diff)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "skip-annotations":
        skip_annotations(*args)
    elif command == "summary":
        summary(*args)
    else:
        sys.exit(f"unknown command {command!r}")
