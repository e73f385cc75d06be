"""Replicas on a real three-primary Redis Cluster (three replicas for failover): decisions
shared, reloads announced on a shard channel, audit records streamed, and a primary killed
mid-run without a wrong answer or a 5xx."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import redis

from jurisgate.adapters.audit_stream import RedisStreamSink
from jurisgate.adapters.redis_connect import RedisTarget
from jurisgate.middleware import PolicySettings, TrustedIssuer
from jurisgate.middleware.audit.log import AuditLog

from .app import (
    HANG,
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
    without_illinois_rule,
)
from .conftest import MakeToken
from .topologies import PASSWORD, Cluster

pytestmark = pytest.mark.redis

CHANNEL = "jurisgate:policy"
CLUSTER = {"cluster": True}


def _subscribed(cluster: Cluster) -> int:
    """Subscribers of the shard channel on the primary that owns its slot."""
    with redis.Redis(port=cluster.primary_of(CHANNEL).port, password=PASSWORD) as node:
        (_, subscribers), *_ = node.execute_command("PUBSUB SHARDNUMSUB", CHANNEL)
    return int(subscribers)


def test_replicas_share_decisions_reloads_and_audit_through_a_cluster(
    tmp_path: Path, redis_cluster: Cluster, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    topology = CLUSTER
    sink = RedisStreamSink(RedisTarget(url=redis_cluster.url, cluster=True), timeout=1.0)

    async def scenario() -> None:
        # Replica one watches the policy files; replica two only hears the announcement.
        one = gate_from_file(
            tmp_path,
            cache=f'redis_url = "{redis_cluster.url}"\ncluster = true\n',
            policy=(model, policy),
            watch_interval=0.05,
        )
        two = gate(
            issuer,
            redis_url=redis_cluster.url,
            policy=PolicySettings(model, policy, 3600),
            topology=topology,
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
            # A coordinated failover moves the channel's slot: the server unsubscribes us
            # and the listener subscribes again on the new owner.
            await asyncio.to_thread(redis_cluster.hand_over, redis_cluster.primary_of(CHANNEL), 10)
            await until(lambda: announcer(two).connected and _subscribed(redis_cluster) == 2, 5)
            police = make_token("state_law_enforcement", "US", "US-IL")
            before = two.engine.version
            edit(policy, without_illinois_rule)
            await until(lambda: two.engine.version != before, 2.0)
            assert announcer(two).heard >= 1
            assert await status_of(second, police) == 200
        await one.aclose()
        await two.aclose()

    try:
        asyncio.run(scenario())
        assert sink.flush(5)
    finally:
        sink.close()
    assert sink.failed == 0
    with redis.RedisCluster.from_url(redis_cluster.url) as plain:
        assert plain.xlen(sink.stream) == len(TABLE)  # replica one's records
        # Decision keys are spread over the primaries, each operation on one key.
        holders = [n for n in plain.get_primaries() if plain.dbsize(target_nodes=n) > 0]
    assert len(holders) >= 2


@pytest.mark.slow
def test_a_primary_killed_mid_run_costs_no_answer(
    tmp_path: Path, redis_cluster: Cluster, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    # The primary that owns the reload channel dies; the replicas reach the cluster through
    # a node that survives.
    victim = redis_cluster.primary_of(CHANNEL)
    entry = next(n for n in redis_cluster.nodes if n is not victim)
    url = redis_cluster.url_of(entry)
    tokens = [(make_token(e, c, r), expected) for e, c, r, expected in TABLE]
    # The breaker opens on the first failed call. With the default (3 in a row) whether it
    # opens at all is a race: a request whose key the dead primary served fails twice (GET,
    # SET) and the next one, served by a live primary, resets the count; only while the
    # cluster is down for every key (between the victim's FAIL flag and its replica's
    # promotion, 0.5-1 s) do calls fail in a row, and redis-py waits 0.25 s on each, so a
    # loaded machine may get fewer than three in. The threshold has its own test (test_codec.py).
    topology = {**CLUSTER, "breaker_failures": 1}

    async def scenario() -> None:
        one = gate(
            issuer, redis_url=url, policy=PolicySettings(model, policy, 0.05), topology=topology
        )
        two = gate(
            issuer, redis_url=url, policy=PolicySettings(model, policy, 3600), topology=topology
        )
        stop = asyncio.Event()
        seen: list[int] = []
        async with client(one) as first, client(two) as second:
            runs = [
                asyncio.create_task(serve_table(http, tokens, stop, seen))
                for http in (first, second)
            ]
            await until(lambda: announcer(two).connected and len(seen) > 50, 5)
            victim.kill()
            await asyncio.to_thread(redis_cluster.wait_failed_over, victim, 15)
            # Each replica's breaker closes again and it reads shared entries again.
            await until(lambda: all(tier(r).breaker.is_closed for r in (one, two)), 10)
            assert tier(one).counts["skipped"] + tier(two).counts["skipped"] > 0  # it was open
            hits = tier(two).counts["hits"]
            await until(lambda: tier(two).counts["hits"] > hits, 5)
            stop.set()
            await asyncio.gather(*runs)  # raises if any answer was wrong
            # And the announcement follows the channel's slot to the new primary.
            await until(lambda: announcer(two).connected, 10)
            before = two.engine.version
            edit(policy, without_illinois_rule)
            await until(lambda: two.engine.version != before, 5)
        assert len(seen) > 100
        await one.aclose()
        await two.aclose()

    asyncio.run(scenario())


@pytest.mark.slow
@pytest.mark.parametrize("redis_cluster", [0], indirect=True)  # no replicas
def test_a_primary_lost_for_good_keeps_the_tier_skipped(
    redis_cluster: Cluster,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without a replica to take over, the cluster is down for good: the replicas decide
    locally, and the breaker stays open (a probe asks every primary, not one node that would
    answer PONG while the cluster refuses every key)."""
    victim = redis_cluster.nodes[1]  # the replicas reach the cluster through nodes[0]

    async def scenario() -> None:
        replica = gate(issuer, redis_url=redis_cluster.url, breaker_cooldown=0.05, topology=CLUSTER)
        async with client(replica) as http:
            victim.kill()
            deadline = asyncio.get_running_loop().time() + 3  # node timeout (1 s) and more
            while asyncio.get_running_loop().time() < deadline:
                for entity, country, region, expected in TABLE:
                    async with asyncio.timeout(HANG):
                        status = await status_of(http, make_token(entity, country, region))
                    assert status == expected
                await asyncio.sleep(0.05)
            assert tier(replica).breaker.state == "open"
        await replica.aclose()

    with caplog.at_level(logging.WARNING, logger="jurisgate.cache"):
        asyncio.run(scenario())
    assert not [r for r in caplog.records if "is back" in r.getMessage()]
