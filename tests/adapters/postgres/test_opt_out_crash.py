"""Crashes around the commit: a server process that dies between insert and commit, or after
the commit but before answering, never loses an acknowledged request and never duplicates one.

The server is a real uvicorn process serving the opt-out routes; its registry's fault hook ends
the process (``os._exit``) at the named point, as a crash or an OOM kill would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from ...conftest import EXAMPLES
from ...fixtures.servers import app_server
from .subjects_fixtures import subjects_dsn

__all__ = ["subjects_dsn"]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PHOTO = (EXAMPLES / "photos" / "face-0005.jpg").read_bytes()
KEY = {"Idempotency-Key": "crash-test-key-000001"}
FORM = {"residency": "US-IL", "attest": "yes"}

APP = """
import os
from pathlib import Path

from starlette.applications import Starlette

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware.subjects import ReceiptSigner, SubjectsService

FAULT = os.environ.get("CRASH_AT")


def crash(point: str) -> None:
    if point == FAULT:
        os._exit(70)  # no cleanup, no answer: as a kill -9 would leave it


registry = PostgresSubjectRegistry(os.environ["CRASH_DSN"], faults=crash)
signer = ReceiptSigner.from_file(Path(os.environ["CRASH_KEY"]))
service = SubjectsService(registry, signer, init_schema=True)
app = Starlette(routes=service.endpoints.routes, lifespan=service.lifespan)
"""


@contextmanager
def server(tmp_path: Path, dsn: str, crash_at: str | None) -> Iterator[str]:
    (tmp_path / "crash_app.py").write_text(APP)
    env = {"CRASH_DSN": dsn, "CRASH_KEY": str(EXAMPLES / "dev" / "receipt-ed25519.pem")}
    if crash_at:
        env["CRASH_AT"] = crash_at
    options = ["--app-dir", str(tmp_path), "--no-access-log"]
    with app_server("uvicorn", "crash_app:app", options, cwd=tmp_path, env=env) as port:
        yield f"http://127.0.0.1:{port}"


def post(base: str) -> httpx.Response:
    return httpx.post(
        f"{base}/opt-out",
        files={"photo": ("me.jpg", PHOTO, "image/jpeg")},
        data=FORM,
        headers=KEY,
        timeout=10,
    )


def rows(dsn: str) -> list[tuple[bytes]]:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT receipt FROM jurisgate_optout_requests").fetchall()
    return [(bytes(row[0]),) for row in found]


@pytest.mark.parametrize("crash_at", ["after_insert", "after_commit"])
def test_a_crash_around_the_commit_loses_and_duplicates_nothing(
    tmp_path: Path, subjects_dsn: str, crash_at: str
) -> None:
    with server(tmp_path, subjects_dsn, crash_at) as base, pytest.raises(httpx.TransportError):
        post(base)  # the process ends before answering
    committed = rows(subjects_dsn)
    # Between insert and commit: rolled back with the connection. After commit: kept.
    assert len(committed) == (0 if crash_at == "after_insert" else 1)
    with server(tmp_path, subjects_dsn, None) as base:
        retry = post(base)
    after = rows(subjects_dsn)
    assert len(after) == 1
    if crash_at == "after_insert":
        assert retry.status_code == 202, retry.text  # the first was never acknowledged
    else:
        assert retry.status_code == 200, retry.text  # the replay of the committed request
        assert retry.content == committed[0][0]  # the very receipt that was never delivered
    assert retry.content == after[0][0]
