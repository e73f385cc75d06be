"""The example API served by a real uvicorn, called with the demo's tokens over real HTTP."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from jurisgate.middleware import FixedClock
from jurisgate.middleware.config.gate_config import CONFIG_ENV

from ..fixtures.servers import example_server

pytestmark = pytest.mark.slow

IL_RULE_ENDS = FixedClock("2027-05-11T05:00:00Z").now()


@pytest.fixture
def server(repo_root: Path, tmp_path: Path) -> Iterator[str]:
    """``uvicorn examples.search_api:app`` from the repository root, on a free loopback port."""
    env = {k: v for k, v in os.environ.items() if k not in (CONFIG_ENV, "PYTHONPATH")}
    with example_server(
        cwd=repo_root, env=env, log=tmp_path / "uvicorn.log", options=["--no-access-log"]
    ) as base:
        yield base


def test_example_api_over_real_http(server: str, demo: ModuleType, repo_root: Path) -> None:
    dev_token: Callable[..., str] = demo.dev_token
    clients: dict[str, tuple[str, dict[str, str]]] = demo.CLIENTS

    def token(name: str) -> str:
        return dev_token(name, clients[name][1])

    with httpx.Client(base_url=server, timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/search").status_code == 401

        def search(name: str) -> httpx.Response:
            return client.get(
                "/search", params={"q": "avery"}, headers={"Authorization": f"Bearer {token(name)}"}
            )

        fbi = search("fbi-hq")
        assert fbi.status_code == 200
        assert fbi.json()["served_to"] == {
            "entity_type": "federal_law_enforcement",
            "region": "US-DC",
        }
        assert fbi.headers["x-jurisgate-decision-id"]
        assert search("nypd").status_code == 200

        company = search("texas-company")
        assert company.status_code == 451
        assert company.headers["content-type"] == "application/problem+json"
        assert company.json()["rule"] == "us-private-permanent"
        assert company.headers["link"] == '<https://search.example.invalid/legal>; rel="blocked-by"'

        sheriff = search("sheriff-no-region")
        assert sheriff.status_code == 403
        assert sheriff.json()["type"] == "urn:jurisgate:problem:missing_region"
        assert search("ukraine-police").status_code == 403

        # The server runs on the real clock: the Illinois rules end at midnight (Chicago).
        illinois = search("illinois-state-police")
        assert illinois.status_code == (451 if time.time() < IL_RULE_ENDS else 200)
        # The decree's structure over real HTTP, with the demo's own clients.
        in_force = time.time() < IL_RULE_ENDS
        for name, status in (
            ("isp-in-indiana", 451 if in_force else 200),
            ("chicago-pd-contractor", 451 if in_force else 200),
            ("fbi-contractor", 200),
            ("federal-officer-personal", 451),
            ("puerto-rico-police", 200),
            ("puerto-rico-company", 451),
        ):
            assert search(name).status_code == status, name

        # The demo's embedded registry: an opt-out with face-0000's own photo removes it from
        # every later answer once the match job has run and this replica has synced.
        assert any(face["id"] == "face-0000" for face in search("fbi-hq").json()["results"])
        photo = (repo_root / "examples" / "photos" / "face-0000.jpg").read_bytes()
        opt_out = client.post(
            "/opt-out",
            files={"photo": ("me.jpg", photo, "image/jpeg")},
            data={"residency": "US-IL", "attest": "yes"},
            headers={"Idempotency-Key": "test-server-opt-out-0000"},
        )
        assert opt_out.status_code == 202, opt_out.text
        assert opt_out.headers["location"] == f"/opt-out/{opt_out.json()['request_id']}"
        deadline = time.monotonic() + 20
        while any(face["id"] == "face-0000" for face in search("fbi-hq").json()["results"]):
            assert time.monotonic() < deadline, "face-0000 still listed 20 s after its opt-out"
            time.sleep(0.1)

        assert (
            client.head(
                "/search", headers={"Authorization": f"Bearer {token('fbi-hq')}"}
            ).status_code
            == 200
        )
        both = client.get(
            "/search",
            headers=[
                ("Authorization", f"Bearer {token('fbi-hq')}"),
                ("Authorization", f"Bearer {token('nypd')}"),
            ],
        )
        assert both.status_code == 400
