"""Item rules (``p2`` rows and ``[items] files``) follow the same reload path as the client
rules: a published change reaches the result filter and the app's own ``filter_items`` of a
running gate without a restart, and an invalid item rule is refused like an invalid client
rule (the last good rules stay in force)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jurisgate.middleware import JurisdictionMiddleware

from ..fixtures.live_items import (
    files_config,
    item_row,
    kept_ids,
    live_app,
    pack_policy_with,
    publish,
    publish_unchecked,
    write_live_config,
    write_policy,
)

pytestmark = pytest.mark.anyio

FOLLOW = 5.0  # seconds: many watch intervals (0.05 s), even on a loaded machine


async def until(condition: object, seconds: float = FOLLOW) -> None:
    assert callable(condition)
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the reloader runs in other tasks
            await asyncio.sleep(0.02)


def items_version(gate: JurisdictionMiddleware) -> str:
    return gate.checker.items.version


async def test_a_published_p2_change_reaches_the_filter_without_a_restart(tmp_path: Path) -> None:
    config = files_config(tmp_path, item_row("local-order", "DE"))
    gate = live_app(config)
    try:
        assert await kept_ids(gate) == (["fr-1", "es-1"], ["fr-1", "es-1"])
        first = items_version(gate)

        write_policy(tmp_path / "policy.csv", item_row("local-order", "ES"))
        await asyncio.sleep(0.3)  # written, not published: still the old rules
        assert await kept_ids(gate) == (["fr-1", "es-1"], ["fr-1", "es-1"])
        publish(config)
        await until(lambda: items_version(gate) != first)
        assert await kept_ids(gate) == (["fr-1", "de-1"], ["fr-1", "de-1"])
        assert gate.reloader is not None
        assert gate.reloader.rejected == 0
    finally:
        await gate.aclose()


async def test_an_invalid_p2_row_is_refused_and_the_old_item_rules_stay(tmp_path: Path) -> None:
    config = files_config(tmp_path, item_row("local-order", "DE"))
    gate = live_app(config)
    try:
        assert await kept_ids(gate) == (["fr-1", "es-1"], ["fr-1", "es-1"])
        engine_version = gate.engine.version
        # A valid client policy with a broken item rule, published by a tool that did not check
        # it (publish_policy would refuse it): the gate must refuse it itself.
        policy = tmp_path / "policy.csv"
        write_policy(policy, item_row("local-order", "ES", effect="allow"))
        publish_unchecked(config, policy)
        reloader = gate.reloader
        assert reloader is not None
        await until(lambda: reloader.rejected >= 1)
        assert "item rule 'local-order'" in str(reloader.last_error)
        assert f"{policy}:" in str(reloader.last_error)
        assert gate.engine.version == engine_version  # the client rules did not move either
        assert await kept_ids(gate) == (["fr-1", "es-1"], ["fr-1", "es-1"])
    finally:
        await gate.aclose()


async def test_an_items_file_change_is_applied_once_published(tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_text(item_row("own-order", "FR") + "\n", encoding="utf-8")
    config = files_config(tmp_path, items_file=items)
    gate = live_app(config)
    try:
        assert await kept_ids(gate) == (["de-1", "es-1"], ["de-1", "es-1"])
        first = items_version(gate)
        items.write_text(item_row("own-order", "DE") + "\n", encoding="utf-8")
        await asyncio.sleep(0.3)  # not published yet
        assert await kept_ids(gate) == (["de-1", "es-1"], ["de-1", "es-1"])
        publish(config)
        await until(lambda: items_version(gate) != first)
        assert await kept_ids(gate) == (["fr-1", "es-1"], ["fr-1", "es-1"])
    finally:
        await gate.aclose()


def test_the_manifest_covers_the_items_files(tmp_path: Path) -> None:
    """A gate whose manifest does not record its [items] files does not start on them."""
    items = tmp_path / "items.csv"
    items.write_text(item_row("own-order", "FR") + "\n", encoding="utf-8")
    config = files_config(tmp_path, items_file=items)
    items.write_text(item_row("own-order", "DE") + "\n", encoding="utf-8")  # after publishing
    gate = live_app(config)
    assert gate.startup_failure is not None
    assert str(items) in gate.startup_failure.message


def test_a_gate_does_not_start_on_an_invalid_item_rule(tmp_path: Path) -> None:
    model, policy = pack_policy_with(tmp_path, item_row("local-order", "XX-NOWHERE"))
    config = write_live_config(
        tmp_path, f'model = "{model}"\npolicy = "{policy}"\nwatch_interval = 0'
    )
    gate = live_app(config)
    assert gate.startup_failure is not None
    assert f"[items] {policy}:" in gate.startup_failure.message
    assert "item rule 'local-order'" in gate.startup_failure.message
