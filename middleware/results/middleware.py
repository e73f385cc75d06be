"""The result filter: pure ASGI middleware that removes suppressed entries from the JSON answers
of the routes ``[[results]]`` names, for every client.

Mount it inside the gate and inside any compression middleware (it must see the body as the
app wrote it). Per request it buffers the answer of a configured route, filters the entry
lists through the item rules in force at the request's instant (``ItemPolicy``, the engine
``filter_items`` uses too), lowers the count fields, fixes ``Content-Length`` and sends
``Cache-Control: private``. What it cannot read with certainty (an encoded body, a type other
than JSON, a body over ``max_body_bytes``, a shape other than configured, a partial answer, a
file sent by path, a stale suppression list) becomes a problem+json 503, never an unfiltered
answer. HEAD requests and 204, 304, redirect and error answers pass as they are.

The item rules are ``policy`` when given; else those the gate in front put in force for this
request (``scope["state"]``, reloaded with the client rules; ``items_in_force``), and without a
gate the bundled packs of the default configuration.

Per-rule removal counts (never which entries) are left in ``scope["state"]["jurisgate.removed"]``
before the status line is sent: the gate, outside, writes them into the request's audit record
(``removed``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..audit.answer import REMOVED_STATE_KEY
from ..claims.routed_path import routed_path
from ..clock import Clock, SystemClock
from ..subjects.errors import StaleSuppressions
from ..subjects.suppressions import Suppressions
from . import json_codec
from .in_force import items_in_force
from .item_policy import ItemPolicy
from .json_codec import UnreadableJson
from .routes import ResultRoute, ShapeError

__all__ = ["REMOVED_STATE_KEY", "ResultFilterMiddleware"]

logger = logging.getLogger("jurisgate.results")
_PASS_STATUSES: Final = frozenset({204, 304})
_DROPPED_HEADERS: Final = frozenset({b"content-length", b"cache-control", b"etag"})


class ResultFilterMiddleware:
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
        self.suppressions = suppressions
        self.policy = policy  # None: the gate's item rules in force (in_force.py)
        self.clock = clock or SystemClock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        path = routed_path(scope)
        route = next((r for r in self.routes if path is not None and r.matches(path)), None)
        if route is None:
            await self.app(scope, receive, send)
            return
        answer = _BufferedAnswer(self, route, scope, send)
        await self.app(scope, receive, answer.send)
        await answer.finish()


class _BufferedAnswer:
    """One request's answer: held until it is complete, then filtered and sent (or a 503)."""

    __slots__ = ("_chunks", "_filter", "_route", "_scope", "_send", "_size", "_start", "state")

    def __init__(self, owner: ResultFilterMiddleware, route: ResultRoute, scope: Scope, send: Send):
        self._filter = owner
        self._route = route
        self._scope = scope
        self._send = send
        self._start: Message | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self.state = "waiting"  # -> passing | buffering -> done | failed

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self.state == "passing":
            await self._send(message)
        elif self.state in ("done", "failed"):
            return  # the answer was sent (or refused); the app's late messages go nowhere
        elif kind == "http.response.start":
            await self._started(message)
        elif self.state == "buffering" and kind == "http.response.body":
            body = message.get("body", b"")
            self._size += len(body)
            if self._size > self._route.max_body_bytes:
                await self._fail("the answer is over max_body_bytes")
                return
            self._chunks.append(body)
            if not message.get("more_body", False):
                await self._complete()
        else:  # a file by path, trailers, or a body before the start: nothing we can read
            await self._fail(f"cannot filter an answer sent as {kind!r}")

    async def _started(self, message: Message) -> None:
        status = message["status"]
        if status in _PASS_STATUSES or status >= 300 or status < 200:
            self.state = "passing"
            await self._send(message)
            return
        headers = message.get("headers", ())
        problem = _unreadable(status, headers, self._route.max_body_bytes)
        if problem is not None:
            await self._fail(problem)
            return
        self._start = message
        self.state = "buffering"

    async def _complete(self) -> None:
        assert self._start is not None
        body = b"".join(self._chunks)
        self._chunks = []
        owner = self._filter
        try:
            suppressed = owner.suppressions.current()
        except StaleSuppressions:
            await self._fail("the suppression list is stale", retry=True)
            return
        try:
            document, exact = json_codec.loads(body)
        except UnreadableJson:
            await self._fail("the answer is not JSON we can read with certainty")
            return
        route, at = self._route, owner.clock.now()
        policy = owner.policy if owner.policy is not None else items_in_force(self._scope)
        refuse_unknown = route.unknown == "refuse"
        removed: dict[str, int] = {}

        def keep(entries: list[Any]) -> tuple[list[Any], int]:
            if not all(type(entry) is dict for entry in entries):
                raise ShapeError("an entry is not an object")
            outcome = policy.filter(
                entries, at=at, suppressed=suppressed, fields=route.fields,
                refuse_unknown=refuse_unknown,
            )  # fmt: skip
            for rule_id, count in outcome.removed.items():
                removed[rule_id] = removed.get(rule_id, 0) + count
            return outcome.items, outcome.removed_total

        try:
            total = route.rewrite(document, keep)
            if total:
                body = json_codec.dumps(document, exact)
        except (ShapeError, UnreadableJson) as exc:
            await self._fail(f"the answer does not have the configured shape ({exc})")
            return
        state = self._scope.setdefault("state", {})
        state[REMOVED_STATE_KEY] = removed
        headers = [
            (k, v) for k, v in self._start.get("headers", ()) if k.lower() not in _DROPPED_HEADERS
        ]
        headers += [(b"content-length", b"%d" % len(body)), (b"cache-control", b"private")]
        self.state = "done"
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def finish(self) -> None:
        """After the app returned: an answer begun and never completed is refused."""
        if self.state == "buffering":
            await self._fail("the app ended before its answer was complete")

    async def _fail(self, reason: str, *, retry: bool = False) -> None:
        self.state = "failed"
        self._chunks = []
        logger.error("result filter refused an answer on %s: %s", self._route.path, reason)
        body = json.dumps(
            {
                "type": "urn:jurisgate:problem:results_unfiltered",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The results could not be filtered, so they are not sent.",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", b"%d" % len(body)),
            (b"cache-control", b"no-store"),
        ]
        if retry:
            headers.append((b"retry-after", b"2"))
        await self._send({"type": "http.response.start", "status": 503, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


def _unreadable(status: int, headers: Any, limit: int) -> str | None:
    """Why an answer cannot be filtered from its start alone, or None."""
    if status == 206:
        return "a partial answer (206) cannot be filtered"
    content_type = b""
    for key, value in headers:
        name = key.lower()
        if name == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
            return "the answer is encoded"
        if name == b"content-type":
            content_type = value.lower()
        if name == b"content-length" and (not value.strip().isdigit() or int(value) > limit):
            return "the answer is over max_body_bytes"
    media, _, params = content_type.partition(b";")
    media = media.strip()
    if media != b"application/json" and not media.endswith(b"+json"):
        return "the answer is not JSON"
    charset = params.strip().removeprefix(b"charset=").strip(b'" ')
    if params.strip() and charset not in (b"utf-8", b"utf8"):
        return "the answer is not UTF-8 JSON"
    return None
