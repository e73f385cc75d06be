"""The documented commands that need a PostgreSQL server (tests/docs/test_doc_commands.py,
``NEEDS_POSTGRES``) run as the docs write them, in the docs' order, against a throw-away
database: the store's push, and the opt-out registry's init, verify-audit, verify-receipt and
revoke (after one opt-out that matched ``face-0003``, the entry the docs revoke)."""

from __future__ import annotations

import asyncio
import hashlib
import shlex
import shutil
from pathlib import Path

import pytest

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.admin.cli import main
from jurisgate.middleware.subjects import OptOutSubmission, ReceiptSigner, run_pending_jobs

from ...conftest import EXAMPLES
from ...fixtures.doc_commands import NEEDS_POSTGRES, doc_commands, workspace
from .subjects_fixtures import subjects_dsn

__all__ = ["subjects_dsn"]

pytestmark = pytest.mark.postgres

KEY = EXAMPLES / "dev" / "receipt-ed25519.pem"
PHOTO = (EXAMPLES / "photos" / "face-0003.jpg").read_bytes()


class Matcher:
    async def match(self, photo: bytes, photo_sha256: str) -> list[str]:
        return ["face-0003"]


def opt_out(dsn: str) -> bytes:
    """One accepted opt-out whose match job has run: a receipt, and face-0003 suppressed."""
    registry = PostgresSubjectRegistry(dsn)
    signer = ReceiptSigner.from_file(KEY)
    digest = hashlib.sha256(PHOTO).hexdigest()
    submission = OptOutSubmission("api", "doc-commands-0001", "il-opt-out", "US-IL", "v1",
                                  digest, None)  # fmt: skip

    async def run() -> bytes:
        outcome = await registry.submit(submission, PHOTO, signer.for_submission(submission))
        await run_pending_jobs(registry, Matcher())
        return outcome.receipt

    return asyncio.run(run())


def test_the_documented_store_and_registry_commands(
    subjects_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workspace(tmp_path)
    config = tmp_path / "jurisgate.toml"
    issuer = config.read_text(encoding="utf-8").split("[policy]", 1)[0]
    config.write_text(
        f'{issuer}[policy]\nmodel = "policy/model.conf"\nstore = "{subjects_dsn}"\n'
        "watch_interval = 0\n\n"
        f'[subjects]\nstore = "{subjects_dsn}"\nreceipt_key_file = "{KEY}"\n',
        encoding="utf-8",
    )
    shutil.copy(EXAMPLES / "dev" / "receipt-ed25519.pub.pem", tmp_path / "receipt.pub.pem")
    monkeypatch.chdir(tmp_path)
    documented = [c.line for c in doc_commands() if c.line in NEEDS_POSTGRES]
    assert set(documented) == NEEDS_POSTGRES
    for line in dict.fromkeys(documented):  # in the docs' order, each once
        if line.startswith("jurisgate subjects verify-audit"):
            (tmp_path / "receipt.json").write_bytes(opt_out(subjects_dsn))
        code = main(shlex.split(line)[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"{line}\n{out}{err}"
