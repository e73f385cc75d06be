"""Replicas on a real Sentinel deployment (a primary, its replica, two sentinels, each with a
password): decisions shared, reloads announced and audit records streamed through the primary
the sentinels name, and the primary killed mid-run without a wrong answer or a 5xx."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import redis

from jurisgate.adapters.audit_stream import RedisStreamSink
from jurisgate.adapters.factory import redis_target
from jurisgate.admin.cli import main
from jurisgate.middleware import (
    CacheSettings,
    PolicySettings,
    TrustedIssuer,
)
from jurisgate.middleware.audit.log import AuditLog

from .app import (
    TABLE,
    announcer,
    client,
    copy_pack,
    edit,
    gate,
    gate_from_file,
    publish,
    serve_table,
    status_of,
    tier,
    until,
    with_row,
    without_illinois_rule,
)
from .conftest import MakeToken
from .topologies import PASSWORD, SENTINEL_PASSWORD, SERVICE, Sentinels

pytestmark = pytest.mark.redis

NO_STATE_AGENCIES = "p, no-state-agencies, deny, state_agency, US, *, *, *, *, *, *, , , , "


@pytest.fixture
def topology(redis_sentinels: Sentinels, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The [cache] keys for the deployment; the passwords are in the environment."""
    monkeypatch.setenv("TEST_REDIS_PASSWORD", PASSWORD)
    monkeypatch.setenv("TEST_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
    return {
        "redis_url": None,
        "sentinels": tuple(redis_sentinels.addresses),
        "sentinel_service": SERVICE,
        "password_env": "TEST_REDIS_PASSWORD",
        "sentinel_password_env": "TEST_SENTINEL_PASSWORD",
    }


def test_replicas_share_decisions_reloads_and_audit_through_sentinel(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    redis_sentinels: Sentinels,
    topology: dict[str, Any],
    issuer: TrustedIssuer,
    make_token: MakeToken,
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    target = redis_target(dataclasses.replace(CacheSettings(), **topology))
    assert target is not None
    sink = RedisStreamSink(target, timeout=1.0)

    async def scenario() -> None:
        # Replica one watches the policy files; replica two only hears the announcement.
        sentinels = ", ".join(f'"{address}"' for address in redis_sentinels.addresses)
        one = gate_from_file(
            tmp_path,
            cache=f'sentinels = [{sentinels}]\nsentinel_service = "{SERVICE}"\n'
            'password_env = "TEST_REDIS_PASSWORD"\n'
            'sentinel_password_env = "TEST_SENTINEL_PASSWORD"\n',
            policy=(model, policy),
            watch_interval=0.05,
        )
        two = gate(
            issuer, redis_url=None, policy=PolicySettings(model, policy, 3600), topology=topology
        )
        one.audit = AuditLog(observers=[sink])
        async with client(one) as first, client(two) as second:
            for entity, country, region, expected in TABLE:
                token = make_token(entity, country, region)
                assert await status_of(first, token) == expected, entity
                assert await status_of(second, token) == expected, entity
            assert tier(two).counts["hits"] >= len(TABLE)  # replica two used one's work
            assert tier(one).counts["errors"] == tier(two).counts["errors"] == 0

            await until(lambda: announcer(two).connected, 5)
            police = make_token("state_law_enforcement", "US", "US-IL")
            before = two.engine.version
            edit(policy, without_illinois_rule)
            await until(lambda: two.engine.version != before, 2.0)
            assert announcer(two).heard >= 1
            assert await status_of(second, police) == 200

            # `jurisgate policy publish` announces through the primary the sentinels name
            # (replica one stopped: the announcement can only be the command's).
            await one.aclose()
            before = two.engine.version
            edit(policy, with_row(NO_STATE_AGENCIES), published=False)
            argv = ["policy", "publish", "--config", str(tmp_path / "jurisgate.toml")]
            assert await asyncio.to_thread(main, argv) == 0
            await until(lambda: two.engine.version != before, 2.0)
            texas = make_token("state_agency", "US", "US-TX")
            assert await status_of(second, texas) == 403
        await two.aclose()

    try:
        asyncio.run(scenario())
        assert sink.flush(5)
    finally:
        sink.close()
    assert "announced on Redis channel jurisgate:policy" in capsys.readouterr().out
    assert sink.failed == 0
    with redis.Redis(port=redis_sentinels.primary.port, password=PASSWORD) as primary:
        assert primary.xlen(sink.stream) == len(TABLE)  # replica one's records
        assert primary.keys("jurisgate:decision:*")


@pytest.mark.slow
def test_a_primary_killed_mid_run_costs_no_answer(
    tmp_path: Path,
    redis_sentinels: Sentinels,
    topology: dict[str, Any],
    issuer: TrustedIssuer,
    make_token: MakeToken,
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    tokens = [(make_token(e, c, r), expected) for e, c, r, expected in TABLE]

    async def scenario() -> None:
        one = gate(
            issuer, redis_url=None, policy=PolicySettings(model, policy, 0.05), topology=topology
        )
        two = gate(
            issuer, redis_url=None, policy=PolicySettings(model, policy, 3600), topology=topology
        )
        stop = asyncio.Event()
        seen: list[int] = []
        async with client(one) as first, client(two) as second:
            runs = [
                asyncio.create_task(serve_table(http, tokens, stop, seen))
                for http in (first, second)
            ]
            await until(lambda: announcer(two).connected and len(seen) > 50, 5)
            redis_sentinels.primary.kill()
            await until(lambda: redis_sentinels.primary_port() == redis_sentinels.replica.port, 15)
            # Each replica's breaker closes again and it reads shared entries again.
            await until(lambda: all(tier(r).breaker.is_closed for r in (one, two)), 10)
            assert tier(one).counts["skipped"] + tier(two).counts["skipped"] > 0  # it was open
            hits = tier(two).counts["hits"]
            await until(lambda: tier(two).counts["hits"] > hits, 5)
            stop.set()
            await asyncio.gather(*runs)  # raises if any answer was wrong
            # And announcements now go through the new primary.
            await until(lambda: announcer(two).connected, 10)
            before = two.engine.version
            edit(policy, without_illinois_rule)
            # Pub/sub is at most once: an announcement sent while the new primary's subscribers
            # are still re-subscribing can be lost (each replica's own watch interval is the
            # backstop). So announce again, by editing again, until the second replica hears.
            for attempt in range(8):
                try:
                    await until(lambda: two.engine.version != before, 2.5)
                    break
                except TimeoutError:
                    row = f"p, again-{attempt}, deny, anonymous, *, *, *, *, *, /x{attempt}, GET"
                    row += ", , , , "
                    edit(policy, with_row(row))
            else:
                pytest.fail("no announcement reached the second replica after the failover")
        assert len(seen) > 100
        await one.aclose()
        await two.aclose()

    asyncio.run(scenario())
