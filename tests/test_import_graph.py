"""The rooms' import graph: no circle (type-only and function-level imports count too), and
dependencies that point one way: the core never imports an adapter except through the gate,
the composition root, and nothing in the runtime imports the admin commands."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import jurisgate.adapters
import jurisgate.admin
import jurisgate.middleware

ROOTS = {
    "jurisgate.middleware": Path(jurisgate.middleware.__file__ or "").parent,
    "jurisgate.adapters": Path(jurisgate.adapters.__file__ or "").parent,
    "jurisgate.admin": Path(jurisgate.admin.__file__ or "").parent,
}
COMPOSITION_ROOT = "jurisgate.middleware.gate"


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in ROOTS.items():
        for file in folder.rglob("*.py"):
            parts = [p for p in file.relative_to(folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = file
    return found


def imported(name: str, file: Path) -> Iterator[str]:
    """Every module name an import statement anywhere in ``file`` may load."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level > 1:
                base = base[: len(base) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            if not node.level:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    found = modules()
    edges: dict[str, set[str]] = {name: set() for name in found}
    for name, file in found.items():
        for target in imported(name, file):
            # A package re-exporting its members, or a member importing its own package's
            # parent, is how Python packages work, not a circle between jobs.
            reexport = file.name == "__init__.py" and target.startswith(name + ".")
            inside = target == name or name.startswith(target + ".") or reexport
            if target in found and not inside:
                edges[name].add(target)
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    assert circles(graph()) == []


def test_only_the_composition_root_imports_adapters() -> None:
    core_to_adapter = {
        (a, b)
        for a, targets in graph().items()
        for b in targets
        if a.startswith("jurisgate.middleware") and b.startswith("jurisgate.adapters")
    }
    assert core_to_adapter == {(COMPOSITION_ROOT, "jurisgate.adapters.factory")}


def test_the_runtime_never_imports_the_admin_commands() -> None:
    reaching_admin = {
        a
        for a, targets in graph().items()
        if not a.startswith("jurisgate.admin")
        and any(b.startswith("jurisgate.admin") for b in targets)
    }
    assert reaching_admin == set()


def test_the_graph_sees_function_level_and_type_only_imports() -> None:
    # The guard itself must be able to fail: health.py's Checker import is at module top,
    # gate.py's factory import too; a function-level one is found in the admin commands.
    edges = graph()
    assert "jurisgate.middleware.checker" in edges["jurisgate.middleware.health"]
    assert "jurisgate.admin.push" in edges["jurisgate.admin.cli"]  # imported inside _push
