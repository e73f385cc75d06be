"""Audit records: subject raw, keyed hash or omitted (``[audit]``); decision id as a header."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import FixedClock, JurisdictionMiddleware, load_config
from jurisgate.middleware.audit.settings import AuditSettings
from jurisgate.middleware.errors import ConfigError
from jurisgate.policies import pack_file

from ..fixtures.admin_config import WriteConfig
from ..fixtures.tokens import hs256_token

SECRET = b"a-development-secret-of-at-least-32-bytes!"
NOW = 1_795_000_000  # 2026-11-18
KEY = b"operator-audit-key-0123456789"


@pytest.fixture
def pack_policy() -> str:
    return Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")


def token(subject: str, region: str) -> str:
    return hs256_token(
        SECRET,
        {"entity_type": "state_law_enforcement", "country": "US", "region": region,
         "agency_region": region},  # a state police officer at home
        issuer="https://idp.test", audience="face-search-api", now=NOW, subject=subject,
    )  # fmt: skip


def records_of(
    config: Path, caplog: pytest.LogCaptureFixture, bearer: str, path: str = "/search"
) -> tuple[Any, list[dict[str, Any]]]:
    async def search(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/search", search)])
    gated = JurisdictionMiddleware(app, config=str(config), clock=FixedClock(float(NOW)))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=gated)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {bearer}"})

    with caplog.at_level(logging.INFO, logger="jurisgate.audit"):
        response = asyncio.run(get())
    records = [r.audit for r in caplog.records if r.name == "jurisgate.audit"]  # type: ignore[attr-defined]
    return response, records


def test_raw_subject_by_default(
    write_config: WriteConfig, pack_policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    bearer = token("officer-17", "US-NY")
    response, (record,) = records_of(write_config(pack_policy), caplog, bearer)
    assert response.status_code == 200
    assert record["subject"] == record["principal"]["subject"] == "officer-17"
    assert record["decision_id"] == response.headers["x-jurisgate-decision-id"]
    assert bearer not in json.dumps(record)


def test_hashed_subject(
    write_config: WriteConfig, pack_policy: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    (tmp_path / "audit.key").write_bytes(KEY + b"\n")
    config = write_config(
        pack_policy, extra='[audit]\nsubject = "hash"\nsubject_key_file = "audit.key"'
    )
    response, (record,) = records_of(config, caplog, token("officer-17", "US-IL"))
    expected = hmac.new(KEY, b"https://idp.test\x1fofficer-17", hashlib.sha256).hexdigest()[:32]
    assert response.status_code == 451
    assert record["subject"] == record["principal"]["subject"] == f"hmac-sha256:{expected}"
    assert "officer-17" not in json.dumps(record)
    assert (record["rule"], record["status"]) == ("il-agencies-five-years", 451)
    assert record["decision_id"] == response.headers["x-jurisgate-decision-id"]


def test_omitted_subject(
    write_config: WriteConfig, pack_policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(pack_policy, extra='[audit]\nsubject = "omit"')
    _, (record,) = records_of(config, caplog, token("officer-17", "US-NY"))
    assert record["subject"] is None
    assert record["principal"]["subject"] is None
    assert record["principal"]["region"] == "US-NY"


def test_rejected_tokens_are_recorded_too(
    write_config: WriteConfig, pack_policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    response, (record,) = records_of(write_config(pack_policy), caplog, "not-a-token")
    assert response.status_code == 401
    assert (record["status"], record["effect"], record["subject"]) == (401, "deny", None)
    assert record["decision_id"] == response.headers["x-jurisgate-decision-id"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('subject = "hash"', "needs a subject key"),
        ('subject = "pseudonym"', "audit.subject must be raw, hash or omit"),
        ('subject = "raw"\nsubjct = "omit"', "unknown key audit.subjct"),
        ('subject = "hash"\nsubject_key_file = "missing.key"', "audit.subject_key_file cannot"),
    ],
)
def test_bad_audit_tables_stop_start_up(
    write_config: WriteConfig, pack_policy: str, table: str, message: str
) -> None:
    config = write_config(pack_policy, extra=f"[audit]\n{table}")
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16"):
        AuditSettings("hash", b"short")
    assert AuditSettings("hash", KEY).subject_for("i", None) is None
