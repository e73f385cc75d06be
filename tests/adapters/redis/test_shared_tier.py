"""The Redis decision tier against a real redis-server: keys, expiry, replicas, forgeries."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis

from jurisgate.adapters.redis_cache import RedisDecisionCache, redis_client
from jurisgate.adapters.redis_codec import redis_key, seal_entry
from jurisgate.middleware import Decision, FixedClock, TrustedIssuer
from jurisgate.middleware.cache.lru import DecisionKey
from jurisgate.middleware.claims.principal import PolicyView
from jurisgate.middleware.decision.engine import PolicyEngine

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

from .app import TABLE, client, gate, status_of
from .conftest import AT, CACHE_SECRET, MakeToken, RedisServer

pytestmark = pytest.mark.redis

SECRET = CACHE_SECRET.encode()
KEY: DecisionKey = (
    "v1",
    PolicyView("state_agency", "US", "US-TX", "state_agency", "US-TX", "official"),
    "GET",
    "/search",
)
ALLOW = Decision("allow", 200, "us-government-search", None, "v1", AT + 3600)


async def keys(url: str, pattern: str = "*") -> list[bytes]:
    plain = aioredis.Redis.from_url(url)
    try:
        return sorted([key async for key in plain.scan_iter(match=pattern)])
    finally:
        await plain.aclose()


def cache_for(server: RedisServer, *, max_ttl: float) -> RedisDecisionCache:
    """The tier with a 1 s budget per call, as ``app.gate`` gives it: these tests are about
    keys, expiry and entries. With the production default (50 ms, which the outage tests use)
    a first call that also connects can miss its deadline on a loaded machine, and the tier
    then does what it must with a slow Redis: a ``set`` is dropped, a ``get`` is a miss."""
    return RedisDecisionCache(
        redis_client(server.url, timeout=1.0),
        secret=SECRET,
        timeout=1.0,
        clock=FixedClock(AT),
        max_ttl=max_ttl,
    )


def test_roundtrip_under_the_prefix_with_a_bounded_ttl(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        cache = cache_for(redis_server, max_ttl=60)
        try:
            await cache.set(KEY, ALLOW, AT + 30)
            assert await cache.get(KEY, AT + 1) == ALLOW
            assert await cache.get(KEY, AT + 30) is None  # the entry's own expiry is checked
            other = ("v1", PolicyView("private_company", "US", "US-TX"), "GET", "/search")
            assert await cache.get(other, AT) is None
            (name,) = await keys(redis_server.url)
            assert name.decode() == redis_key("jurisgate:", KEY)
            assert name.startswith(b"jurisgate:decision:")
            assert b"state_agency" not in name  # hashed: no inputs in clear, no raw token
            plain = aioredis.Redis.from_url(redis_server.url)
            ttl_ms = await plain.pttl(name)
            await plain.aclose()
            assert 0 < ttl_ms <= 30_000
            assert cache.counts["errors"] == 0
        finally:
            await cache.aclose()

    asyncio.run(scenario())


def test_entry_never_outlives_valid_until_nor_max_ttl(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        cache = cache_for(redis_server, max_ttl=20)
        plain = aioredis.Redis.from_url(redis_server.url)
        try:
            soon = Decision("allow", 200, "r", None, "v1", AT + 5)  # a rule changes in 5 s
            await cache.set(KEY, soon, AT + 300)
            name = redis_key("jurisgate:", KEY)
            assert 0 < await plain.pttl(name) <= 5_000
            assert await cache.get(KEY, AT + 5) is None
            later = ("v1", KEY[1]._replace(region="US-NY"), "GET", "/search")
            await cache.set(later, ALLOW, AT + 300)
            assert 0 < await plain.pttl(redis_key("jurisgate:", later)) <= 20_000
            assert cache.counts["errors"] == 0
        finally:
            await plain.aclose()
            await cache.aclose()

    asyncio.run(scenario())


def test_two_replicas_agree_and_share(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    async def scenario() -> None:
        one = gate(issuer, redis_url=redis_server.url)
        two = gate(issuer, redis_url=redis_server.url)
        async with client(one) as first, client(two) as second:
            for entity, country, region, expected in TABLE:
                token = make_token(entity, country, region)
                assert await status_of(first, token) == expected, entity
                assert await status_of(second, token) == expected, entity
        assert isinstance(two.shared_cache, RedisDecisionCache)
        assert two.shared_cache.counts["hits"] >= len(TABLE)  # replica two used one's work
        assert await keys(redis_server.url, "jurisgate:decision:*")
        assert two.health()["status"] == "ok"
        await one.aclose()
        await two.aclose()

    asyncio.run(scenario())


def test_forged_and_replayed_entries_are_not_honoured(
    redis_server: RedisServer,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An attacker with write access to Redis cannot turn a 451 into a 200."""

    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url)
        assert isinstance(replica.engine, PolicyEngine)
        version = replica.engine.version
        fed = "federal_law_enforcement"
        allowed = (version, PolicyView(fed, "US", "US-DC", fed, "US"), "GET", "/search")
        denied = (version, PolicyView("private_company", "US", "US-TX"), "GET", "/search")
        denied_name = redis_key("jurisgate:", denied)
        fbi = make_token("federal_law_enforcement", "US", "US-DC")
        company = make_token("private_company", "US", "US-TX")
        plain = aioredis.Redis.from_url(redis_server.url)
        async with client(replica) as http:
            assert await status_of(http, fbi) == 200  # writes a genuine allow entry
            genuine = await plain.get(redis_key("jurisgate:", allowed))
            assert genuine is not None
            forged_allow = Decision("allow", 200, "us-government-search", None, version)
            forgeries = {
                "replayed": genuine,  # a valid MAC, but over another principal's key
                "wrong secret": seal_entry(b"x" * 32, denied_name, forged_allow, AT + 300),
                "garbage": b"0" * 64 + b'.{"effect":"allow","status":200}',
                "not ours": b"allow",
            }
            for label, entry in forgeries.items():
                await plain.set(denied_name, entry)
                assert await status_of(http, company) == 451, label
        await plain.aclose()
        await replica.aclose()
        assert isinstance(replica.shared_cache, RedisDecisionCache)
        assert replica.shared_cache.counts["rejected"] == len(forgeries)

    with caplog.at_level(logging.WARNING, logger="jurisgate.cache"):
        asyncio.run(scenario())
    reasons = " ".join(r.getMessage() for r in caplog.records if "refused" in r.getMessage())
    for reason in ("wrong_key", "bad_mac", "malformed"):
        assert reason in reasons


def test_concurrent_misses_compute_once(
    redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    calls: list[tuple[str, ...]] = []

    class CountingEngine(PolicyEngine):
        def decide_view(self, view: PolicyView, method: str, path: str, at: float) -> Decision:
            calls.append((*view[:3], method, path))
            return super().decide_view(view, method, path, at)

    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_server.url, local_max_entries=100)
        replica.engine = CountingEngine(replica.engine.source)
        token = make_token("local_law_enforcement", "US", "US-NY")
        async with client(replica) as http:
            statuses = await asyncio.gather(*(status_of(http, token) for _ in range(25)))
        assert statuses == [200] * 25
        assert calls.count(("local_law_enforcement", "US", "US-NY", "GET", "/search")) == 1
        assert len(replica.tiers._flights) == 0  # nothing left in flight
        await replica.aclose()

    asyncio.run(scenario())


def test_a_redis_without_a_secret_is_refused_at_start_up(
    redis_server: RedisServer, issuer: TrustedIssuer, startup_failure: StartupFailureOf
) -> None:
    from jurisgate.middleware import CacheSettings, ConfigError, JurisdictionMiddleware

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never reached")

    gate = JurisdictionMiddleware(
        app, issuers=[issuer], cache=CacheSettings(redis_url=redis_server.url)
    )
    assert "JURISGATE_CACHE_SECRET" in startup_failure(gate, ConfigError)
