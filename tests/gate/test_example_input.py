"""The example app answers any client input with a 2xx or a problem+json 4xx, never a 500.

Users copy the example, so it must be as careful as the library (issue #12, finding 9).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware import JurisdictionMiddleware
from jurisgate.middleware.subjects import FixedSuppressions, OptOutEndpoints, ReceiptSigner

from ..conftest import DEV_CONFIG, EXAMPLES

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def client(app: Any) -> httpx.AsyncClient:
    # The app's own 500 must be seen as an answer, not raised into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def opt_out_app(search_api: Any) -> Starlette:
    """The example's routes with its opt-out on a registry that is down: nothing here may need
    it (every body is refused first), and a good form must then be a 503, never a 202 or 500."""
    registry = PostgresSubjectRegistry("postgresql://nobody@127.0.0.1:9/nothing", connect_timeout=1)
    signer = ReceiptSigner.from_file(EXAMPLES / "dev" / "receipt-ed25519.pem")
    endpoints = OptOutEndpoints(registry, signer, max_photo_bytes=64 * 1024)
    return Starlette(
        routes=search_api.routes(FixedSuppressions(), endpoints),
        middleware=[Middleware(JurisdictionMiddleware, config=DEV_CONFIG)],
    )


BAD_JSON = {
    "2000 nested arrays": b"[" * 2000,
    "deep object": b'{"a":' * 300 + b"1" + b"}" * 300,
    "invalid UTF-8": b'{"face_id": "\xff\xfe"}',
    "empty": b"",
}
BOUNDARY = "jurisgate-test-boundary"
BAD_MULTIPART = {
    "2000 nested arrays": b"[" * 2000,
    "no closing boundary": (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'.encode()
    ),
    "a header without a name": f"--{BOUNDARY}\r\n: x\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
    "ten files": b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="{n}.jpg"'
        f"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n".encode("latin-1")
        for n in range(10)
    )
    + f"--{BOUNDARY}--\r\n".encode(),
}


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
async def test_json_is_not_the_opt_out_s_media_type(opt_out_app: Starlette, body: bytes) -> None:
    async with client(opt_out_app) as http:
        response = await http.post(
            "/opt-out", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("body", BAD_MULTIPART.values(), ids=BAD_MULTIPART.keys())
async def test_broken_forms_are_a_problem_json_4xx(opt_out_app: Starlette, body: bytes) -> None:
    async with client(opt_out_app) as http:
        response = await http.post(
            "/opt-out",
            content=body,
            headers={
                "content-type": f"multipart/form-data; boundary={BOUNDARY}",
                "idempotency-key": "example-input-test-key",
            },
        )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_an_oversize_body_is_413_before_it_is_read_whole(opt_out_app: Starlette) -> None:
    padded = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"'
        "\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff".encode("latin-1")
        + b"x" * (256 * 1024)
    )

    async def chunks() -> Any:  # no content-length: the limit must hold while streaming too
        for start in range(0, len(padded), 4096):
            yield padded[start : start + 4096]

    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with client(opt_out_app) as http:
        declared = await http.post("/opt-out", content=padded, headers=headers)
        streamed = await http.post("/opt-out", content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM


async def test_a_good_opt_out_with_the_registry_down_is_503(opt_out_app: Starlette) -> None:
    photo = (EXAMPLES / "photos" / "face-0003.jpg").read_bytes()
    async with client(opt_out_app) as http:
        response = await http.post(
            "/opt-out",
            files={"photo": ("me.jpg", photo, "image/jpeg")},
            data={"residency": "US-IL", "attest": "yes"},
            headers={"idempotency-key": "example-input-test-key"},
        )
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.headers["content-type"] == PROBLEM


QUERIES = ["%ED%A0%80", "%FF%FE", "x" * 10_000, "%00", "[" * 2000, "q&q=1&q=2"]


@pytest.mark.parametrize("query", QUERIES)
async def test_odd_search_queries_never_500(
    example_app: Starlette, tokens: Any, clock: Any, query: str
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    async with client(example_app) as http:
        response = await http.get(
            f"/search?q={query}", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code in (200, 400)
