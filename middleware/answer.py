"""Follow one request's answer and write its one audit record, saying what the client was sent.

An allowed request's record is written once its answer has started, with the status that went
out (``sent_status``) and how the exchange went (``outcome``):

- ``sent``: the status line (or WebSocket accept or close) was handed to the server;
- ``app_error``: the app raised before it started an answer (the server then answers 500);
- ``disconnected``: the client was gone before the answer started (the app received
  ``http.disconnect``, or the server's send raised);
- ``no_response``: the app returned without answering.

Exactly one of these is written per request, whatever the app does. A refusal the gate sends
itself is recorded the same way, by the gate (``write_record``). Writing a record never raises
into the app or the server: a record the sink refuses at that point still reaches the logger
and the observers (``AuditLog._emit``), and the failure is logged.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.types import Message, Receive, Send

from .audit_file import AuditUnavailable

__all__ = ["Answer", "RecordWriter", "write_record"]

logger = logging.getLogger("jurisgate")

# Writes the request's record: (the status sent or None, the outcome).
RecordWriter = Callable[[int | None, str], None]

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
    is added to an HTTP answer's start. Per request; never shared."""

    __slots__ = ("_header", "_receive", "_send", "_write", "gone", "open")

    def __init__(
        self,
        send: Send,
        receive: Receive,
        header: tuple[bytes, bytes] | None,
        write: RecordWriter,
    ) -> None:
        self._send = send
        self._receive = receive
        self._header = header
        self._write = write
        self.open = True  # no record written yet
        self.gone = False  # the client's disconnect was seen before the answer started

    def send(self, message: Message) -> Awaitable[None]:
        """The app's send. A plain method handing back the server's awaitable, except for
        the message that starts the answer, which is awaited here and then recorded."""
        if self.open:
            kind = message["type"]
            if kind == "http.response.start":
                if self._header is not None:
                    message["headers"] = [*message.get("headers", ()), self._header]
                return self._started(message, message["status"])
            if kind == "websocket.accept":
                return self._started(message, 101)
            if kind == "websocket.close":
                return self._started(message, _WS_CLOSED_STATUS)
            if kind == "websocket.http.response.start":
                return self._started(message, message["status"])
        return self._send(message)

    async def receive(self) -> Message:
        message = await self._receive()
        if self.open and message["type"] in _DISCONNECTS:
            self.gone = True
        return message

    async def _started(self, message: Message, status: int) -> None:
        self.open = False
        try:
            await self._send(message)
        except BaseException:
            write_record(self._write, None, "disconnected")
            raise
        try:  # write_record, inlined: this runs for every request served
            self._write(status, "sent")
        except Exception as exc:
            _failed(exc)

    def finish(self, failed: bool) -> None:
        """After the app returned (``failed`` false) or raised: record an answer that never
        started (the gate calls this only while ``open``)."""
        self.open = False
        outcome = "disconnected" if self.gone else "app_error" if failed else "no_response"
        write_record(self._write, None, outcome)
