"""Follow one request's answer and write its one audit record, saying what the client was sent.

An allowed request's record is written once its answer has started, with the status that went
out (``sent_status``) and how the exchange went (``outcome``):

- ``sent``: the status line (or WebSocket accept or close) is being handed to the server (the
  record is written just before, so that no coroutine of ours sits on every answer: a server
  that then fails to send it is not seen here, nor is a failure later in the body);
- ``app_error``: the app raised before it started an answer (the server then answers 500);
- ``disconnected``: the client was gone before the answer started (the app received
  ``http.disconnect``, or was cancelled);
- ``no_response``: the app returned without answering;
- ``results_unfiltered``: the app's answer on a ``[[results]]`` route reached the gate without
  the result filter having run on it; the gate sent a 503 instead
  (``results/filter_required.py``).

A result filter (``ResultFilterMiddleware``) that ran inside leaves its per-rule removal counts
in ``scope["state"][REMOVED_STATE_KEY]`` before it sends the status line; the record written
then carries them as ``removed`` (two dict lookups per answer, nothing allocated without it),
and the version of the item rules it applied, left in ``scope["state"][ITEMS_VERSION_STATE_KEY]``,
as ``item_policy_version``. A verifying filter that refused an answer leaves the suppressed
entries it found per rule in ``scope["state"][LEAKED_STATE_KEY]`` too (``leaked``). Both are
read only when ``removed`` is there.

Exactly one of these is written per request, whatever the app does. A refusal the gate sends
itself is recorded the same way, by the gate (``write_record``). Writing a record never raises
into the app or the server: a record the sink refuses at that point still reaches the logger
and the observers (``AuditLog._emit``), and the failure is logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from starlette.types import Message, Receive, Scope, Send

from ..errors import AuditUnavailable

if TYPE_CHECKING:
    from ..cache.warm import RememberedRequest

__all__ = [
    "ITEMS_VERSION_STATE_KEY",
    "LEAKED_STATE_KEY",
    "REMOVED_STATE_KEY",
    "Answer",
    "RecordWriter",
    "Replayed",
    "write_record",
]

logger = logging.getLogger("jurisgate")

# Writes the request's record: (the status sent or None, the outcome[, the removal counts,
# the leak counts, the item rules' version]).
RecordWriter = Callable[..., None]
# A request answered from memory: (the remembered request, the decision id, the perf_counter
# readings at its start and at its decision, None for now), the leading arguments of
# ``AuditLog.replay``; ``AuditLog.replayed`` takes them as this one tuple.
Replayed = tuple["RememberedRequest", str, float, float | None]

# Where the result filter leaves a request's per-rule removal counts for its record (and,
# before it sends its status line, its sign that it ran: the gate checks for it).
REMOVED_STATE_KEY: Final = "jurisgate.removed"
# Where a verifying result filter leaves the per-rule counts of what it found and refused.
LEAKED_STATE_KEY: Final = "jurisgate.leaked"
# Where the result filter leaves the version of the item rules it applied (``ItemPolicy.version``).
ITEMS_VERSION_STATE_KEY: Final = "jurisgate.item_policy_version"

# Servers answer a WebSocket closed before it was accepted with 403 (ASGI spec).
_WS_CLOSED_STATUS: Final = 403
_DISCONNECTS: Final = frozenset({"http.disconnect", "websocket.disconnect"})


def write_record(write: RecordWriter, sent_status: int | None, outcome: str) -> None:
    """``write``, and log (never raise) if the record cannot be written."""
    try:
        write(sent_status, outcome)
    except Exception as exc:
        _failed(exc)


def _failed(exc: Exception) -> None:
    if isinstance(exc, AuditUnavailable):
        _unavailable.seen(exc)
    else:
        logger.error("audit record could not be written", exc_info=exc)


class _Unavailable:
    """Records the sink refused (they still went to the logger and observers): one log line
    per 10 s, not one per request, while the sink stays full."""

    def __init__(self) -> None:
        self.count = 0
        self.warned = -math.inf

    def seen(self, exc: AuditUnavailable) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.warned >= _WARN_EVERY:
            self.warned = now
            logger.error(
                "audit sink refused a record (%s); %d so far went to the logger and observers only",
                exc,
                self.count,
            )


_WARN_EVERY: Final = 10.0
_unavailable = _Unavailable()


class Answer:
    """The ``send`` and ``receive`` an allowed request's app gets. ``header`` (the decision id)
    is added to an HTTP answer's start. The record is written as ``write(sent_status, outcome,
    removed, leaked)``, or for a request answered from memory (``replayed``: the remembered
    request, decision id, start and decision instants) as ``AuditLog.replayed``'s
    ``write(replayed, sent_status, outcome, removed, leaked)``: no closure and no ``*args``
    call per request. Per request; never shared."""

    __slots__ = ("_header", "_receive", "_replayed", "_scope", "_send", "_write", "gone", "open")

    def __init__(
        self,
        send: Send,
        receive: Receive,
        header: tuple[bytes, bytes] | None,
        write: Callable[..., None],
        scope: Scope | None = None,
        replayed: Replayed | None = None,
    ) -> None:
        self._send = send
        self._receive = receive
        self._header = header
        self._write = write
        self._scope = scope
        self._replayed = replayed
        self.open = True  # no record written yet
        self.gone = False  # the client's disconnect was seen before the answer started

    def send(self, message: Message) -> Awaitable[None]:
        """The app's send: a plain method handing back the server's awaitable (no coroutine
        of its own). The message that starts the answer is recorded, then handed on."""
        if self.open:
            if message["type"] == "http.response.start":  # inlined: every request gets here
                if self._header is not None:
                    message["headers"] = [*message.get("headers", ()), self._header]
                self.open = False
                state = None if self._scope is None else self._scope.get("state")
                removed = leaked = version = None
                if state is not None:
                    removed = state.get(REMOVED_STATE_KEY)
                    if removed is not None:  # the filter ran: its counts and rules are recorded
                        leaked = state.get(LEAKED_STATE_KEY)
                        version = state.get(ITEMS_VERSION_STATE_KEY)
                replayed = self._replayed
                try:
                    if replayed is None:
                        self._write(message["status"], "sent", removed, leaked, version)
                    else:  # not write(*replayed, ...): a ``*args`` call costs more than the rest
                        self._write(replayed, message["status"], "sent", removed, leaked, version)
                except Exception as exc:
                    _failed(exc)
            else:
                self._websocket(message)
        return self._send(message)

    def substitute(self, message: Message, outcome: str) -> Awaitable[None]:
        """Start the gate's own answer in place of the app's (its headers complete), recorded
        with ``outcome``. Only while ``open``."""
        self.open = False
        write_record(self.record, message["status"], outcome)
        return self._send(message)

    def record(self, sent_status: int | None, outcome: str) -> None:
        """Write the request's record (may raise: callers go through ``write_record``)."""
        replayed = self._replayed
        if replayed is None:
            self._write(sent_status, outcome)
        else:
            self._write(replayed, sent_status, outcome)

    async def receive(self) -> Message:
        message = await self._receive()
        if self.open and message["type"] in _DISCONNECTS:
            self.gone = True
        return message

    def _websocket(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            status = 101
        elif kind == "websocket.close":
            status = _WS_CLOSED_STATUS
        elif kind == "websocket.http.response.start":
            status = message["status"]
        else:  # not an answer's start (an app sending a body first is the server's to refuse)
            return
        self.open = False
        write_record(self.record, status, "sent")

    def finish(self, error: BaseException | None) -> None:
        """After the app returned (``error`` None) or raised: record an answer that never
        started (the gate calls this only while ``open``)."""
        self.open = False
        if self.gone or isinstance(error, asyncio.CancelledError):
            outcome = "disconnected"
        else:
            outcome = "no_response" if error is None else "app_error"
        write_record(self.record, None, outcome)
