"""``[audit] file``: every decision as one JSON line in a file, written off the event loop; a
request whose record cannot be kept is refused."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import (
    AUDIT_LOGGER,
    AuditLog,
    ConfigError,
    FixedClock,
    JurisdictionMiddleware,
    TrustedIssuer,
    load_config,
)
from jurisgate.middleware.audit.file_sink import AuditFile

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf, TokenFactory

NOW = 1_795_000_000.0
ISSUER = "https://dev-idp.jurisgate.invalid"


def app_reached() -> tuple[Starlette, list[str]]:
    reached: list[str] = []

    async def search(request: Request) -> JSONResponse:
        reached.append(request.url.path)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/search", search), Route("/health", search)]), reached


async def get_all(gate: Any, requests: list[tuple[str, str | None]]) -> list[int]:
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        statuses = []
        for path, token in requests:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            statuses.append((await client.get(path, headers=headers)).status_code)
        return statuses


@pytest.fixture
def config_file(tmp_path: Path, dev_public_key: bytes) -> Path:
    (tmp_path / "idp.pem").write_bytes(dev_public_key)
    (tmp_path / "logs").mkdir()
    path = tmp_path / "jurisgate.toml"
    path.write_text(
        "[[issuers]]\n"
        f'issuer = "{ISSUER}"\n'
        'audience = "face-search-api"\n'
        'algorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\n'
        "[policy]\n"
        "watch_interval = 0\n"
        "[audit]\n"
        'file = "logs/audit.jsonl"\n'
        "flush_interval = 0.05\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("logger_on", [False, True])
def test_every_decision_is_one_line_in_the_audit_file(
    config_file: Path,
    tokens: TokenFactory,
    logger_on: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO if logger_on else logging.WARNING, logger=AUDIT_LOGGER)
    app, reached = app_reached()
    gate = JurisdictionMiddleware(app, config=config_file, clock=FixedClock(NOW))
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")
    chicago = tokens.client(NOW, "federal_law_enforcement", "US", "US-IL")
    requests = [
        ("/search", texas),
        ("/search", texas),  # answered from memory
        ("/search", chicago),
        ("/search", None),
        ("/health", None),
    ]

    async def run() -> list[int]:
        statuses = await get_all(gate, requests)
        await gate.aclose()  # writes what is still queued
        return statuses

    assert asyncio.run(run()) == [200, 200, 451, 401, 200]
    assert reached == ["/search", "/search", "/health"]
    lines = (config_file.parent / "logs" / "audit.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["path"], r["status"], r["rule"]) for r in records] == [
        ("/search", 200, "us-government-search"),
        ("/search", 200, "us-government-search"),
        ("/search", 451, "il-located-five-years"),
        ("/search", 401, None),
        ("/health", 200, "public-health"),
    ]
    assert records[1]["tier"] == "local"
    assert (
        records[0]["principal"]
        == records[1]["principal"]
        == {
            "issuer": ISSUER,
            "subject": "client-1",
            "entity_type": "state_agency",
            "country": "US",
            "region": "US-TX",
            "agency_type": None,
            "agency_region": "US-TX",
            "capacity": "official",
        }
    )
    assert len({r["decision_id"] for r in records}) == 5
    assert all(isinstance(r["ts"], float) and abs(r["ts"] - NOW) < 10**9 for r in records)
    logged = [r.audit for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    if logger_on:  # the logger gets the same records, field for field
        assert [dict(r, ts=0) for r in logged] == [dict(r, ts=0) for r in records]
    else:
        assert logged == []


def test_a_request_that_cannot_be_recorded_is_refused(
    dev_issuer: TrustedIssuer, tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """/dev/full takes the file open but refuses every write (ENOSPC): the queue fills."""
    sink = AuditFile("/dev/full", flush_interval=0.05, max_pending=2)
    app, reached = app_reached()
    gate = JurisdictionMiddleware(
        app, issuers=[dev_issuer], clock=FixedClock(NOW), audit=AuditLog(sink=sink)
    )
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> tuple[list[int], bytes]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            statuses = []
            for _ in range(4):
                response = await client.get("/search", headers={"authorization": f"Bearer {texas}"})
                statuses.append(response.status_code)
            return statuses, response.content

    with caplog.at_level(logging.ERROR, logger="jurisgate"):
        statuses, body = asyncio.run(run())
    refusals = [r for r in caplog.records if "refusing requests" in r.getMessage()]
    assert len(refusals) == 1  # said once, not once per refused request
    assert statuses == [200, 200, 403, 403]
    assert reached == ["/search", "/search"]
    assert json.loads(body)["type"] == "urn:jurisgate:problem:audit_unavailable"
    with pytest.raises(OSError, match="No space left"):
        sink.close()  # what could not be written is reported, not silently dropped


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("flush_interval = 0", "flush_interval"),
        ("flush_interval = 600", "flush_interval"),
        ("max_pending = 0", "max_pending"),
        ('fsync = "yes"', "fsync"),
        ('file = "no-such-dir/audit.jsonl"', "no-such-dir"),
    ],
)
def test_audit_file_settings_are_checked_at_start(
    config_file: Path, line: str, complaint: str, startup_failure: StartupFailureOf
) -> None:
    text = config_file.read_text().replace("flush_interval = 0.05\n", "")
    if line.startswith("file"):
        text = text.replace('file = "logs/audit.jsonl"\n', "")
    config_file.write_text(text + line + "\n")
    app, _ = app_reached()
    if line.startswith("file"):  # the file's directory is checked by the gate, not the parser
        gate = JurisdictionMiddleware(app, config=load_config(config_file))
        assert complaint in startup_failure(gate, ConfigError)
        return
    with pytest.raises(ConfigError, match=complaint):
        load_config(config_file)


def test_an_audit_log_passed_in_still_gets_the_configured_file(
    config_file: Path, tokens: TokenFactory
) -> None:
    """The README's recipe (metrics, a stream sink) passes audit=AuditLog(...): the [audit]
    file must not silently stop being written."""
    config = load_config(config_file)
    seen: list[str] = []
    audit = AuditLog(subjects=config.audit, observers=[lambda record: seen.append(record["path"])])
    app, _ = app_reached()
    gate = JurisdictionMiddleware(app, config=config, clock=FixedClock(NOW), audit=audit)
    texas = tokens.client(NOW, "state_agency", "US", "US-TX")

    async def run() -> list[int]:
        statuses = await get_all(gate, [("/search", texas), ("/health", None)])
        await gate.aclose()
        return statuses

    assert asyncio.run(run()) == [200, 200]
    assert isinstance(audit.sink, AuditFile)
    lines = (config_file.parent / "logs" / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines] == seen == ["/search", "/health"]
