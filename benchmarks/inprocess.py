"""Drive an ASGI app in-process, one request at a time, and time each call.

No sockets and no server: the figure is what the app and its middleware cost per request.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message

Timed = Callable[[int], Awaitable[int]]  # run request n, return its status


def http_scope(
    path: str, *, token: str | None = None, method: str = "GET", query: bytes = b""
) -> dict[str, Any]:
    headers = [(b"host", b"bench.local"), (b"user-agent", b"jurisgate-bench")]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token.encode("ascii")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def call(app: ASGIApp, scope: dict[str, Any]) -> int:
    """One request through ``app``; returns the response status."""
    status = 0

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    # A fresh scope per request: apps write into it (state, user, auth).
    await app(dict(scope), _receive, send)
    return status


def asgi_runner(app: ASGIApp, scopes: Sequence[dict[str, Any]], expect: int | None = 200) -> Timed:
    """Request n uses ``scopes[n % len(scopes)]``; a status other than ``expect`` aborts."""

    async def run(n: int) -> int:
        status = await call(app, scopes[n % len(scopes)])
        if expect is not None and status != expect:
            raise RuntimeError(f"expected {expect}, got {status}")
        return status

    return run


@dataclass
class Samples:
    """Per-request times in microseconds, and the median of each round."""

    values: list[float] = field(default_factory=list)
    round_medians: list[float] = field(default_factory=list)

    def add_round(self, times: list[float]) -> None:
        self.values.extend(times)
        self.round_medians.append(statistics.median(times))

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.values)
        return {
            "n": len(ordered),
            "p50_us": round(percentile(ordered, 50), 2),
            "p99_us": round(percentile(ordered, 99), 2),
            "mean_us": round(statistics.fmean(ordered), 2),
            "round_p50_min_us": round(min(self.round_medians), 2),
            "round_p50_max_us": round(max(self.round_medians), 2),
            "round_p50s_us": [round(value, 2) for value in self.round_medians],
        }


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


async def time_batch(run: Timed, start: int, count: int) -> list[float]:
    """Time ``count`` calls individually (microseconds)."""
    clock = time.perf_counter_ns
    times = []
    for n in range(start, start + count):
        began = clock()
        await run(n)
        times.append((clock() - began) / 1000)
    return times
