"""Replicas follow a policy pushed into the store: by polling it, and at once on a Redis
announcement from ``jurisgate policy push``."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from jurisgate.adapters.redis_pubsub import RedisAnnouncer
from jurisgate.admin.cli import main
from jurisgate.admin.push import push_policy
from jurisgate.middleware import JurisdictionMiddleware, PolicySettings, TrustedIssuer

from ..redis.app import client, gate, status_of, until, without_illinois_rule
from ..redis.conftest import HMAC_KEY, ISSUER, MakeToken, RedisServer

pytestmark = pytest.mark.postgres

FOLLOW = 2.0  # seconds within which every replica must run the new policy (issue #3)


def without_illinois(pack_policy: Path) -> Path:
    edited = pack_policy.with_name("no-illinois.csv")
    edited.write_text(without_illinois_rule(pack_policy.read_text(encoding="utf-8")))
    return edited


def test_a_replica_polls_the_store_and_refuses_a_bad_row(
    store_settings: PolicySettings,
    pack_policy: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
) -> None:
    push_policy(store_settings, pack_policy)
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=store_settings)
        first = replica.engine.version
        try:
            async with client(replica) as http:
                assert await status_of(http, police) == 451  # also starts the watcher
                await asyncio.to_thread(push_policy, store_settings, without_illinois(pack_policy))
                await until(lambda: replica.engine.version != first, FOLLOW)
                assert await status_of(http, police) == 200
                good = replica.engine.version

                # Someone edits the table by hand and breaks a row: refused, last good stays.
                assert store_settings.store is not None
                with psycopg.connect(store_settings.store) as conn:
                    conn.execute(
                        sql.SQL("UPDATE {} SET vals[2] = 'maybe' WHERE position = 1").format(
                            sql.Identifier(store_settings.store_table)
                        )
                    )
                await until(lambda: replica.reloader is not None and replica.reloader.rejected)
                assert replica.engine.version == good
                assert await status_of(http, police) == 200
                health = replica.health()["reload"]
                assert isinstance(health, dict)
                assert "effect must be 'allow' or 'deny'" in str(health["last_error"])
                assert f"postgresql:{store_settings.store_table}#1" in str(health["last_error"])
        finally:
            await replica.aclose()

    asyncio.run(scenario())


def test_replicas_reload_when_policy_push_announces(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Store polling is slowed to an hour, so only the announcement can bring the change."""
    push_policy(store_settings, pack_policy)
    settings = replace(store_settings, watch_interval=3600)
    assert settings.model is not None
    assert settings.store is not None
    (tmp_path / "hmac.key").write_bytes(HMAC_KEY)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        f'[[issuers]]\nissuer = "{ISSUER}"\naudience = "a"\nalgorithms = ["HS256"]\n'
        'public_key_file = "hmac.key"\n\n'
        f'[policy]\nmodel = "{settings.model}"\nstore = "{settings.store}"\n'
        f'store_table = "{settings.store_table}"\n\n'
        f'[cache]\nredis_url = "{redis_server.url}"\n'
    )
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replicas = [
            gate(issuer, redis_url=redis_server.url, local_max_entries=100, policy=settings)
            for _ in range(2)
        ]
        first = replicas[0].engine.version
        try:
            for replica in replicas:
                async with client(replica) as http:
                    assert await status_of(http, police) == 451  # starts watcher and listener

            def subscribed() -> bool:
                return all(listening(r).connected for r in replicas)

            await until(subscribed, 5)
            argv = ["policy", "push", "--config", str(config), str(without_illinois(pack_policy))]
            assert await asyncio.to_thread(main, argv) == 0
            await until(lambda: all(r.engine.version != first for r in replicas), FOLLOW)
            for replica in replicas:
                async with client(replica) as http:
                    assert await status_of(http, police) == 200
                assert listening(replica).heard >= 1
        finally:
            for replica in replicas:
                await replica.aclose()

    asyncio.run(scenario())
    assert "announced on Redis channel jurisgate:policy" in capsys.readouterr().out


def listening(replica: JurisdictionMiddleware) -> RedisAnnouncer:
    assert replica.reloader is not None
    assert isinstance(replica.reloader.announcer, RedisAnnouncer)
    return replica.reloader.announcer
