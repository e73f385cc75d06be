"""With a PostgreSQL store, neither half a push nor half a model file is ever applied.

The rows: ``policy push`` replaces them in one transaction and a replica reads them with one
statement, so it sees the rows of one commit, never a push in progress (this held before
issue #12 too; the test keeps it so). The model stays a file: a replica that watches it
applies it only as ``jurisgate policy publish`` recorded it (issue #12, finding 1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from jurisgate.admin.policy_publish import publish_policy
from jurisgate.admin.push import push_policy
from jurisgate.middleware import PolicySettings, TrustedIssuer
from jurisgate.middleware.errors import ConfigError

from ..redis.app import client, gate, status_of, until
from ..redis.conftest import MakeToken

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

pytestmark = pytest.mark.postgres

WATCH = 0.05


def test_a_push_in_progress_is_never_seen(
    store_settings: PolicySettings, pack_policy: Path, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    push_policy(store_settings, pack_policy)
    dsn = store_settings.store
    assert dsn is not None
    table = sql.Identifier(store_settings.store_table)
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=store_settings)
        first = replica.engine.version
        try:
            async with client(replica) as http:
                assert await status_of(http, police) == 451  # starts the watcher
                with psycopg.connect(dsn) as writer:
                    # A push half done: the deny rows gone, the allows still there.
                    writer.execute(sql.SQL("DELETE FROM {} WHERE vals[2] = 'deny'").format(table))
                    for _ in range(int(0.5 / WATCH)):
                        assert await status_of(http, police) == 451
                        await asyncio.sleep(WATCH)
                    assert replica.engine.version == first
                    writer.rollback()
                assert replica.reloader is not None
                assert replica.reloader.rejected == 0
                assert replica.engine.version == first
        finally:
            await replica.aclose()

    asyncio.run(scenario())


def test_the_model_file_is_applied_only_as_published(
    store_settings: PolicySettings, pack_policy: Path, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    push_policy(store_settings, pack_policy)
    model = store_settings.model
    assert model is not None
    text = model.read_text(encoding="utf-8")
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=store_settings)
        first = replica.engine.version
        try:
            async with client(replica) as http:
                assert await status_of(http, police) == 451
                with model.open("w", encoding="utf-8") as file:  # two writes, a pause between
                    file.write(text[: text.index("[matchers]")])
                    file.flush()
                    await asyncio.sleep(0.3)
                    file.write(text[text.index("[matchers]") :] + "# v2\n")
                await asyncio.sleep(0.3)
                assert replica.engine.version == first  # complete, but not yet published
                assert replica.reloader is not None
                assert replica.reloader.health()["waiting"] is not None
                assert await status_of(http, police) == 451
                publish_policy(store_settings)
                await until(lambda: replica.engine.version != first, 2.0)
                assert await status_of(http, police) == 451
        finally:
            await replica.aclose()

    asyncio.run(scenario())


def test_a_store_replica_needs_its_model_published(
    store_settings: PolicySettings,
    pack_policy: Path,
    issuer: TrustedIssuer,
    startup_failure: StartupFailureOf,
) -> None:
    push_policy(store_settings, pack_policy)
    assert store_settings.manifest_path is not None
    store_settings.manifest_path.unlink()
    unpublished = gate(issuer, redis_url=None, policy=store_settings)
    assert "jurisgate policy publish" in startup_failure(unpublished, ConfigError)
