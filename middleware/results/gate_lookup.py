"""The gate's ``[[results]]`` lookup, handed to the result filter inside it: a request is
routed to its table once, not once by each.

For a request on a route a table covers, the gate leaves what it found in ``scope["state"]``
under ``ROUTE_STATE_KEY`` (``found``, with the check that the filter ran,
``filter_required.py``). The filter takes it (``GateLookups.route``) only when it is provably
the answer its own lookup would give: found in the same tables (the filter's ``routes``, or
an equal tuple), naming one of them, from the very routing inputs the scope holds now
(``path``, ``raw_path``, ``root_path`` and ``app_root_path``, the same objects: nothing
rewrote them on the way in). Anything else under the key (another gate's tables, an earlier
request's finding in a state dict a server shares, a path rewritten between the gate and the
filter, a value of another shape) is ignored, and the filter looks the route up itself. A
finding only ever names the table that covers a request: no value, forged or stale, can make
the filter pass a request it would have filtered.

A finding is a plain tuple, built and read without a Python-level call: on a covered route the
hand-over must cost less than the lookup it saves.
"""

from __future__ import annotations

from typing import Final

from starlette.types import Scope

from .routes import ResultRoute

__all__ = ["ROUTE_STATE_KEY", "GateLookups", "RouteFound", "found"]

ROUTE_STATE_KEY: Final = "jurisgate.results_route"

# (the tables, the one covering the request, and the request's path, raw_path, root_path and
# app_root_path as the scope held them when the gate looked the route up)
RouteFound = tuple[tuple[ResultRoute, ...], ResultRoute, str, object, object, object]


def found(routes: tuple[ResultRoute, ...], route: ResultRoute, scope: Scope) -> RouteFound:
    """The finding for ``scope``: ``route`` of ``routes`` covers it. (``filter_required``
    builds the same tuple inline, on the request path.)"""
    return (
        routes, route, scope["path"], scope.get("raw_path"), scope.get("root_path"),
        scope.get("app_root_path"),
    )  # fmt: skip


class GateLookups:
    """The result filter's side: the table the gate found for this request, or None when
    there is no finding the filter can prove to be its own answer. One per filter."""

    __slots__ = ("_peer", "_routes")

    def __init__(self, routes: tuple[ResultRoute, ...]) -> None:
        self._routes = routes
        # A tuple of tables known to equal ours (the gate's, once seen): later findings from
        # the same gate are accepted on identity, not compared table by table.
        self._peer = routes

    def route(self, scope: Scope) -> ResultRoute | None:
        state = scope.get("state")
        if type(state) is not dict:
            return None
        finding = state.get(ROUTE_STATE_KEY)
        if type(finding) is not tuple or len(finding) != 6:
            return None
        tables, route, path, raw_path, root_path, app_root_path = finding
        if (
            path is not scope["path"]
            or raw_path is not scope.get("raw_path")
            or root_path is not scope.get("root_path")
            or app_root_path is not scope.get("app_root_path")
        ):
            return None  # found for another request, or the path was rewritten on the way in
        if tables is not self._peer:
            if tables != self._routes:
                return None  # another gate's tables: its finding need not be ours
            self._peer = tables
        # Every table is a ResultRoute: ``in`` finds ``route`` by identity, or not at all.
        return route if route in tables else None
