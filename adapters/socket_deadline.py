"""A client-side deadline for a blocking call on a socket that a driver owns.

A dead peer (packets dropped, no RST) leaves a blocking read waiting forever: a server-side
``statement_timeout`` never reaches the server, and TCP keepalives or ``TCP_USER_TIMEOUT`` only
notice when the kernel itself gets no acknowledgements (a middlebox that still acknowledges
defeats them). So at the deadline a timer thread shuts the socket down (``shutdown(2)`` on a
duplicate of its descriptor): the blocked call wakes at once with an error and the driver
reports its connection broken. The descriptor is never closed here, so the driver's own
bookkeeping stays valid; the caller throws the connection away.
"""

from __future__ import annotations

import os
import socket
import threading
from types import TracebackType

__all__ = ["SocketDeadline"]


class SocketDeadline:
    """``with SocketDeadline(fileno, seconds) as deadline: <blocking calls>``; afterwards
    ``deadline.expired`` says whether the socket was shut down because time ran out."""

    __slots__ = ("_armed", "_fileno", "_lock", "_timer", "expired")

    def __init__(self, fileno: int, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("seconds must be > 0")
        self._fileno = fileno
        self._lock = threading.Lock()
        self._armed = False
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.name = "jurisgate-socket-deadline"

    def __enter__(self) -> SocketDeadline:
        self._armed = True
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Disarmed under the lock: once this returns, the timer cannot touch the descriptor,
        # which the caller may close and the process reuse for another socket.
        with self._lock:
            self._armed = False
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if not self._armed:
                return
            self.expired = True
            try:
                duplicate = socket.socket(fileno=os.dup(self._fileno))
            except OSError:
                return  # already gone: the blocked call has failed by itself
            try:
                duplicate.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            finally:
                duplicate.close()  # closes the duplicate only; the driver's descriptor stays
