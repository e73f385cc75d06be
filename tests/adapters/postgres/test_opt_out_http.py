"""The public opt-out over HTTP, on a real registry: every answer the contract names, the
receipt, the status capability, and suppression reaching /search for every client."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware import FixedClock
from jurisgate.middleware.subjects import (
    ReceiptSigner,
    ReceiptVerifier,
    SubjectsService,
    run_pending_jobs,
)

from ...conftest import DEV_CONFIG, EXAMPLES, TokenFactory, example_stack
from .conftest import unreachable_dsn
from .subjects_fixtures import signer, subjects_dsn

__all__ = ["signer", "subjects_dsn"]

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]

PHOTO_0003 = (EXAMPLES / "photos" / "face-0003.jpg").read_bytes()
FORM = {"residency": "US-IL", "attest": "yes"}
NOW = "2026-12-05T12:00:00Z"


def key(n: int = 1) -> dict[str, str]:
    return {"Idempotency-Key": f"test-opt-out-key-{n:04d}"}


def photo(data: bytes = PHOTO_0003) -> dict[str, tuple[str, bytes, str]]:
    return {"photo": ("me.jpg", data, "image/jpeg")}


@pytest.fixture
async def service(
    subjects_dsn: str, signer: ReceiptSigner, search_api: ModuleType
) -> AsyncIterator[SubjectsService]:
    registry = PostgresSubjectRegistry(subjects_dsn)
    found = SubjectsService(
        registry,
        signer,
        max_staleness=30,
        requests_per_minute=1000,
        init_schema=True,  # no matcher: the tests run the match jobs themselves
    )
    async with found.lifespan():
        yield found


@pytest.fixture
def app(service: SubjectsService, search_api: ModuleType) -> Starlette:
    return example_stack(
        search_api.routes(service.suppressions, service.endpoints),
        DEV_CONFIG,
        FixedClock(NOW),
        service.suppressions,
    )


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as found:
        yield found


async def test_the_form_page_needs_no_token_and_no_script(client: httpx.AsyncClient) -> None:
    response = await client.get("/opt-out")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script" not in page
    assert 'enctype="multipart/form-data"' in page
    for field in ("photo", "residency", "attest", "contact"):
        assert f'<label for="{field}"' in page
    assert re.search(r'name="idempotency_key" value="[^"]+\.[^"]+"', page)


async def test_a_new_request_is_202_and_a_replay_is_the_same_receipt(
    client: httpx.AsyncClient, signer: ReceiptSigner
) -> None:
    first = await client.post("/opt-out", files=photo(), data=FORM, headers=key())
    assert first.status_code == 202, first.text
    receipt = ReceiptVerifier([signer.public_key]).verify(first.content)
    assert first.headers["location"] == f"/opt-out/{receipt['request_id']}"
    assert receipt["photo_sha256"] == hashlib.sha256(PHOTO_0003).hexdigest()
    assert receipt["status"] == "received"
    assert receipt["basis"] == "il-opt-out"
    again = await client.post("/opt-out", files=photo(), data=FORM, headers=key())
    assert again.status_code == 200
    assert again.content == first.content  # byte-identical
    other = await client.post(
        "/opt-out", files=photo(b"\xff\xd8\xff other"), data=FORM, headers=key()
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:jurisgate:problem:idempotency_key_reused"


@pytest.mark.parametrize(
    ("files", "data", "headers", "status", "code"),
    [
        (photo(), FORM, {}, 400, "idempotency_key"),
        (photo(), FORM, {"Idempotency-Key": "short"}, 400, "idempotency_key"),
        (photo(b"GIF89a not accepted"), FORM, key(), 415, "unsupported_photo"),
        (photo(), {"residency": "US-IL"}, key(), 422, "incomplete_form"),
        (photo(), {"attest": "yes", "residency": "US-IN"}, key(), 422, "incomplete_form"),
        ({"note": ("note.txt", b"no photo", "text/plain")}, FORM, key(), 422, "incomplete_form"),
        (photo(b""), FORM, key(), 422, "incomplete_form"),
    ],
)
async def test_bad_requests_get_their_own_answer(
    client: httpx.AsyncClient,
    files: dict[str, Any],
    data: dict[str, str],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await client.post("/opt-out", files=files or None, data=data, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:jurisgate:problem:{code}"


async def test_not_multipart_is_415_and_too_large_is_413(client: httpx.AsyncClient) -> None:
    as_json = await client.post("/opt-out", json={"face_id": "face-0003"}, headers=key())
    assert as_json.status_code == 415
    huge = b"\xff\xd8\xff" + b"\0" * (8 * 1024 * 1024 + 1)
    too_large = await client.post("/opt-out", files=photo(huge), data=FORM, headers=key())
    assert too_large.status_code == 413


async def test_an_incomplete_html_form_comes_back_with_errors_by_their_fields(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/opt-out")).text
    form_key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert form_key is not None
    response = await client.post(
        "/opt-out",
        files=photo(),
        data={"residency": "US-IL", "idempotency_key": form_key.group(1)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422
    assert 'aria-describedby="attest-error"' in response.text
    assert '<p class="error" id="attest-error">' in response.text
    forged = await client.post(
        "/opt-out", files=photo(), data={**FORM, "idempotency_key": "made-up.key"}
    )
    assert forged.status_code == 400


async def test_opting_out_removes_the_entry_for_every_client(
    client: httpx.AsyncClient,
    service: SubjectsService,
    tokens: TokenFactory,
    search_api: ModuleType,
) -> None:
    clock = FixedClock(NOW)
    fbi = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    nypd = tokens.client(clock.now(), "local_law_enforcement", "US", "US-NY")

    async def listed(token: str) -> set[str]:
        response = await client.get("/search", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return {face["id"] for face in response.json()["results"]}

    assert "face-0003" in await listed(fbi)
    posted = await client.post("/opt-out", files=photo(), data=FORM, headers=key())
    assert posted.status_code == 202
    matcher = search_api.DigestMatcher(search_api.INDEX)
    assert await run_pending_jobs(service.registry, matcher) == 1
    await service.suppressions.sync_once()
    assert "face-0003" not in await listed(fbi)
    assert "face-0003" not in await listed(nypd)
    status = await client.get(posted.json()["status_url"])
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "active"
    assert "match" not in status.text
    wrong = await client.get(f"/opt-out/{posted.json()['request_id']}?token=nope")
    assert wrong.status_code == 404


async def test_too_many_requests_from_one_client_is_429(
    subjects_dsn: str, signer: ReceiptSigner, search_api: ModuleType
) -> None:
    service = SubjectsService(
        PostgresSubjectRegistry(subjects_dsn), signer, requests_per_minute=2, init_schema=True
    )
    app = Starlette(routes=service.endpoints.routes)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1))
    async with (
        service.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        answers = [
            (await client.post("/opt-out", files=photo(), data=FORM, headers=key(n))).status_code
            for n in range(3)
        ]
        last = await client.post("/opt-out", files=photo(), data=FORM, headers=key(9))
    assert answers == [202, 202, 429]
    assert int(last.headers["retry-after"]) >= 1


async def test_an_unreachable_registry_is_503_never_202(
    signer: ReceiptSigner, search_api: ModuleType, tmp_path: Path
) -> None:
    service = SubjectsService(PostgresSubjectRegistry(unreachable_dsn(), connect_timeout=1), signer)
    app = Starlette(routes=search_api.routes(service.suppressions, service.endpoints))
    transport = httpx.ASGITransport(app=app)
    async with (
        service.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        response = await client.post("/opt-out", files=photo(), data=FORM, headers=key())
        health = await client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert health.status_code == 200  # an outage, not a config error: the app serves
