"""A bad message on the reload channel is dropped; the listener keeps working (issue #12, 8).

Anyone with Redis access can publish on the channel. A deeply nested JSON array used to raise
RecursionError in every subscriber, whose listener then stayed dead until a request arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio

from jurisgate.adapters.factory import load_engine
from jurisgate.adapters.redis_pubsub import RedisAnnouncer
from jurisgate.middleware import PolicySettings, TrustedIssuer
from jurisgate.middleware.config.reload import PolicyReloader
from jurisgate.middleware.decision.engine import PolicyEngine

from .app import copy_pack, edit, gate, publish, until, without_illinois_rule
from .conftest import RedisServer

pytestmark = pytest.mark.redis

CHANNEL = "jurisgate:policy"
BAD_MESSAGES = {
    "deeply nested array": b"[" * 100_000 + b"]" * 100_000,
    "deeply nested, unclosed": b"[" * 50_000,
    "deep object": b'{"version":' * 5_000 + b'"x"' + b"}" * 5_000,
    "oversize": b'{"version": "' + b"a" * 2_000_000 + b'", "replica": "x"}',
    "garbage": b"\xff\xfe\x00garbage{[",
    "not an object": b'["0123456789abcdef"]',
    "version not a string": b'{"version": [1, 2], "replica": "x"}',
    "huge integer": b'{"version": ' + b"9" * 5_000 + b"}",
    "duplicate member": b'{"version": "a", "version": "b", "replica": "x"}',
}


async def raw_publish(url: str, message: bytes) -> None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        await client.publish(CHANNEL, message)
    finally:
        await client.aclose()


def test_the_listener_drops_bad_messages_and_hears_the_next_good_one(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str | None] = []

    async def scenario() -> None:
        listener = RedisAnnouncer(redis_server.url, CHANNEL)

        async def on_change(version: str | None) -> None:
            heard.append(version)

        task = asyncio.create_task(listener.listen(on_change))
        await until(lambda: listener.connected, 5)
        for message in BAD_MESSAGES.values():
            await raw_publish(redis_server.url, message)
        await RedisAnnouncer(redis_server.url, CHANNEL).publish("0123456789abcdef")
        await until(lambda: "0123456789abcdef" in heard, 5)
        assert not task.done()
        assert listener.connected
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="jurisgate.reload"):
        asyncio.run(scenario())
    assert heard == [None, "0123456789abcdef"]  # subscribed once: never disconnected
    dropped = [r for r in caplog.records if "dropping" in r.getMessage()]
    assert len(dropped) == len(BAD_MESSAGES)
    assert all(len(r.getMessage()) < 300 for r in dropped)  # the message itself is not logged


def test_a_replica_applies_the_good_announcement_after_bad_ones(
    tmp_path: Path, redis_server: RedisServer, issuer: TrustedIssuer
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    # It does not watch (1 h): only an announcement makes it look. No request is made after
    # the first, so nothing but the listener itself can keep it listening.
    settings = PolicySettings(model, policy, watch_interval=3600)

    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, policy=settings)
        assert replica.reloader is not None
        replica.reloader.ensure_running()
        announcer = replica.reloader.announcer
        assert isinstance(announcer, RedisAnnouncer)
        await until(lambda: announcer.connected, 5)
        first = replica.engine.version
        for message in BAD_MESSAGES.values():
            await raw_publish(redis_server.url, message)
        await asyncio.sleep(0.2)
        edit(policy, without_illinois_rule)  # and published
        await RedisAnnouncer(redis_server.url, CHANNEL).publish("a-new-version")
        await until(lambda: replica.engine.version != first, 3)
        await replica.aclose()

    asyncio.run(scenario())


class DyingAnnouncer:
    """An Announcer whose first listen() fails as a surprise; counts its listens."""

    def __init__(self) -> None:
        self.listens = 0

    async def publish(self, version: str) -> None:
        return None

    async def listen(self, on_change: Callable[[str | None], Awaitable[None]]) -> None:
        self.listens += 1
        if self.listens == 1:
            raise RecursionError("maximum recursion depth exceeded")
        await on_change(None)
        await asyncio.Event().wait()


def test_a_listener_that_dies_restarts_by_itself(tmp_path: Path) -> None:
    model, policy = copy_pack(tmp_path)
    settings = PolicySettings(model, policy, watch_interval=3600, require_manifest=False)
    installed: list[PolicyEngine] = [load_engine(settings)]
    announcer = DyingAnnouncer()
    reloader = PolicyReloader(
        load=lambda: load_engine(settings),
        current=lambda: installed[-1],
        swap=installed.append,
        paths=(model, policy),
        interval=3600,
        announcer=announcer,
    )

    async def scenario() -> None:
        reloader.ensure_running()  # once, as the first request would; never again
        await until(lambda: announcer.listens >= 2, 5)
        assert reloader.health()["watching"]
        reloader.stop()

    asyncio.run(scenario())
