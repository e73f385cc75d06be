"""The path the app routes, under real servers started with a root path.

uvicorn ``--root-path /api`` prepends the prefix to the path a (stripping) proxy forwards;
hypercorn passes the target as sent and names the prefix in ``root_path``. Starlette's router
strips it in both cases, and the gate must decide the same path, or the bundled pack refuses
everyone (it is written for ``/search/*``, not ``/api/search/*``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ..fixtures.servers import app_server

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

pytestmark = pytest.mark.slow

APP = "examples.search_api:app"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def uvicorn_api() -> Iterator[str]:
    with app_server("uvicorn", APP, ["--root-path", "/api"], cwd=ROOT) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def hypercorn_api() -> Iterator[str]:
    with app_server("hypercorn", APP, ["--root-path", "/api"], cwd=ROOT) as port:
        yield f"http://127.0.0.1:{port}"


def bearer(tokens: TokenFactory, entity_type: str, region: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.client(time.time(), entity_type, 'US', region)}"}


def test_uvicorn_root_path_routes_what_the_proxy_forwards(
    uvicorn_api: str, tokens: TokenFactory
) -> None:
    police = bearer(tokens, "state_law_enforcement", "US-NY")
    with httpx.Client(base_url=uvicorn_api) as client:
        served = client.get("/search", params={"q": "a"}, headers=police)
        assert served.status_code == 200, served.text
        assert served.json()["served_to"]["region"] == "US-NY"
        assert client.get("/health").status_code == 200
        company = client.get("/search", headers=bearer(tokens, "private_company", "US-NY"))
        assert company.status_code == 451
        assert client.get("/search/x").status_code == 401
        # uvicorn prepends the prefix again: the app routes /api/search, which no rule allows
        assert client.get("/api/search", headers=police).status_code == 403


def test_hypercorn_root_path_routes_below_the_prefix(
    hypercorn_api: str, tokens: TokenFactory
) -> None:
    police = bearer(tokens, "state_law_enforcement", "US-NY")
    with httpx.Client(base_url=hypercorn_api) as client:
        served = client.get("/api/search", params={"q": "a"}, headers=police)
        assert served.status_code == 200, served.text
        assert client.get("/api/health").status_code == 200
        illinois = client.get("/api/search", headers=bearer(tokens, "federal_agency", "US-IL"))
        assert illinois.status_code == 451
        assert client.get("/api/search").status_code == 401
        # a target outside the prefix is routed as it is, by Starlette and by the gate
        assert client.get("/search", headers=police).status_code == 200
        assert client.get("/apix/search", headers=police).status_code == 403
