"""Which ``[[results]]`` table, if any, covers a request path: one answer for the result filter
and for the gate's check that the filter ran (``filter_required.py``).

Built once from the tables: exact paths in a dict, subtrees (``/x/*``) as prefixes. A path is
looked up as routed and, when it differs, in its canonical spelling (``/search/``,
``//search``: the spellings the policy treats as ``/search``), so no spelling a router may
serve as the route slips past it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..claims.paths import canonical_path
from .routes import ResultRoute

__all__ = ["ResultPaths"]


class ResultPaths:
    """The routes of ``[[results]]``, ready to be matched on every request."""

    __slots__ = ("_exact", "_subtrees")

    def __init__(self, routes: Iterable[ResultRoute]) -> None:
        self._exact: dict[str, ResultRoute] = {}
        subtrees: list[tuple[str, str, ResultRoute]] = []
        for route in routes:
            if route.path.endswith("/*"):
                base = route.path[:-2]
                self._exact.setdefault(base, route)
                subtrees.append((base + "/", base, route))
            else:
                self._exact[route.path] = route
        # The longest prefix first: a subtree inside another is the more specific table.
        subtrees.sort(key=lambda entry: len(entry[0]), reverse=True)
        self._subtrees = tuple((prefix, route) for prefix, _, route in subtrees)

    def __bool__(self) -> bool:
        return bool(self._exact)

    def find(self, path: str) -> ResultRoute | None:
        """The table covering ``path`` (as routed), or None."""
        route = self._match(path)
        if route is None:
            canonical = canonical_path(path)
            if canonical != path:
                route = self._match(canonical)
        return route

    def _match(self, path: str) -> ResultRoute | None:
        route = self._exact.get(path)
        if route is not None:
            return route
        for prefix, subtree in self._subtrees:
            if path.startswith(prefix):
                return subtree
        return None
