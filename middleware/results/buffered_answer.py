"""One answer on a ``[[results]]`` route, held until it is complete, then filtered (or, in
verify mode, checked) and sent, or refused with a 503.

The states: ``waiting`` for the status line; ``passing`` what is not filtered (HEAD is never
seen here; 204, 304 and errors; a 1xx is passed on while ``waiting``); ``buffering`` a 2xx JSON
answer, or a redirect (3xx), which passes as it is when its body is empty (the usual redirect)
and is filtered like a 2xx when it has one (a redirect is no error: what it carries could list
people); then ``done`` (sent) or ``failed`` (a 503 sent), after which the app's late messages
go nowhere. Before it sends an answer it ran on, the filter leaves its per-rule counts
in ``scope["state"]`` (``REMOVED_STATE_KEY``, and ``LEAKED_STATE_KEY`` for a leak) with the
version of the item rules it applied (``ITEMS_VERSION_STATE_KEY``): the gate records them, and
reads the first as the sign that the filter ran.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Protocol

from starlette.types import Message, Scope, Send

from ..audit.answer import ITEMS_VERSION_STATE_KEY, LEAKED_STATE_KEY, REMOVED_STATE_KEY
from ..clock import Clock
from ..responses import results_problem, send_problem
from ..subjects.errors import StaleSuppressions
from ..subjects.suppressions import Suppressions
from . import json_codec
from .in_force import items_in_force
from .item_policy import ItemPolicy
from .json_codec import UnreadableJson
from .routes import ResultRoute, ShapeError

__all__ = ["BufferedAnswer", "FilterSettings"]

logger = logging.getLogger("jurisgate.results")
_PASS_STATUSES: Final = frozenset({204, 304})
# The body sent is written from what was checked (json_codec.py), not the app's bytes: their
# validators name something else, and a private cache must not reuse a list past an opt-out.
_DROPPED_HEADERS: Final = frozenset(
    {b"content-length", b"cache-control", b"etag", b"last-modified"}
)


class FilterSettings(Protocol):
    """What an answer is filtered with (``ResultFilterMiddleware`` has them), read when the
    answer is complete."""

    suppressions: Suppressions
    policy: ItemPolicy | None  # None: the gate's item rules in force (in_force.py)
    clock: Clock


class BufferedAnswer:
    """Per request: ``send`` is what the app gets; ``finish`` runs once the app returned."""

    __slots__ = ("_chunks", "_filter", "_route", "_scope", "_send", "_size", "_start", "state")

    def __init__(self, owner: FilterSettings, route: ResultRoute, scope: Scope, send: Send):
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
        if status < 200:  # interim (1xx): passed on, and the final status line is still to come
            await self._send(message)
            return
        if status in _PASS_STATUSES or status >= 400:
            self.state = "passing"
            await self._send(message)
            return
        if status < 300:  # a redirect's headers are judged once its body is known (_complete)
            problem = _unreadable(status, message.get("headers", ()), self._route.max_body_bytes)
            if problem is not None:
                await self._fail(problem)
                return
        self._start = message
        self.state = "buffering"

    async def _complete(self) -> None:
        start = self._start
        if start is None:  # cannot happen while buffering; refused all the same
            await self._fail("an answer without a status line")
            return
        body = b"".join(self._chunks)
        self._chunks = []
        if start["status"] >= 300:  # a redirect
            if not body:  # lists nobody: sent as it came
                self.state = "done"
                await self._send(start)
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            problem = _unreadable(
                start["status"], start.get("headers", ()), self._route.max_body_bytes
            )
            if problem is not None:
                await self._fail(f"a redirect with a body: {problem}")
                return
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
        verifying = route.mode == "verify"
        removed: dict[str, int] = {}

        def keep(entries: list[Any]) -> tuple[list[Any], int]:
            if list(map(type, entries)).count(dict) != len(entries):  # in C: half the time
                raise ShapeError("an entry is not an object")
            outcome = policy.filter(
                entries, at=at, suppressed=suppressed, fields=route.fields,
                refuse_unknown=refuse_unknown,
            )  # fmt: skip
            for rule_id, count in outcome.removed.items():
                removed[rule_id] = removed.get(rule_id, 0) + count
            return outcome.items, outcome.removed_total

        try:
            # Verify mode runs the same walk (a leak is refused below, so what it sends is
            # what it read). Always written back from the document: see json_codec.py.
            route.rewrite(document, keep)
            body = json_codec.dumps(document, exact)
        except (ShapeError, UnreadableJson) as exc:
            if not (verifying and removed):  # a leak found before the mismatch is a leak
                await self._fail(f"the answer does not have the configured shape ({exc})")
                return
        state = self._scope.setdefault("state", {})
        state[ITEMS_VERSION_STATE_KEY] = policy.version
        if verifying:
            state[REMOVED_STATE_KEY] = {}  # verify mode never removes: it refuses
            if removed:
                state[LEAKED_STATE_KEY] = removed
                await self._leak(removed)
                return
        else:
            state[REMOVED_STATE_KEY] = removed
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() not in _DROPPED_HEADERS]
        headers += [(b"content-length", b"%d" % len(body)), (b"cache-control", b"private")]
        self.state = "done"
        await self._send({**start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def finish(self) -> None:
        """After the app returned: an answer begun and never completed is refused."""
        if self.state == "buffering":
            await self._fail("the app ended before its answer was complete")

    async def _leak(self, leaked: dict[str, int]) -> None:
        """Verify mode's alarm: the app sent entries its own filtering should have removed."""
        self.state = "failed"
        counts = ", ".join(f"{rule}: {count}" for rule, count in sorted(leaked.items()))
        logger.critical(
            "result filter (verify mode) refused an answer on %s holding entries the item rules "
            "suppress (per rule: %s): the app did not filter them out (filter_items)",
            self._route.path, counts,
        )  # fmt: skip
        await send_problem(self._send, results_problem("results_leak"), None)

    async def _fail(self, reason: str, *, retry: bool = False) -> None:
        self.state = "failed"
        self._chunks = []
        logger.error("result filter refused an answer on %s: %s", self._route.path, reason)
        await send_problem(self._send, results_problem("results_unfiltered", retry=retry), None)


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
