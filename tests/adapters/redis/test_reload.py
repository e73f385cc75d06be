"""Policy reload: a valid edit is swapped in, an invalid one is refused, replicas follow.

The pack is copied to a temporary directory and edited there: dropping the five-year
Illinois rule turns the Illinois State Police's 451 into a 200.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from jurisgate.middleware import PolicySettings, TrustedIssuer

from .app import (
    announcer,
    client,
    copy_pack,
    edit,
    gate,
    publish,
    status_of,
    until,
    with_row,
    without_illinois_rule,
)
from .conftest import MakeToken, RedisServer

pytestmark = pytest.mark.redis

FOLLOW = 2.0  # seconds within which every replica must run the new policy (issue #3)


def test_valid_edit_is_loaded_invalid_edit_keeps_last_good(
    tmp_path: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, policy = copy_pack(tmp_path)
    # Without a manifest (the behaviour before `policy publish`): an invalid file is refused.
    settings = PolicySettings(model, policy, watch_interval=0.05, require_manifest=False)
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=settings)
        first = replica.engine.version
        async with client(replica) as http:
            assert await status_of(http, police) == 451  # also starts the watcher
            edit(policy, without_illinois_rule)
            await until(lambda: replica.engine.version != first, FOLLOW)
            assert await status_of(http, police) == 200  # the old local entry is unreachable
            good = replica.engine.version

            edit(
                policy,
                with_row("p, broken, maybe, *, US, *, *, *, *, *, *, , , , "),
                published=False,
            )
            await until(lambda: replica.reloader is not None and replica.reloader.rejected, 2)
            assert replica.engine.version == good
            assert await status_of(http, police) == 200

            fixed = "p, fixed, deny, foreign_government"
            edit(policy, lambda text: text.replace("p, broken, maybe, *", fixed))
            await until(lambda: replica.engine.version != good, FOLLOW)
            health = replica.health()["reload"]
            assert isinstance(health, dict)
            assert health["reloads"] == 2
            assert health["last_error"] is None
        await replica.aclose()

    with caplog.at_level(logging.INFO, logger="jurisgate.reload"):
        asyncio.run(scenario())
    refusals = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.ERROR
    assert "policy.csv" in refusals[0].getMessage()


def test_a_reload_reaches_the_other_replica_also_after_redis_came_back(
    tmp_path: Path, redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    police = make_token("state_law_enforcement", "US", "US-IL")
    texas = make_token("state_agency", "US", "US-TX")

    async def scenario() -> None:
        # Replica one watches the files; replica two effectively does not (1 h) and can only
        # learn of the change from the announcement.
        one = gate(issuer, redis_url=redis_server.url, policy=PolicySettings(model, policy, 0.05))
        two = gate(issuer, redis_url=redis_server.url, policy=PolicySettings(model, policy, 3600))
        async with client(one) as first, client(two) as second:
            assert await status_of(first, police) == 451
            assert await status_of(second, police) == 451
            assert await status_of(second, texas) == 200
            await until(lambda: announcer(two).connected, 5)

            before = two.engine.version
            edit(policy, without_illinois_rule)
            await until(lambda: two.engine.version != before, FOLLOW)
            assert await status_of(second, police) == 200
            assert two.engine.version == one.engine.version

            redis_server.kill()
            await until(lambda: not announcer(two).connected, 5)
            redis_server.start()
            await until(lambda: announcer(two).connected and announcer(one).connected, 5)

            before = two.engine.version
            edit(
                policy,
                with_row("p, no-state-agencies, deny, state_agency, US, *, *, *, *, *, *, , , , "),
            )
            await until(lambda: two.engine.version != before, FOLLOW)
            assert two.engine.version == one.engine.version
            assert await status_of(second, texas) == 403  # an uncited deny
        await one.aclose()
        await two.aclose()

    asyncio.run(scenario())
