"""README.md's operator-facing promises hold: the documented metrics set-up serves Prometheus
without a token while the API still refuses, and the answer and audit fields it names are the
fields the gate sends and writes."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import prometheus_client
import pytest
import uvicorn
from packaging.requirements import Requirement
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jurisgate.middleware import FixedClock, JurisdictionMiddleware
from jurisgate.policies import pack_file

from ..fixtures.admin_config import WriteConfig
from ..fixtures.tokens import hs256_token

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = b"a-development-secret-of-at-least-32-bytes!"
NOW = 1_795_000_000


def readme_blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    return README.read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def api(config: Path) -> Starlette:
    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse("the app's own")

    # An app that has a /metrics route of its own: behind the gate it is refused like any path.
    routes = [Route("/search", answer), Route("/metrics", answer)]
    return Starlette(routes=routes)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn (a thread of this process) on a loopback socket bound
    here, on a port the kernel picks: no other process can take it between the choice and the
    bind, as it can a port that ``free_port`` found free a moment before."""
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listening.close()


@pytest.fixture
def config(write_config: WriteConfig, tmp_path: Path) -> Path:
    written = write_config(Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8"))
    shutil.copy(written, tmp_path / "jurisgate.toml")
    return tmp_path / "jurisgate.toml"


def test_documented_metrics_serve_prometheus_without_a_token_and_the_api_still_refuses(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (snippet,) = [block for block in readme_blocks("python") if "GateMetrics()" in block]
    assert "metrics_app" not in snippet  # never mounted on the gated app, where Prometheus gets 401
    address, port = re.search(r'start_http_server\((\d+), addr="([^"]+)"', snippet).group(2, 1)  # type: ignore[union-attr]
    # Only the deployment's address and port change: the loopback, and a port the kernel
    # picks as the server binds (0), so no other process can hold it by then.
    snippet = snippet.replace(f'addr="{address}"', 'addr="127.0.0.1"').replace(
        f"start_http_server({port},", "start_http_server(0,"
    )
    assert 'start_http_server(0, addr="127.0.0.1"' in snippet
    started: list[Any] = []
    real_start = prometheus_client.start_http_server

    def start_and_keep(*args: Any, **options: Any) -> Any:
        started.append(real_start(*args, **options))  # the real server; kept to stop it
        return started[-1]

    monkeypatch.setattr(prometheus_client, "start_http_server", start_and_keep)
    monkeypatch.chdir(config.parent)
    app = api(config)
    exec(snippet, {"app": app})  # noqa: S102  (README's own code, as a user would run it)
    try:
        with served(app) as base, httpx.Client(timeout=10) as client:
            assert client.get(f"{base}/metrics").status_code == 401  # the API port refuses
            assert client.get(f"{base}/search").status_code == 401
            ((scraper, _),) = started
            scrape = client.get(f"http://127.0.0.1:{scraper.server_port}/metrics")  # no token
        assert scrape.status_code == 200
        refused = re.findall(r'^jurisgate_decisions_total\{[^}]*status="401"[^}]*\} (\S+)$',
                             scrape.text, flags=re.MULTILINE)  # fmt: skip
        assert sum(float(value) for value in refused) == 2  # both refusals counted
    finally:
        for server, thread in started:
            server.shutdown()
            server.server_close()
            thread.join(10)


def answers_row(status: str) -> str:
    (row,) = [line for line in section("Answers").splitlines() if line.startswith(f"| {status} |")]
    return row.rsplit("|", 2)[1]


@pytest.mark.anyio
async def test_401_bodies_carry_the_fields_readme_names(config: Path) -> None:
    # README: "`type`, `title`, `status`, `decision_id`; with a token that failed, also `error`".
    body_cell = answers_row("401")
    always, _, failed = body_cell.partition(";")
    fields = re.findall(r"`(\w+)`", always)
    also = re.findall(r"`(\w+)`", failed)
    gate = JurisdictionMiddleware(api(config), config=str(config), clock=FixedClock(float(NOW)))
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        no_token = (await client.get("/search")).json()
        bad_token = (await client.get("/search", headers={"Authorization": "Bearer x.y.z"})).json()
    assert sorted(no_token) == sorted(fields)
    assert sorted(bad_token) == sorted(fields + also)


@pytest.mark.anyio
async def test_the_audit_fields_readme_lists_are_the_records_fields(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    listed = section("Audit").split("\n\n", 1)[0]  # the paragraph that lists the fields
    named = re.findall(r"`(\w+)`", listed)
    gate = JurisdictionMiddleware(api(config), config=str(config), clock=FixedClock(float(NOW)))
    claims = {"entity_type": "local_law_enforcement", "country": "US", "region": "US-NY",
              "agency_region": "US-NY"}  # fmt: skip
    token = hs256_token(SECRET, claims, issuer="https://idp.test", audience="face-search-api",
                        now=NOW)  # fmt: skip
    transport = httpx.ASGITransport(app=gate)
    with caplog.at_level(logging.INFO, logger="jurisgate.audit"):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.get("/search", headers={"Authorization": f"Bearer {token}"})
    (record,) = [r for r in caplog.records if r.name == "jurisgate.audit"]
    assert named == list(record.audit)  # type: ignore[attr-defined]


def test_the_install_section_names_every_extra_and_where_the_command_is() -> None:
    pyproject = tomllib.loads((README.parent / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"]) - {"test", "dev", "bench"}
    install = section("Installing it in your application")
    rows = re.findall(r"^\| `(\w+)` \|", install, flags=re.MULTILINE)
    assert sorted(rows) == sorted(extras)
    assert ".venv/bin/jurisgate" in README.read_text(encoding="utf-8")
    # Each documented `pip install '...'` is a valid requirement naming extras that exist.
    requirements = [Requirement(r) for r in re.findall(r"pip install '([^']+)'", install)]
    assert {r.url.split(":", 1)[0] for r in requirements if r.url} == {"file", "git+https"}
    for requirement in requirements:
        assert requirement.name == "jurisgate"
        assert requirement.extras <= extras


def test_the_development_section_names_every_program_the_tests_look_for() -> None:
    development = section("Development")
    sources = (README.parent / "tests").rglob("*.py")
    wanted = {
        name
        for source in sources
        for name in re.findall(
            r'(?:shutil\.which\("|Path\("/usr/bin/)([\w-]+)"', source.read_text(encoding="utf-8")
        )
    }
    assert {"redis-server", "redis-cli", "chromium", "chromedriver"} <= wanted
    missing = sorted(name for name in wanted if f"`{name}`" not in development and
                     f"/usr/bin/{name}`" not in development)  # fmt: skip
    assert not missing, f"README's Development section does not say the tests need {missing}"
