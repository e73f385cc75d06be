"""A Redis outage costs speed, never correctness: kill, SIGSTOP and flapping mid-run.

Correctness is asserted (every answer is the decision table's); latency is only bounded
generously (no request may hang), never measured.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from jurisgate.middleware import CacheSettings, TrustedIssuer

from .app import HANG, TABLE, client, gate, status_of, tier, until
from .conftest import MakeToken, RedisServer

pytestmark = pytest.mark.redis

TIMEOUT = CacheSettings().socket_timeout  # the production default


async def table_round(http: httpx.AsyncClient, make_token: MakeToken) -> None:
    for entity, country, region, expected in TABLE:
        async with asyncio.timeout(HANG):
            status = await status_of(http, make_token(entity, country, region))
        assert status == expected, (entity, region, status)


def test_killed_then_restarted(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, socket_timeout=TIMEOUT)
        async with client(replica) as http:
            await table_round(http, make_token)

            redis_server.kill()
            for _ in range(3):
                await table_round(http, make_token)
            assert tier(replica).breaker.state == "open"
            health = replica.health()
            assert health["status"] == "degraded"
            shared = health["shared_cache"]
            assert isinstance(shared, dict)
            assert shared["last_error"]

            redis_server.start()  # same port, empty
            await until(lambda: tier(replica).breaker.state == "closed")
            hits_before = tier(replica).counts["hits"]
            for _ in range(20):  # the first round writes the entries again, later ones read them
                await table_round(http, make_token)
                if tier(replica).counts["hits"] > hits_before:
                    break
            assert tier(replica).counts["hits"] > hits_before
        await replica.aclose()

    asyncio.run(scenario())


def test_stopped_redis_is_skipped_then_used_again(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, socket_timeout=TIMEOUT)
        async with client(replica) as http:
            await table_round(http, make_token)
            redis_server.pause()  # accepts connections, never answers: only timeouts
            for _ in range(3):
                await table_round(http, make_token)
            assert tier(replica).breaker.state == "open"
            assert tier(replica).counts["skipped"] > 0

            redis_server.resume()
            await until(lambda: tier(replica).breaker.state == "closed")
            hits_before = tier(replica).counts["hits"]
            for _ in range(20):
                await table_round(http, make_token)
                if tier(replica).counts["hits"] > hits_before:
                    break
            assert tier(replica).counts["hits"] > hits_before
        await replica.aclose()

    asyncio.run(scenario())


def test_flapping_redis_never_changes_an_answer(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    async def flap(stop: asyncio.Event) -> None:
        rng = random.Random(3)
        while not stop.is_set():
            redis_server.pause()
            await asyncio.sleep(rng.uniform(0.01, 0.15))
            redis_server.resume()
            await asyncio.sleep(rng.uniform(0.01, 0.15))

    async def scenario() -> None:
        replica = gate(
            issuer, redis_url=redis_server.url, breaker_cooldown=0.05, socket_timeout=TIMEOUT
        )
        stop = asyncio.Event()
        flapper = asyncio.create_task(flap(stop))
        async with client(replica) as http:
            for _ in range(15):
                await asyncio.gather(*(table_round(http, make_token) for _ in range(3)))
        stop.set()
        await flapper
        if redis_server.paused:
            redis_server.resume()
        await replica.aclose()

    asyncio.run(scenario())
