"""Which ``[[results]]`` table, if any, covers a request path: one answer for the result filter
and for the gate's check that the filter ran (``filter_required.py``).

Built once from the tables: exact paths in a dict, subtrees (``/x/*``) as prefixes. A path is
looked up as routed and, when it differs, in its canonical spelling (``/search/``,
``//search``: the spellings the policy treats as ``/search``), so no spelling a router may
serve as the route slips past it.

Most requests are on routes no table covers, and they are answered by one substring test
(``may_cover``): every segment of a table's path is a segment of any path it covers, in
every spelling (resolving ``.``, ``..`` and empty segments only drops segments), so a path
that does not hold the most telling segment of any table cannot be covered.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..claims.paths import canonical_path, single_spelling
from .routes import ResultRoute

__all__ = ["ResultPaths"]


class ResultPaths:
    """The routes of ``[[results]]``, ready to be matched on every request."""

    __slots__ = ("_exact", "_prefixes", "_subtrees", "needles")

    def __init__(self, routes: Iterable[ResultRoute]) -> None:
        self._exact: dict[str, ResultRoute] = {}
        subtrees: list[tuple[str, str, ResultRoute]] = []
        needles: dict[str, None] = {}
        for route in routes:
            if route.path.endswith("/*"):
                base = route.path[:-2]
                self._exact.setdefault(base, route)
                subtrees.append((base + "/", base, route))
            else:
                base = route.path
                self._exact[route.path] = route
            # The longest segment: the rarest in paths, a guess that costs nothing per request.
            needles[max(base.split("/"), key=len)] = None
        # The longest prefix first: a subtree inside another is the more specific table.
        subtrees.sort(key=lambda entry: len(entry[0]), reverse=True)
        self._subtrees = tuple((prefix, route) for prefix, _, route in subtrees)
        # Every prefix at once, for one str.startswith call on a path under none of them.
        self._prefixes = tuple(prefix for prefix, _ in self._subtrees)
        # None: a table on "/" or "/*", which has no segment and may cover any path.
        self.needles = None if "" in needles else tuple(needles)

    def __bool__(self) -> bool:
        return bool(self._exact)

    def may_cover(self, path: str) -> bool:
        """False when no table covers ``path`` or any tail of it (``routed_path`` strips a
        root path from its front), in any spelling; True says only that one may."""
        needles = self.needles
        if needles is None:
            return True
        for needle in needles:  # noqa: SIM110 (any() would make a generator per request)
            if needle in path:
                return True
        return False

    def find(self, path: str) -> ResultRoute | None:
        """The table covering ``path`` (as routed), or None."""
        # As routed first, spelled out: a route's own spelling is found without another call.
        route = self._exact.get(path)
        if route is not None:
            return route
        if path.startswith(self._prefixes):
            return self._subtree(path)
        # A path with a single spelling is its own canonical path: nothing more to look up.
        if single_spelling(path):
            return None
        canonical = canonical_path(path)
        return None if canonical == path else self._match(canonical)

    def _match(self, path: str) -> ResultRoute | None:
        route = self._exact.get(path)
        if route is not None or not path.startswith(self._prefixes):
            return route
        return self._subtree(path)

    def _subtree(self, path: str) -> ResultRoute:
        """The longest subtree holding ``path``, which starts with one of ``_prefixes``."""
        for prefix, subtree in self._subtrees:
            if path.startswith(prefix):
                return subtree
        raise AssertionError(f"no prefix of {path!r}")  # pragma: no cover (startswith said one)
