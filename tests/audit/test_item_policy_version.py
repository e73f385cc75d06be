"""Which item rules the result filter applied, in the request's one audit record:
``item_policy_version`` beside ``removed`` (only when a filter ran), on the decided and the
remembered paths, in the file, on the logger and to observers alike.

``policy_version`` cannot say it: it is the client rules' version, which an ``[items]`` change
(packs, files, disabled rules) leaves as it is, and a filter may apply rules of its own."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jurisgate.middleware import (
    AUDIT_LOGGER,
    FixedClock,
    JurisdictionMiddleware,
)
from jurisgate.middleware.results import ItemPolicy, bundled_item_policy

from .test_file_sink_gate import NOW, config_file, get_all
from .test_removed_counts import COUNTS, filtered_app, observed_and_replayed

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

__all__ = ["config_file"]  # the fixture, shared


def file_records(config_file: Path) -> list[dict[str, Any]]:
    text = (config_file.parent / "logs" / "audit.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("logger_on", [False, True])
def test_a_filtered_answers_record_names_the_item_rules_in_force(
    config_file: Path,
    tokens: TokenFactory,
    logger_on: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO if logger_on else logging.WARNING, logger=AUDIT_LOGGER)
    gate = JurisdictionMiddleware(filtered_app(), config=config_file, clock=FixedClock(NOW))
    in_force = gate.checker.items.version
    assert in_force  # the configured item rules are versioned
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")
    requests: list[tuple[str, str | None]] = [
        ("/search", texas),  # decided
        ("/search", texas),  # answered from memory
        ("/health", None),  # not a filtered route
        ("/search", None),  # refused by the gate: the filter never ran
    ]

    async def run() -> list[int]:
        statuses = await get_all(gate, requests)
        await gate.aclose()
        return statuses

    assert asyncio.run(run()) == [200, 200, 200, 401]
    records = file_records(config_file)
    assert [r["tier"] for r in records[:2]] == ["engine", "local"]
    assert [r.get("item_policy_version") for r in records] == [in_force, in_force, None, None]
    assert ["item_policy_version" in r for r in records] == [True, True, False, False]
    assert [r.get("removed") for r in records] == [COUNTS, COUNTS, None, None]
    if logger_on:
        logged: list[dict[str, Any]] = [r.audit for r in caplog.records]  # type: ignore[attr-defined]
        assert [r.get("item_policy_version") for r in logged] == [in_force, in_force, None, None]
        assert [json.loads(str(r)) for r in logged] == records


def test_a_filter_with_rules_of_its_own_is_recorded_with_their_version(
    config_file: Path, tokens: TokenFactory
) -> None:
    own = ItemPolicy(bundled_item_policy().rules, version="own-rules-7")
    gate = JurisdictionMiddleware(
        filtered_app(policy=own), config=config_file, clock=FixedClock(NOW)
    )
    assert gate.checker.items.version != "own-rules-7"
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> None:
        await get_all(gate, [("/search", texas), ("/search", texas)])
        await gate.aclose()

    asyncio.run(run())
    records = file_records(config_file)
    assert [r["item_policy_version"] for r in records] == ["own-rules-7", "own-rules-7"]
    assert [r["policy_version"] for r in records] == [gate.engine.version] * 2


def test_a_refused_leak_names_the_item_rules_it_was_checked_against(
    config_file: Path, tokens: TokenFactory
) -> None:
    gate = JurisdictionMiddleware(
        filtered_app(mode="verify"), config=config_file, clock=FixedClock(NOW)
    )
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> list[int]:
        statuses = await get_all(gate, [("/search", texas)])
        await gate.aclose()
        return statuses

    assert asyncio.run(run()) == [503]
    [record] = file_records(config_file)
    assert (record["removed"], record["leaked"]) == ({}, COUNTS)
    assert record["item_policy_version"] == gate.checker.items.version


def test_observers_get_it_and_so_does_a_record_built_on_replay(
    config_file: Path, tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Observers (metrics, the audit stream) see it on both paths; a request remembered while
    nothing wanted whole records, replayed once the logger is on, gets it too."""
    observed, logged, in_force = observed_and_replayed(config_file, tokens, caplog)
    assert [(r["tier"], r.get("item_policy_version")) for r in observed] == [
        ("engine", in_force), ("local", in_force), ("public", None),
    ]  # fmt: skip
    assert [(r["tier"], r["item_policy_version"]) for r in logged] == [("local", in_force)]
    assert json.loads(str(logged[0]))["item_policy_version"] == in_force


def test_an_items_change_alone_changes_it_and_not_policy_version(
    config_file: Path, tokens: TokenFactory
) -> None:
    """Why a field of its own: the same client rules with one item rule disabled keep their
    ``policy_version``, and only ``item_policy_version`` tells the two records apart."""
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")
    base = config_file.read_text(encoding="utf-8")
    seen: list[dict[str, Any]] = []
    for extra in ("", '[items]\ndisabled_rules = ["il-opt-out"]\n'):
        config_file.write_text(base + extra, encoding="utf-8")
        (config_file.parent / "logs" / "audit.jsonl").unlink(missing_ok=True)
        gate = JurisdictionMiddleware(filtered_app(), config=config_file, clock=FixedClock(NOW))

        async def run(gate: JurisdictionMiddleware = gate) -> None:
            await get_all(gate, [("/search", texas)])
            await gate.aclose()

        asyncio.run(run())
        [record] = file_records(config_file)
        seen.append(record)
    assert seen[0]["policy_version"] == seen[1]["policy_version"]
    assert seen[0]["item_policy_version"] != seen[1]["item_policy_version"]
    assert seen[1]["removed"] == {"il-photos-five-years": 1}
