"""Record: finished JSON lines appended to a file by a writer thread, never on the event loop.

The request path only appends the line to an in-memory queue (``AuditFile.write``); a daemon
thread writes what is queued every ``flush_interval`` seconds, as nginx's ``access_log ...
flush=`` does. A batch that cannot be written stays queued, in order, and is retried; while
the file stays unwritable the queue fills and ``accepting`` turns false (the gate reads it
before serving a request, and ``check`` raises ``AuditUnavailable`` saying why), so the gate
denies rather than serve requests it cannot record; ``write`` itself refuses only at
``max_pending``.

    audit_file = AuditFile("/var/log/jurisgate/audit.jsonl", flush_interval=0.2)
    audit_file.write(str(record))  # AuditUnavailable: deny

Over 250 lines: the queue, the writer thread, fork and rotation handling and the atexit flush
share one lock and one file descriptor; split, their invariants would span modules.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ..errors import AuditUnavailable

__all__ = ["AuditFile", "AuditUnavailable", "check_options"]

logger = logging.getLogger("jurisgate")

_BATCH: Final = 8192  # lines per write call
_WAKE_AT: Final = 4096  # queued lines that wake the writer before its interval is up
_WARN_EVERY: Final = 10.0  # seconds between warnings about a failing file
_CLOSE_TIMEOUT: Final = 10.0
_MARGIN: Final = 1024  # lines kept for requests being served once ``accepting`` turns false


def check_options(flush_interval: float, max_pending: int) -> None:
    """Raise ValueError/TypeError for options AuditFile refuses (config checks them early)."""
    if not (math.isfinite(flush_interval) and 0 < flush_interval <= 60):
        raise ValueError("flush_interval must be between 0 and 60 seconds")
    if isinstance(max_pending, bool) or not isinstance(max_pending, int):
        raise TypeError("max_pending must be an int")
    if max_pending < 1:
        raise ValueError("max_pending must be at least 1")


# A queued line: finished, or a renderer and the fields it formats on the writer thread.
_Item = str | tuple[Callable[[Any], str], Any]


class AuditFile:
    """Options (keyword-only): ``flush_interval`` (seconds between writes, defaults to 0.2),
    ``max_pending`` (queued lines before ``write`` refuses, defaults to 100000), ``fsync``
    (sync the file after each write, defaults to off). A new file is created with mode 0o600;
    the directory must exist. The file is reopened when it is moved or removed (logrotate)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        flush_interval: float = 0.2,
        max_pending: int = 100_000,
        fsync: bool = False,
    ) -> None:
        check_options(flush_interval, max_pending)
        self._path = Path(path)
        if not self._path.parent.is_dir():
            raise FileNotFoundError(
                f"audit file {self._path}: directory {self._path.parent} does not exist"
            )
        self.flush_interval = flush_interval
        self.max_pending = max_pending
        self.fsync = fsync
        self.written = 0
        self.write_errors = 0
        self._fd = self._open()  # an unwritable path fails here, at startup
        self._identity = _identity(os.fstat(self._fd))
        self._pending: deque[_Item] = deque()
        # write() tests one number: max_pending less the lines held back by a failed write,
        # or 0 once closed.
        self._limit = max_pending
        self._closed = False
        self._wake_at = min(_WAKE_AT, max_pending // 2)
        self._margin = min(_MARGIN, max_pending // 10)
        # False while a line queued now might be refused (see check); kept current by _queue
        # and _set_limit, so that the gate reads an attribute, not a call, per request.
        self.accepting = True
        # Encoded lines whose write failed (or was cut short): written before anything newer.
        self._carry = b""
        self._carry_lines = 0
        self._lock = threading.Lock()  # one drainer/writer at a time; write() never takes it
        self._wake = threading.Event()
        self._stop = False
        self._warned_at = -math.inf
        self._thread = threading.Thread(
            target=self._run, name="jurisgate-audit-writer", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)
        os.register_at_fork(after_in_child=_call_if_alive(weakref.WeakMethod(self._after_fork)))

    def _after_fork(self) -> None:
        """In a forked worker (gunicorn --preload): no writer thread survived the fork. Start
        one; the queue inherited from the parent is the parent's to write, not ours."""
        if self._stop:
            return
        self._pending.clear()
        self._carry, self._carry_lines = b"", 0
        self._set_limit()
        self._lock = threading.Lock()  # the parent's writer may have held it at the fork
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="jurisgate-audit-writer", daemon=True
        )
        self._thread.start()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def pending(self) -> int:
        """Lines accepted but not yet written."""
        return len(self._pending) + self._carry_lines

    def write(self, line: str) -> None:
        """Queue one JSON line (no newline); raises ``AuditUnavailable`` when closed or full."""
        self._queue(line)

    def write_deferred(self, render: Callable[[Any], str], fields: Any) -> None:
        """Queue a line that the writer thread formats as ``render(fields)``: on the event
        loop, a tuple rather than a string. ``render`` must not raise and must have no side
        effects: after a failure, the batch's lines are formatted once more, one by one."""
        self._queue((render, fields))

    def check(self) -> None:
        """Raise ``AuditUnavailable`` if a line queued now might be refused. ``accepting``
        says the same as an attribute (read by the gate before it serves a request, whose
        record it writes once the answer has started). A margin (a tenth of ``max_pending``,
        at most 1024 lines) is kept for the records of requests already being served."""
        if len(self._pending) >= self._limit - self._margin:
            raise AuditUnavailable(
                f"audit file {self._path} is closed"
                if self._closed
                else f"audit file {self._path}: {self.pending} records not yet written"
            )

    def _queue(self, item: _Item) -> None:
        pending = self._pending
        n = len(pending)
        if n >= self._limit:
            raise AuditUnavailable(
                f"audit file {self._path} is closed"
                if self._closed
                else f"audit file {self._path}: {self.pending} records not yet written"
            )
        pending.append(item)  # deque.append is atomic under the GIL: no lock
        if n + 1 >= self._limit - self._margin:
            self.accepting = False  # the writer's next _set_limit turns it back on
        if self._closed:
            # close() (another thread, e.g. aclose's) began after the check above: its final
            # drain may have missed this line, so the request must not count it as recorded.
            raise AuditUnavailable(f"audit file {self._path} is closed")
        if n == self._wake_at:  # once per fill, not per request
            self._wake.set()

    def flush(self) -> None:
        """Write everything queued now; raises the ``OSError`` if the file cannot take it (the
        lines stay queued)."""
        with self._lock:
            if self._fd < 0:
                return
            try:
                self._drain()
            except OSError as exc:
                self._failed(exc)
                raise

    def close(self) -> None:
        """Stop taking lines, write what is queued and stop the writer; idempotent. Also runs
        at interpreter exit. Raises the ``OSError`` if the queued lines could not be written."""
        if self._stop:
            return
        self._stop = True
        atexit.unregister(self.close)
        self._wake.set()
        self._thread.join(_CLOSE_TIMEOUT)
        self._closed = True
        self.accepting = False
        self._limit = 0  # lines accepted until now are written below; later ones are refused
        if not self._lock.acquire(timeout=_CLOSE_TIMEOUT):
            logger.error(
                "audit file %s: writer stuck; %d records not written", self._path, self.pending
            )
            return
        try:
            self._drain()
        except OSError as exc:
            self.write_errors += 1
            logger.error("audit file %s: %d records not written: %s", self._path, self.pending, exc)
            raise
        finally:
            os.close(self._fd)
            self._fd = -1
            self._lock.release()

    def _open(self) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        return os.open(self._path, flags, 0o600)  # audit lines name subjects

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            with self._lock:
                if self._stop:  # close() writes the rest itself
                    return
                try:
                    self._drain()
                except Exception as exc:  # the thread must survive to retry
                    self._failed(exc)

    def _drain(self) -> None:
        """Write the carry-over, then the queue, batch by batch (the lock is held)."""
        pending = self._pending
        while True:
            if not self._carry:
                # Only this (locked) drainer pops, so the queue holds at least ``count``.
                count = min(len(pending), _BATCH)
                if not count:
                    return
                # Counted as held back before they leave the queue: for a moment they count
                # twice (write() refuses a little early), never zero times (never too late).
                self._carry_lines = count
                self._set_limit()
                popleft = pending.popleft
                batch = [popleft() for _ in range(count)]
                try:  # one call per deferred line: this loop is the writer's main cost
                    lines = [item if isinstance(item, str) else item[0](item[1]) for item in batch]
                except Exception:  # a renderer failed: line by line, so that no record vanishes
                    lines = [item if isinstance(item, str) else _render(item) for item in batch]
                # backslashreplace: a lone surrogate becomes a JSON \\u escape, not an error.
                self._carry = ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")
            self._reopen_if_moved()
            view = memoryview(self._carry)
            done = 0
            try:
                while done < len(view):
                    done += os.write(self._fd, view[done:])
            finally:
                self._carry = self._carry[done:]  # what a failure left unwritten
            self.written += self._carry_lines
            self._carry_lines = 0
            self._set_limit()
            if self.fsync:
                os.fsync(self._fd)  # on failure the lines are already written: no retry

    def _set_limit(self) -> None:
        self._limit = limit = 0 if self._closed else self.max_pending - self._carry_lines
        self.accepting = len(self._pending) < limit - self._margin

    def _reopen_if_moved(self) -> None:
        """Like logging's WatchedFileHandler: follow the path once logrotate moves the file."""
        try:
            moved = _identity(os.stat(self._path)) != self._identity
        except FileNotFoundError:
            moved = True
        if moved:
            fd = self._open()
            os.close(self._fd)
            self._fd = fd
            self._identity = _identity(os.fstat(fd))

    def _failed(self, exc: Exception) -> None:
        self.write_errors += 1
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:  # one warning per 10 s, not one per batch
            self._warned_at = now
            logger.warning(
                "audit file %s: write failed (%s); %d records kept for retry",
                self._path,
                exc,
                self.pending,
            )


def _render(item: tuple[Callable[[Any], str], Any]) -> str:
    """A deferred line; a renderer that fails still leaves a line, so no record vanishes."""
    render, fields = item
    try:
        return render(fields)
    except Exception as exc:
        logger.exception("audit file: a record could not be formatted")
        return json.dumps({"audit_format_error": repr(exc), "fields": repr(fields)})


def _call_if_alive(method: weakref.WeakMethod[Callable[[], None]]) -> Callable[[], None]:
    """A fork hook that does not keep its AuditFile alive (hooks cannot be unregistered)."""

    def call() -> None:
        bound = method()
        if bound is not None:
            bound()

    return call


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)
