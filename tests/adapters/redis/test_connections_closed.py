"""A closed replica leaves no Redis connection open, whatever the tier was doing when it closed.

The suite only warns about a socket that the garbage collector finds open (pyproject.toml):
such a socket is collected during whatever test happens to run at the time, so an error there
would fail a test that has nothing to do with it, and only now and then. These tests check for
leaks directly, with a full collection at the end of each scenario, so they fail in the test
that caused the leak, every time.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis.asyncio.connection import AbstractConnection

from jurisgate.middleware import CacheSettings, PolicySettings, TrustedIssuer

from .app import client, copy_pack, gate, publish, status_of, tier, until
from .conftest import MakeToken, RedisServer

pytestmark = pytest.mark.redis


@contextmanager
def no_connection_left_open() -> Iterator[None]:
    """Fails unless every Redis connection made inside the block is closed by its end."""
    gc.collect()  # what earlier tests left is theirs
    leaked: list[str] = []
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, ResourceWarning):
            leaked.append(f"{unraisable.object!r}: {unraisable.exc_value}")
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
        still_open = [
            repr(c)
            for c in gc.get_objects()
            if isinstance(c, AbstractConnection) and c.is_connected
        ]
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert still_open == []
    assert leaked == []


def settings_for(tmp_path: Path) -> PolicySettings:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    return PolicySettings(model, policy, watch_interval=3600)


def test_the_tier_and_the_reload_listener_close_their_connections(
    tmp_path: Path, redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, policy=settings_for(tmp_path))
        async with client(replica) as http:
            assert await status_of(http, make_token("state_agency", "US", "US-TX")) == 200
            assert replica.reloader is not None
            announcer = replica.reloader.announcer
            await until(lambda: getattr(announcer, "connected", False))
            assert tier(replica).counts["misses"] >= 1  # the tier was really used
        await replica.aclose()

    with no_connection_left_open():
        asyncio.run(scenario())


def test_a_tier_that_recovered_closes_the_probes_connection(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    timeout = CacheSettings().socket_timeout

    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, socket_timeout=timeout)
        token = make_token("state_agency", "US", "US-TX")
        async with client(replica) as http:
            redis_server.pause()  # accepts connections, never answers
            for _ in range(5):
                assert await status_of(http, token) == 200
            assert tier(replica).breaker.state == "open"
            redis_server.resume()
            await until(lambda: tier(replica).breaker.state == "closed")
        await replica.aclose()

    with no_connection_left_open():
        asyncio.run(scenario())
