"""``jurisgate subjects`` against a real registry: init twice, verify the chain (and find a
tampered row), verify a receipt (and refuse a changed one), revoke with an audit row."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.admin.cli import main
from jurisgate.middleware.subjects import OptOutSubmission, ReceiptSigner, run_pending_jobs

from ...conftest import EXAMPLES
from .subjects_fixtures import subjects_dsn

__all__ = ["subjects_dsn"]

pytestmark = pytest.mark.postgres

KEY = EXAMPLES / "dev" / "receipt-ed25519.pem"
PHOTO = (EXAMPLES / "photos" / "face-0007.jpg").read_bytes()


class Matcher:
    async def match(self, photo: bytes, photo_sha256: str) -> list[str]:
        return ["face-0007"]


def config(tmp_path: Path, dsn: str) -> Path:
    path = tmp_path / "jurisgate.toml"
    path.write_text(
        f"""
[[issuers]]
issuer = "https://dev-idp.jurisgate.invalid"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "{EXAMPLES / "dev" / "dev_idp_public.pem"}"

[subjects]
store = "{dsn}"
receipt_key_file = "{KEY}"
max_staleness = 2.0
""",
        encoding="utf-8",
    )
    return path


def opt_out(dsn: str) -> bytes:
    registry = PostgresSubjectRegistry(dsn)
    signer = ReceiptSigner.from_file(KEY)
    digest = hashlib.sha256(PHOTO).hexdigest()
    submission = OptOutSubmission(
        "api", "cli-test-key-0001", "il-opt-out", "US-IL", "v1", digest, None
    )

    async def run() -> bytes:
        outcome = await registry.submit(submission, PHOTO, signer.for_submission(submission))
        await run_pending_jobs(registry, Matcher())
        return outcome.receipt

    return asyncio.run(run())


def test_init_verify_and_revoke(
    tmp_path: Path, subjects_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(config(tmp_path, subjects_dsn))
    assert main(["subjects", "init", "--config", conf]) == 0
    assert main(["subjects", "init", "--config", conf]) == 0  # idempotent
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(opt_out(subjects_dsn))
    capsys.readouterr()

    assert main(["subjects", "verify-audit", "--config", conf, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"rows": 3, "broken_at": None, "reason": None}

    assert main(["subjects", "verify-receipt", "--config", conf, str(receipt)]) == 0
    assert "receipt verifies" in capsys.readouterr().out
    changed = json.loads(receipt.read_bytes())
    changed["jurisdiction"] = "US-IN"
    receipt.write_text(json.dumps(changed))
    assert main(["subjects", "verify-receipt", "--key", str(KEY), str(receipt)]) == 1
    assert "does NOT verify" in capsys.readouterr().out

    revoke = [
        "subjects",
        "revoke",
        "--config",
        conf,
        "--entry",
        "face-0007",
        "--reason",
        "court order",
        "--actor",
        "dpo",
    ]
    assert main(revoke) == 0
    assert main(revoke) == 1  # nothing active any more
    assert main(["subjects", "verify-audit", "--config", conf]) == 0
    assert "4 rows" in capsys.readouterr().out

    with psycopg.connect(subjects_dsn) as conn:
        conn.execute("ALTER TABLE jurisgate_subject_audit DISABLE TRIGGER USER")
        conn.execute("UPDATE jurisgate_subject_audit SET body = replace(body, 'dpo', 'x')")
    assert main(["subjects", "verify-audit", "--config", conf]) == 1
    assert "BROKEN at seq" in capsys.readouterr().out


def test_a_config_without_subjects_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jurisgate.toml"
    path.write_text(
        f"""
[[issuers]]
issuer = "https://dev-idp.jurisgate.invalid"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "{EXAMPLES / "dev" / "dev_idp_public.pem"}"
""",
        encoding="utf-8",
    )
    assert main(["subjects", "init", "--config", str(path)]) == 2
    assert "has no [subjects] table" in capsys.readouterr().err
