"""The gate's check that no ``[[results]]`` route's answer leaves unfiltered.

A search API must not be able to forget the item rules. For a request on a route that
``[[results]]`` names (HEAD excepted), the gate hands the app this ``send``: an answer that
starts with a 2xx status other than 204 (or an interim 1xx, which would open the way to the
final one) while ``scope["state"]`` holds no sign that the result filter ran on it
(``REMOVED_STATE_KEY``, which the filter sets before it sends its status line) is replaced by a
503 problem+json, logged (the filter is not mounted inside the gate for that route) and
recorded (outcome ``results_unfiltered``). A redirect (3xx other than 304) is held until its
first body message: with an empty body it passes (it lists nobody), with a body it is refused
the same way, as the filter would have filtered it. The app's own body then goes nowhere. A
filter mounted outside the gate sees the answer only after the gate did, so that order is
refused the same way: it never leaks. Other statuses pass: the filter passes them too. A
WebSocket on such a route is closed before the app sees it (``UnfilteredLog.websocket``): no
result filter reads its messages.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Final

from starlette.types import Message, Scope, Send

from ..audit.answer import LEAKED_STATE_KEY, REMOVED_STATE_KEY, Answer, write_record
from ..responses import results_problem, send_problem, websocket_deny
from .routes import ResultRoute

__all__ = ["FilterRequired", "UnfilteredLog", "close_websocket", "filter_required"]

logger = logging.getLogger("jurisgate.results")
_OUTCOME: Final = "results_unfiltered"
_WARN_EVERY: Final = 10.0


def filter_required(
    answer: Answer, route: ResultRoute, scope: Scope, decision_id: str, log: UnfilteredLog
) -> Send:
    """The app's ``send`` for a request on ``route``: one that refuses an answer the result
    filter did not run on (HEAD answers carry no listing and pass)."""
    if scope["method"] == "HEAD":
        return answer.send
    # The filter marks the gate's own state dict, even past a middleware that copies scope;
    # a mark already there is no sign for this request (a server sharing one state dict).
    state = scope.get("state")
    if state is None:
        scope["state"] = {}
    elif isinstance(state, dict):  # what FilterRequired reads its sign from
        state.pop(REMOVED_STATE_KEY, None)
        state.pop(LEAKED_STATE_KEY, None)
    return FilterRequired(answer, route.path, scope, decision_id, log).send


async def close_websocket(
    send: Send, answer: Answer, route: ResultRoute, decision_id: str, log: UnfilteredLog
) -> None:
    """Close a WebSocket on ``route`` before the app sees it, rather than stream entries the
    rules suppress (no result filter reads its messages); its record says so."""
    log.websocket(route.path)
    try:
        await websocket_deny(send, f"no result filter on a WebSocket; {decision_id}")
    except BaseException:
        write_record(answer.record, None, "disconnected")
        raise
    write_record(answer.record, 403, _OUTCOME)


class UnfilteredLog:
    """One error line per route per 10 s, with a count, not one per request: a gate without
    its filter refuses every answer on the route. One per gate."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._warned: dict[str, float] = {}

    def seen(self, route: str, status: int) -> None:
        count = self._due(route)
        if count:
            logger.error(
                "refused a %d answer on %s (route %s of [[results]]) that no result filter ran "
                "on: ResultFilterMiddleware is not mounted inside the gate for that route; "
                "answered 503 (%d so far)",
                status, route, route, count,
            )  # fmt: skip

    def websocket(self, route: str) -> None:
        """A WebSocket on the route, closed before the app saw it."""
        count = self._due(route)
        if count:
            logger.error(
                "refused a WebSocket on %s (a route of [[results]]): no result filter reads "
                "its messages (%d refused so far)",
                route, count,
            )  # fmt: skip

    def _due(self, route: str) -> int:
        """Count one more refusal on ``route``: the count when a line is due, else 0."""
        count = self._counts[route] = self._counts.get(route, 0) + 1
        now = time.monotonic()
        if now - self._warned.get(route, -math.inf) < _WARN_EVERY:
            return 0
        self._warned[route] = now
        return count


class FilterRequired:
    """The ``send`` an app on a ``[[results]]`` route gets from the gate. Per request."""

    __slots__ = ("_answer", "_decision_id", "_held", "_log", "_route", "_scope", "_state")

    def __init__(
        self, answer: Answer, route: str, scope: Scope, decision_id: str, log: UnfilteredLog
    ) -> None:
        self._answer = answer
        self._route = route
        self._scope = scope
        self._decision_id = decision_id
        self._log = log
        self._held: Message | None = None  # a redirect's status line, until its body shows
        self._state = "waiting"  # -> (holding ->) passing | refused

    async def send(self, message: Message) -> None:
        if self._state == "passing":
            await self._answer.send(message)
            return
        if self._state == "refused":
            return  # the app's own answer goes nowhere
        held = self._held
        if held is not None:  # a redirect without the filter's sign: passes only if empty
            if message["type"] == "http.response.body" and not message.get("body"):
                if message.get("more_body", False):
                    return  # an empty chunk says nothing yet
                self._state = "passing"
                await self._answer.send(held)
            else:
                await self._refuse(held["status"])
                return
        elif message["type"] == "http.response.start":
            status = message["status"]
            if status in (204, 304) or status >= 400 or self._filtered():
                self._state = "passing"
            elif status >= 300:
                self._held = message
                return
            else:  # a 2xx, or a 1xx: no answer, and passing it would pass what follows
                await self._refuse(status)
                return
        await self._answer.send(message)

    async def _refuse(self, status: int) -> None:
        self._state = "refused"
        self._log.seen(self._route, status)
        problem = results_problem(_OUTCOME, self._decision_id)
        await send_problem(self._refusal, problem, self._decision_id)

    def _filtered(self) -> bool:
        state = self._scope.get("state")
        return isinstance(state, dict) and state.get(REMOVED_STATE_KEY) is not None

    async def _refusal(self, message: Message) -> None:
        """The gate's 503, in place of the app's answer (its record says so)."""
        if message["type"] == "http.response.start":
            await self._answer.substitute(message, _OUTCOME)
        else:
            await self._answer.send(message)
