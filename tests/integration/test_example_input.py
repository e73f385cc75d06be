"""The example app answers any client input with a 2xx or a problem+json 4xx, never a 500.

Users copy the example, so it must be as careful as the library (issue #12, finding 9).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def client(app: Any) -> httpx.AsyncClient:
    # The app's own 500 must be seen as an answer, not raised into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


BAD_BODIES = {
    "2000 nested arrays": b"[" * 2000,
    "2000 nested arrays, closed": b"[" * 2000 + b"]" * 2000,
    "deep object": b'{"a":' * 300 + b"1" + b"}" * 300,
    "a list": b'["face-0000"]',
    "not JSON": b"face_id=face-0000",
    "empty": b"",
    "invalid UTF-8": b'{"face_id": "\xff\xfe"}',
    "a lone surrogate": b'{"face_id": "\\ud800"}',
    "huge integer": b'{"face_id": ' + b"9" * 4000 + b"}",
    "duplicate member": b'{"face_id": "face-0000", "face_id": "face-0001"}',
    "NaN": b'{"face_id": NaN}',
    "face_id not a string": b'{"face_id": {"id": "face-0000"}}',
    "unknown face": b'{"face_id": "nobody"}',
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_bad_opt_out_bodies_are_a_problem_json_400(
    example_app: Starlette, opted_out: dict[str, dict[str, str]], body: bytes
) -> None:
    async with client(example_app) as http:
        response = await http.post(
            "/opt-out", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 400
    assert problem["type"].startswith("urn:jurisgate-example:problem:")
    assert not opted_out


async def test_an_oversize_body_is_413_before_it_is_read_whole(
    example_app: Starlette, opted_out: dict[str, dict[str, str]]
) -> None:
    padded = b'{"face_id": "face-0000", "pad": "' + b"x" * 100_000 + b'"}'

    async def chunks() -> Any:  # no content-length: the limit must hold while streaming too
        for start in range(0, len(padded), 4096):
            yield padded[start : start + 4096]

    async with client(example_app) as http:
        declared = await http.post("/opt-out", content=padded)
        streamed = await http.post("/opt-out", content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
    assert not opted_out


async def test_a_good_opt_out_still_works(
    example_app: Starlette, opted_out: dict[str, dict[str, str]]
) -> None:
    async with client(example_app) as http:
        response = await http.post("/opt-out", json={"face_id": "face-0003"})
    assert response.status_code == 202
    assert "face-0003" in opted_out


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
