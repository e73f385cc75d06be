"""What a verifying result filter caught, in the request's one audit record: ``leaked`` counts
per rule (never which entries) beside ``removed`` (``{}``: verify mode never removes), on the
decided and the remembered paths, in the file and on the logger alike."""

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

from .test_file_sink_gate import NOW, config_file, get_all
from .test_removed_counts import COUNTS, FACES, filtered_app

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

__all__ = ["config_file"]  # the fixture, shared


@pytest.mark.parametrize("logger_on", [False, True])
def test_a_refused_leak_is_counted_in_the_record(
    config_file: Path,
    tokens: TokenFactory,
    logger_on: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO if logger_on else logging.WARNING, logger=AUDIT_LOGGER)
    app = filtered_app(mode="verify")  # an app that forgot to filter its own entries
    gate = JurisdictionMiddleware(app, config=config_file, clock=FixedClock(NOW))
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> list[int]:
        statuses = await get_all(gate, [("/search", texas), ("/search", texas)])
        await gate.aclose()
        return statuses

    assert asyncio.run(run()) == [503, 503]
    text = (config_file.parent / "logs" / "audit.jsonl").read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["tier"] for r in records] == ["engine", "local"]
    assert [(r["sent_status"], r["removed"], r["leaked"]) for r in records] == [
        (503, {}, COUNTS), (503, {}, COUNTS),
    ]  # fmt: skip
    for face in FACES:
        assert face["id"] not in text
    if logger_on:
        logged: list[dict[str, Any]] = [
            r.audit  # type: ignore[attr-defined]
            for r in caplog.records
            if r.name == AUDIT_LOGGER
        ]
        assert [r["leaked"] for r in logged] == [COUNTS, COUNTS]
        assert [json.loads(str(r)) for r in logged] == records
