"""The Redis tier, when this checkout has it: a private redis-server and a shared cache on it.

It activates only when ``jurisgate.adapters.redis_cache`` imports and a ``redis-server``
binary exists; otherwise the suite reports "skipped: Redis tier not available". The server is
always our own, on a free loopback port, without persistence; never the machine's 6379.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import redis
from loadgen import HOST, free_port

MODULE = "jurisgate.adapters.redis_cache"
SKIPPED = "skipped: Redis tier not available"
_SECRET = "benchmark-only-mac-secret-0123456789abcdef"  # noqa: S105 (a throw-away server)


def tier_module() -> tuple[ModuleType | None, str]:
    """The Redis tier module, or None and why not."""
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        return None, f"{SKIPPED} ({MODULE} is not in this checkout)"
    if shutil.which("redis-server") is None:
        return None, f"{SKIPPED} (no redis-server binary)"
    return module, ""


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="jurisgate-bench-redis-") as workdir:
        process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://{HOST}:{port}/0"
        try:
            client = redis.Redis.from_url(url)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


# Commands that set up connections or measure, rather than serve a decision.
_BOOKKEEPING = frozenset({"info", "hello", "ping", "select", "client|setinfo", "client|setname"})


def commands_processed(url: str) -> int:
    """Commands Redis has served for decisions so far (from INFO commandstats), so that round
    trips per request can be counted independently of the client library."""
    client = redis.Redis.from_url(url)
    try:
        stats: dict[str, Any] = client.info("commandstats")
    finally:
        client.close()
    return sum(
        int(entry["calls"])
        for name, entry in stats.items()
        if name.removeprefix("cmdstat_") not in _BOOKKEEPING
    )


def make_cache(url: str) -> Any:
    """The Redis tier's DecisionCache on ``url``, built the way ``[cache] redis_url`` builds it."""
    from jurisgate.adapters.factory import shared_cache
    from jurisgate.middleware import CacheSettings, SystemClock

    return shared_cache(CacheSettings(redis_url=url, secret=_SECRET), SystemClock())
