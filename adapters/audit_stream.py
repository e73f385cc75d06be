"""A durable audit sink: every record appended to a bounded Redis Stream, none silently lost.

``RedisStreamSink`` is an audit observer. The gate's request path only puts the record on an
in-process queue; a background thread appends queued records to the stream (``XADD`` with
``MAXLEN``, so the stream stays bounded), so Redis latency or an outage never blocks the
event loop. A record that cannot be appended (Redis down or slow, queue full, sink closed)
is written to the ``jurisgate.audit.fallback`` logger at WARNING instead, and ``failed``
counts it: with no handler configured, Python prints WARNING records to stderr, so even
then a record is not lost. When a batch fails part-way, some of its records may be both in
the stream and in the fallback log: duplicates, never gaps.

    sink = RedisStreamSink("redis://audit-redis:6379/0", on_failure=metrics.sink_failed)
    app.add_middleware(JurisdictionMiddleware, config=..., audit=AuditLog(observers=[sink]))

For a Redis Cluster or a Sentinel-managed primary, pass a RedisTarget instead of the URL, for
example the one ``[cache]`` names: ``RedisStreamSink(factory.redis_target(config.cache))``.
The stream is one key, so every batch stays in one hash slot.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from .redis_connect import RedisTarget

__all__ = ["FALLBACK_LOGGER", "RedisStreamSink"]

FALLBACK_LOGGER: Final = "jurisgate.audit.fallback"
_BATCH: Final = 200


class RedisStreamSink:
    """Options (keyword-only): ``stream`` (defaults to ``jurisgate:audit``), ``maxlen`` (the
    stream keeps the newest this many records, defaults to 1000000), ``queue_size`` (records
    waiting for Redis before new ones go to the fallback log, defaults to 10000), ``timeout``
    (seconds per Redis call, defaults to 2), ``on_failure`` (called once per record that
    went to the fallback log, e.g. ``GateMetrics.sink_failed``)."""

    def __init__(
        self,
        url: str | RedisTarget,
        *,
        stream: str = "jurisgate:audit",
        maxlen: int = 1_000_000,
        queue_size: int = 10_000,
        timeout: float = 2.0,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        if maxlen < 1:
            raise ValueError("maxlen must be at least 1")
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        if not 0 < timeout <= 60:
            raise ValueError("timeout must be between 0 and 60 seconds")
        self.stream = stream
        self.maxlen = maxlen
        self.failed = 0
        self._on_failure = on_failure
        self._fallback = logging.getLogger(FALLBACK_LOGGER)
        target = RedisTarget(url=url) if isinstance(url, str) else url
        self._client = target.sync_client(timeout=timeout)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._drain, name="jurisgate-audit-stream", daemon=True
        )
        self._thread.start()
        atexit.register(self.close, 2.0)

    def __call__(self, fields: Mapping[str, Any]) -> None:
        """Queue one record (never blocks the caller)."""
        record = dict(fields)
        if self._closed:
            self._give_up([record], "sink closed")
            return
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._give_up([record], "queue full")

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued record is in the stream or the fallback log."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the thread and close the connection; later records go to the fallback.

        Records still queued after ``timeout`` go to the fallback log too. Also runs at
        interpreter exit, so a record queued when the process stops is not lost."""
        if self._closed:
            return
        flushed = self.flush(timeout)
        self._closed = True
        if not flushed:
            left: list[dict[str, Any]] = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    left.append(item)
                self._queue.task_done()
            self._give_up(left, "closed before Redis took them")
        self._queue.put(None)
        self._thread.join(timeout)
        self._client.close()

    def _drain(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:  # put back the stop marker for the outer loop
                    self._queue.task_done()
                    self._queue.put(None)
                    break
                batch.append(item)
            try:
                self._append(batch)
            except Exception as exc:  # any Redis or encoding failure: the records go elsewhere
                self._give_up(batch, f"redis: {type(exc).__name__}")
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _append(self, batch: list[dict[str, Any]]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for record in batch:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            pipe.xadd(self.stream, {"record": line}, maxlen=self.maxlen, approximate=False)
        pipe.execute()

    def _give_up(self, records: list[dict[str, Any]], why: str) -> None:
        for record in records:
            with self._lock:
                self.failed += 1
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            self._fallback.warning("audit stream unavailable (%s): %s", why, line)
            if self._on_failure is not None:
                try:
                    self._on_failure()
                except Exception:
                    self._fallback.exception("audit sink failure hook failed")
