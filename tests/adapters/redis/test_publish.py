"""A policy that was not completely written is never applied (issue #12, finding 1).

The pack is rewritten with its allow rows before its deny rows, so a file caught half-written
is a valid policy of allows only: the Illinois State Police would get 200. Each way of writing
a file (an editor's in-place write, ``cp``, two writes with a pause, truncate-then-write, an
atomic rename) must end in the old policy or the complete new one, never anything between:
the gate applies only a set of files whose digests a published manifest records.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jurisgate.adapters import load_policy_files
from jurisgate.adapters.redis_pubsub import RedisAnnouncer
from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import JurisdictionMiddleware, PolicySettings, TrustedIssuer
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import ConfigError

from .app import client, copy_pack, gate, status_of, until
from .conftest import MakeToken, RedisServer

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

pytestmark = pytest.mark.redis

PAUSE = 0.8  # seconds a writer stops half-way: many watch intervals (0.05 s)
NEW_ROW = "p, no-foreign-government, deny, foreign_government, *, *, *, *, *, *, *, , , , "


def allows_first(text: str) -> str:
    """The pack's rows with every allow before every deny: a prefix is all allows."""
    rows = [line for line in text.splitlines() if line.startswith("p,")]
    allows = [row for row in rows if ", allow," in row]
    denies = [row for row in rows if ", deny," in row]
    return "# allows first, then denies\n" + "\n".join(allows) + "\n" + "\n".join(denies) + "\n"


def prepared(tmp_path: Path) -> tuple[PolicySettings, Path, str, str]:
    """Copied pack with allows first, published: its settings, policy file, text, and a new
    text (still allows first, so its first part is allows only)."""
    model, policy = copy_pack(tmp_path)
    old = allows_first(policy.read_text(encoding="utf-8"))
    policy.write_text(old, encoding="utf-8")
    settings = PolicySettings(model, policy, watch_interval=0.05)
    publish_policy(settings)
    return settings, policy, old, old + NEW_ROW + "\n"


def allows_only(text: str) -> str:
    """The lines of ``text`` before its first deny row: what a writer's first part holds."""
    before_deny = text[: text.index(", deny,")]
    return before_deny[: before_deny.rindex("\n") + 1]


def version_of(settings: PolicySettings, text: str, tmp_path: Path) -> str:
    assert settings.model is not None
    elsewhere = tmp_path / "expected.csv"
    elsewhere.write_text(text, encoding="utf-8")
    return PolicyEngine(load_policy_files(settings.model, elsewhere)).version


Writer = Callable[[Path, str], Awaitable[None]]


async def in_place_like_an_editor(path: Path, text: str) -> None:
    # Same inode, written over in two chunks, then cut to length (vim's backupcopy=yes).
    with path.open("r+", encoding="utf-8") as file:
        file.write(text[: len(text) // 2])
        file.flush()
        await asyncio.sleep(PAUSE)
        file.write(text[len(text) // 2 :])
        file.truncate()


async def cp_over(path: Path, text: str) -> None:
    source = path.with_name("incoming.csv")
    source.write_text(text, encoding="utf-8")
    await asyncio.to_thread(subprocess.run, ["cp", str(source), str(path)], check=True)
    await asyncio.sleep(PAUSE)


async def two_writes_with_a_pause(path: Path, text: str) -> None:
    first = allows_only(text)
    with path.open("w", encoding="utf-8") as file:
        file.write(first)
        file.flush()
        await asyncio.sleep(PAUSE)
        file.write(text[len(first) :])


async def truncate_then_write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.flush()
        await asyncio.sleep(PAUSE)
        file.write(text)


async def atomic_rename(path: Path, text: str) -> None:
    temporary = path.with_name(".policy.csv.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    await asyncio.sleep(PAUSE)


WRITERS: dict[str, Writer] = {
    "editor in place": in_place_like_an_editor,
    "cp over the file": cp_over,
    "two writes with a pause": two_writes_with_a_pause,
    "truncate then write": truncate_then_write,
    "atomic rename": atomic_rename,
}


async def watch_statuses(replicas: list[JurisdictionMiddleware], token: str) -> list[int]:
    """Ask every replica as the Illinois State Police until cancelled; every status seen."""
    seen: list[int] = []
    clients = [client(replica) for replica in replicas]
    try:
        while True:
            for http in clients:
                seen.append(await status_of(http, token))
            await asyncio.sleep(0.005)
    except asyncio.CancelledError:
        return seen
    finally:
        for http in clients:
            await http.aclose()


@pytest.mark.parametrize("write", WRITERS.values(), ids=WRITERS.keys())
def test_only_the_old_or_the_complete_new_policy_is_ever_applied(
    tmp_path: Path, issuer: TrustedIssuer, make_token: MakeToken, write: Writer
) -> None:
    settings, policy, old, new = prepared(tmp_path)
    police = make_token("state_law_enforcement", "US", "US-IL")
    expected = version_of(settings, new, tmp_path)

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=settings)
        first = replica.engine.version
        assert first == version_of(settings, old, tmp_path)
        watching = asyncio.create_task(watch_statuses([replica], police))
        await until(lambda: replica.reloader is not None and replica.reloader.health()["watching"])
        await write(policy, new)
        await asyncio.sleep(0.3)  # written but not published: the old policy stays
        assert replica.engine.version == first
        publish_policy(settings)
        await until(lambda: replica.engine.version == expected, 2.0)
        await asyncio.sleep(0.1)
        watching.cancel()
        statuses = await watching
        await replica.aclose()
        assert statuses, "no request was made"
        assert set(statuses) == {451}, f"statuses seen: {sorted(set(statuses))}"

    asyncio.run(scenario())


def test_a_waiting_replica_says_so_and_keeps_the_old_policy(
    tmp_path: Path, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    settings, policy, _old, new = prepared(tmp_path)
    police = make_token("state_law_enforcement", "US", "US-IL")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=settings)
        first = replica.engine.version
        async with client(replica) as http:
            assert await status_of(http, police) == 451
            policy.write_text(allows_only(new), encoding="utf-8")
            await until(lambda: reload_state(replica).get("waiting") is not None, 2.0)
            assert "policy.csv" in str(reload_state(replica)["waiting"])
            assert replica.engine.version == first
            assert await status_of(http, police) == 451
            policy.write_text(new, encoding="utf-8")
            publish_policy(settings)
            await until(lambda: replica.engine.version != first, 2.0)
            assert reload_state(replica)["waiting"] is None
            assert await status_of(http, police) == 451
        await replica.aclose()

    asyncio.run(scenario())


def reload_state(replica: JurisdictionMiddleware) -> dict[str, object]:
    state = replica.health()["reload"]
    assert isinstance(state, dict)
    return state


def test_start_up_needs_a_published_policy_when_watching(
    tmp_path: Path,
    issuer: TrustedIssuer,
    caplog: pytest.LogCaptureFixture,
    startup_failure: StartupFailureOf,
) -> None:
    model, policy = copy_pack(tmp_path)
    settings = PolicySettings(model, policy, watch_interval=0.05)
    unpublished = gate(issuer, redis_url=None, policy=settings)
    assert "jurisgate policy publish" in startup_failure(unpublished, ConfigError)
    publish_policy(settings)
    policy.write_text(policy.read_text(encoding="utf-8") + NEW_ROW + "\n", encoding="utf-8")
    changed = gate(issuer, redis_url=None, policy=settings)
    assert "not what was published" in startup_failure(changed, ConfigError)
    # Not watching (read once at start-up), or explicitly not required: files as they are.
    unwatched = PolicySettings(model, policy, watch_interval=0)
    assert gate(issuer, redis_url=None, policy=unwatched).engine.rule("no-foreign-government")
    optional = PolicySettings(model, policy, watch_interval=0.05, require_manifest=False)
    with caplog.at_level(logging.WARNING, logger="jurisgate.reload"):
        assert gate(issuer, redis_url=None, policy=optional).engine.rule("no-foreign-government")
    assert "require_manifest = false" in caplog.text  # said at start-up: it is not safe


def test_an_announcement_never_spreads_a_partial_policy(
    tmp_path: Path, redis_server: RedisServer, issuer: TrustedIssuer, make_token: MakeToken
) -> None:
    settings, policy, _old, new = prepared(tmp_path)
    assert settings.model is not None
    police = make_token("state_law_enforcement", "US", "US-IL")
    expected = version_of(settings, new, tmp_path)
    # Replica two effectively does not watch (1 h): it moves only on announcements.
    deaf = PolicySettings(settings.model, policy, watch_interval=3600)

    async def scenario() -> None:
        one = gate(issuer, redis_url=redis_server.url, policy=settings)
        two = gate(issuer, redis_url=redis_server.url, policy=deaf)
        watching = asyncio.create_task(watch_statuses([one, two], police))
        await until(lambda: listening(one) and listening(two), 5)
        policy.write_text(allows_only(new), encoding="utf-8")
        # Someone (a replica caught mid-write, or anyone with Redis access) announces it.
        forger = RedisAnnouncer(redis_server.url, "jurisgate:policy")
        for _ in range(5):
            await forger.publish("0123456789abcdef")
            await asyncio.sleep(0.1)
        assert reload_state(two)["waiting"] is not None  # it checked, and it waits
        policy.write_text(new, encoding="utf-8")
        publish_policy(settings)
        await until(lambda: one.engine.version == two.engine.version == expected, 3.0)
        watching.cancel()
        statuses = await watching
        await one.aclose()
        await two.aclose()
        assert set(statuses) == {451}, f"statuses seen: {sorted(set(statuses))}"

    asyncio.run(scenario())


def listening(replica: JurisdictionMiddleware) -> bool:
    assert replica.reloader is not None
    announcer = replica.reloader.announcer
    return isinstance(announcer, RedisAnnouncer) and announcer.connected


def test_the_manifest_is_json_naming_each_file_and_its_digest(tmp_path: Path) -> None:
    settings, _policy, old, _new = prepared(tmp_path)
    manifest = json.loads((tmp_path / "policy-manifest.json").read_text(encoding="utf-8"))
    files = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert set(files) == {"model.conf", "policy.csv"}
    assert files["policy.csv"] == hashlib.sha256(old.encode()).hexdigest()
    assert manifest["version"] == version_of(settings, old, tmp_path)
    assert not list(tmp_path.glob("*.tmp")), "the temporary file was renamed, not left"
