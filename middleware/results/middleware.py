"""The result filter: pure ASGI middleware that removes suppressed entries from the JSON answers
of the routes ``[[results]]`` names, for every client (or, in verify mode, checks that the app
removed them itself).

Mount it inside the gate and inside any compression middleware (it must see the body as the
app wrote it). Per request it buffers the answer of a configured route, filters the entry
lists through the item rules in force at the request's instant (``ItemPolicy``, the engine
``filter_items`` uses too), lowers the count fields, fixes ``Content-Length`` and sends
``Cache-Control: private``. What it cannot read with certainty (an encoded body, a type other
than JSON, a body over ``max_body_bytes``, a shape other than configured, a partial answer, a
file sent by path, a stale suppression list) becomes a problem+json 503, never an unfiltered
answer. HEAD requests, 204, 304, error answers and redirects without a body pass as they are;
a redirect with a body is filtered like a 2xx.

A route in ``mode = "verify"`` is one whose app filters its own entries (``filter_items``):
its answer is buffered, parsed and walked the same way, but never rewritten. A clean answer goes
out as it was read (``Cache-Control: private``); one that still holds an entry a rule
suppresses is an alarm (CRITICAL on ``jurisgate.results``, counts per rule, never which
entries) and a 503 ``urn:jurisgate:problem:results_leak``.

The item rules are ``policy`` when given; else those the gate in front put in force for this
request (``scope["state"]``, reloaded with the client rules; ``items_in_force``), and without a
gate the bundled packs of the default configuration.

Per-rule removal counts (never which entries) are left in ``scope["state"]["jurisgate.removed"]``
before the status line is sent (``{}`` in verify mode, and the leak's counts in
``scope["state"]["jurisgate.leaked"]``), with the version of the item rules applied in
``scope["state"]["jurisgate.item_policy_version"]``: the gate, outside, writes them into the
request's audit record (``removed``, ``leaked``, ``item_policy_version``) and refuses a 2xx
answer on a ``[[results]]`` route that arrives without them (``filter_required.py``). The
per-request work is in ``buffered_answer.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from ..audit.answer import LEAKED_STATE_KEY, REMOVED_STATE_KEY
from ..claims.routed_path import routed_path
from ..clock import Clock, SystemClock
from ..subjects.suppressions import Suppressions
from .buffered_answer import BufferedAnswer
from .item_policy import ItemPolicy
from .route_paths import ResultPaths
from .routes import ResultRoute

__all__ = ["LEAKED_STATE_KEY", "REMOVED_STATE_KEY", "ResultFilterMiddleware"]


class ResultFilterMiddleware:
    """Mount inside the gate: ``Middleware(ResultFilterMiddleware, routes=config.results,
    suppressions=subjects.suppressions)``. ``policy`` defaults to the item rules the gate has
    in force for the request (the bundled packs without a gate), ``clock`` to the system
    clock; each route's ``mode`` (``filter``, the default, or ``verify``) says what it does
    with that route's answers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[ResultRoute],
        suppressions: Suppressions,
        policy: ItemPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        self._paths = ResultPaths(self.routes)
        self.suppressions = suppressions
        self.policy = policy  # None: the gate's item rules in force (in_force.py)
        self.clock = clock or SystemClock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        # Most requests are on no table's route: a substring test tells, with no routing.
        if not self._paths.may_cover(scope["path"]):
            await self.app(scope, receive, send)
            return
        path = routed_path(scope)
        # A path the gate would refuse as rewritten is matched as the scope has it: filtered
        # rather than passed by a filter mounted without the gate.
        route = self._paths.find(scope["path"] if path is None else path)
        if route is None:
            await self.app(scope, receive, send)
            return
        answer = BufferedAnswer(self, route, scope, send)
        await self.app(scope, receive, answer.send)
        await answer.finish()
