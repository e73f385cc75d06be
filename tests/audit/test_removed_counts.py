"""The result filter's per-rule removal counts in the request's one audit record (issue 16):
how many each rule removed, never which; only when a filter ran."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import (
    AUDIT_LOGGER,
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    ResultRoute,
)
from jurisgate.middleware.results import ItemPolicy
from jurisgate.middleware.subjects import FixedSuppressions

from .test_file_sink_gate import NOW, config_file, get_all

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

__all__ = ["config_file"]  # the fixture, shared

FACES = [
    {"id": "face-il-1", "source_region": "US-IL"},
    {"id": "face-ny-suppressed", "source_region": "US-NY"},
    {"id": "face-ny-kept", "source_region": "US-NY"},
    {"id": "face-tx-kept", "source_region": "US-TX"},
]
COUNTS = {"il-photos-five-years": 1, "il-opt-out": 1}


def filtered_app(
    *, policy: ItemPolicy | None = None, mode: Literal["filter", "verify"] = "filter"
) -> Starlette:
    """``/search`` lists FACES (one from Illinois, one suppressed) behind a result filter in
    ``mode``, with ``policy`` (None: the gate's item rules); ``/health`` is no filtered route.
    The audit tests of the filter's counts, leaks and item-rule version share it."""

    async def search(request: Request) -> JSONResponse:
        return JSONResponse({"total": len(FACES), "results": FACES})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    route = ResultRoute(path="/search", items="results", counts=("total",), mode=mode)
    return Starlette(
        routes=[Route("/search", search), Route("/health", health)],
        middleware=[
            Middleware(
                ResultFilterMiddleware,
                routes=[route],
                suppressions=FixedSuppressions({"face-ny-suppressed"}),
                policy=policy,
                clock=FixedClock(NOW),
            )
        ],
    )


@pytest.mark.parametrize("logger_on", [False, True])
def test_a_filtered_answers_record_counts_what_each_rule_removed(
    config_file: Path,
    tokens: TokenFactory,
    logger_on: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO if logger_on else logging.WARNING, logger=AUDIT_LOGGER)
    gate = JurisdictionMiddleware(filtered_app(), config=config_file, clock=FixedClock(NOW))
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
    text = (config_file.parent / "logs" / "audit.jsonl").read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["tier"] for r in records[:2]] == ["engine", "local"]
    assert [r.get("removed") for r in records] == [COUNTS, COUNTS, None, None]
    assert ["removed" in r for r in records] == [True, True, False, False]
    # Counts only: no entry's id or content reaches the record.
    for face in FACES:
        assert face["id"] not in text
    if logger_on:
        logged: list[dict[str, Any]] = [r.audit for r in caplog.records]  # type: ignore[attr-defined]
        assert [r.get("removed") for r in logged] == [COUNTS, COUNTS, None, None]
        assert [json.loads(str(r)) for r in logged] == records


def observed_and_replayed(
    config_file: Path, tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]], str]:
    """One gate with an observer answers /search (decided, then remembered) and /health;
    another remembers /search while nothing wants whole records, then answers it again once
    the audit logger is on. What the observer saw, what the logger got, and the item rules'
    version in force."""
    caplog.set_level(logging.WARNING, logger=AUDIT_LOGGER)
    observed: list[Mapping[str, Any]] = []
    watched = JurisdictionMiddleware(
        filtered_app(), config=config_file, clock=FixedClock(NOW),
        audit=AuditLog(observers=[observed.append]),
    )  # fmt: skip
    plain = JurisdictionMiddleware(
        filtered_app(), config=config_file, clock=FixedClock(NOW), audit=AuditLog()
    )
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> None:
        await get_all(watched, [("/search", texas), ("/search", texas), ("/health", None)])
        await get_all(plain, [("/search", texas)])  # remembered without a template
        caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
        await get_all(plain, [("/search", texas)])
        await watched.aclose()
        await plain.aclose()

    asyncio.run(run())
    logged: list[dict[str, Any]] = [r.audit for r in caplog.records]  # type: ignore[attr-defined]
    return observed, logged, watched.checker.items.version


def test_observers_get_the_counts_and_so_does_a_record_built_on_replay(
    config_file: Path, tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Observers see the counts on both paths; a request remembered while nothing wanted
    whole records, replayed once the logger is on, gets them too."""
    observed, logged, _ = observed_and_replayed(config_file, tokens, caplog)
    assert [(r["tier"], r.get("removed")) for r in observed] == [
        ("engine", COUNTS), ("local", COUNTS), ("public", None),
    ]  # fmt: skip
    assert [(r["tier"], r["removed"]) for r in logged] == [("local", COUNTS)]
    assert json.loads(str(logged[0]))["removed"] == COUNTS
