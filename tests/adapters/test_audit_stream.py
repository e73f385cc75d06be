"""The Redis Stream audit sink, against a throw-away redis-server: bounded, and a record that
cannot be stored goes to the fallback log and is counted."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from jurisgate.adapters.audit_stream import FALLBACK_LOGGER, RedisStreamSink
from jurisgate.adapters.metrics import GateMetrics
from jurisgate.middleware import AuditLog, FixedClock, JurisdictionMiddleware

from ..audit.test_file_sink_gate import NOW, config_file, get_all
from ..audit.test_removed_counts import COUNTS, filtered_app
from ..fixtures.servers import free_port

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

__all__ = ["config_file"]  # the fixture, shared

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs a redis-server binary"),
]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.02)
    client.close()
    yield url
    process.kill()
    process.wait(5)


def record(n: int) -> dict[str, object]:
    return {"decision_id": f"id-{n}", "status": 451, "rule": "il-five-years", "subject": None}


def stored(url: str, stream: str = "jurisgate:audit") -> list[dict[str, object]]:
    client = redis.Redis.from_url(url)
    try:
        entries = client.xrange(stream) or []
    finally:
        client.close()
    return [json.loads(fields[b"record"]) for _, fields in entries if fields is not None]


def test_records_reach_the_stream_in_order(redis_url: str) -> None:
    sink = RedisStreamSink(redis_url)
    for n in range(25):
        sink(record(n))
    assert sink.flush()
    sink.close()
    assert [r["decision_id"] for r in stored(redis_url)] == [f"id-{n}" for n in range(25)]
    assert sink.failed == 0


def test_the_stream_is_bounded(redis_url: str) -> None:
    sink = RedisStreamSink(redis_url, stream="bounded", maxlen=10)
    for n in range(50):
        sink(record(n))
    sink.close()
    assert [r["decision_id"] for r in stored(redis_url, "bounded")] == [
        f"id-{n}" for n in range(40, 50)
    ]


def test_unreachable_redis_sends_every_record_to_the_fallback_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = GateMetrics()
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    sink = RedisStreamSink(url, timeout=0.5, on_failure=metrics.sink_failed)
    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        for n in range(5):
            sink(record(n))
        assert sink.flush()
        sink.close()
    assert sink.failed == 5
    fallen = [r.getMessage() for r in caplog.records if r.name == FALLBACK_LOGGER]
    assert len(fallen) == 5
    assert all('"rule":"il-five-years"' in line for line in fallen)
    assert {f'"decision_id":"id-{n}"' in " ".join(fallen) for n in range(5)} == {True}
    assert metrics.registry.get_sample_value("jurisgate_audit_sink_failures_total") == 5


def test_a_redis_outage_mid_way_loses_nothing(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RedisStreamSink(redis_url, timeout=0.5)
    for n in range(10):
        sink(record(n))
    assert sink.flush()
    assert len(stored(redis_url)) == 10
    redis.Redis.from_url(redis_url).shutdown(nosave=True)
    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        for n in range(10, 15):
            sink(record(n))
        assert sink.flush()
    sink.close()
    fallen = " ".join(r.getMessage() for r in caplog.records if r.name == FALLBACK_LOGGER)
    assert sink.failed == 5
    assert all(f'"decision_id":"id-{n}"' in fallen for n in range(10, 15))


def test_a_closed_sink_falls_back(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    sink = RedisStreamSink(redis_url, queue_size=1)
    sink.close()
    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        sink(record(1))
    assert sink.failed == 1
    assert "sink closed" in caplog.text


@pytest.mark.parametrize(("option", "value"), [("maxlen", 0), ("queue_size", 0), ("timeout", 0.0)])
def test_options_are_checked(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        RedisStreamSink("redis://127.0.0.1:1/0", **{option: value})  # type: ignore[arg-type]


def test_records_still_queued_at_close_go_to_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A server that accepts connections but never answers: the worker hangs on its first batch.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
        sink = RedisStreamSink(url, timeout=3.0)
        with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
            for n in range(50):
                sink(record(n))
            sink.close(timeout=0.2)
            assert sink.flush(timeout=5.0)
        fallen = " ".join(r.getMessage() for r in caplog.records if r.name == FALLBACK_LOGGER)
    assert all(f'"decision_id":"id-{n}"' in fallen for n in range(50))
    assert sink.failed >= 50


def test_a_filtered_answers_record_reaches_the_stream_with_its_item_rules(
    redis_url: str, config_file: Path, tokens: TokenFactory
) -> None:
    """``removed`` and ``item_policy_version`` reach the stream as the gate recorded them."""
    sink = RedisStreamSink(redis_url)
    gate = JurisdictionMiddleware(
        filtered_app(), config=config_file, clock=FixedClock(NOW),
        audit=AuditLog(observers=[sink]),
    )  # fmt: skip
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> None:
        await get_all(gate, [("/search", texas), ("/search", texas), ("/health", None)])
        await gate.aclose()

    asyncio.run(run())
    assert sink.flush()
    sink.close()
    version = gate.checker.items.version
    records = stored(redis_url)
    assert [(r["tier"], r.get("item_policy_version"), r.get("removed")) for r in records] == [
        ("engine", version, COUNTS), ("local", version, COUNTS), ("public", None, None),
    ]  # fmt: skip
    assert sink.failed == 0
