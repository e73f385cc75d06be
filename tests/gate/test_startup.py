"""A configuration that cannot work stops the app at start-up (issue 14).

Mounted the ways README.md shows, the gate is built lazily by Starlette inside the lifespan
call; it must then fail the lifespan startup with a message naming the file and key (not raise,
which servers take for "no lifespan support"). A request that reaches such a gate anyway gets
a 503 problem+json, and ``jurisgate lint --config`` reports the same problems as findings.
Servers for real: test_startup_servers.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.types import ASGIApp, Message

from jurisgate.admin.cli import main

from .conftest import BAD_CONFIGS, FASTAPI_APP, STARLETTE_APP

if TYPE_CHECKING:
    from .conftest import WriteBadConfig

MOUNTS = {"Middleware(...)": STARLETTE_APP, "app.add_middleware(...)": FASTAPI_APP}


def mounted(source: str, directory: Path, monkeypatch: pytest.MonkeyPatch) -> ASGIApp:
    """The app module README.md shows, run from ``directory`` (config="jurisgate.toml")."""
    monkeypatch.chdir(directory)
    namespace: dict[str, Any] = {}
    exec(compile(source, "app.py", "exec"), namespace)  # noqa: S102 - our own fixture text
    app: ASGIApp = namespace["app"]
    return app


def lifespan(app: ASGIApp) -> list[Message]:
    """Start the app and stop it, as a server does over the ASGI lifespan protocol."""
    events: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return events.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await app(scope, receive, send)

    asyncio.run(run())
    return sent


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_config_fails_the_lifespan_startup_naming_file_and_key(
    write_bad_config: WriteBadConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    mount: str,
) -> None:
    bad = write_bad_config(case)
    sent = lifespan(mounted(MOUNTS[mount], tmp_path, monkeypatch))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    message = sent[0]["message"]
    assert message.startswith("jurisgate cannot start: jurisgate.toml: ")
    for name in bad.names:
        assert name in message


def test_a_good_config_starts_and_stops(
    write_bad_config: WriteBadConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write_bad_config("unknown key")
    bad.path.write_text(bad.path.read_text().replace('audiance = "face-search-api"\n', ""))
    sent = lifespan(mounted(STARLETTE_APP, tmp_path, monkeypatch))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


@pytest.mark.parametrize("mount", MOUNTS)
def test_a_request_that_reaches_an_unconfigured_gate_gets_503_problem_json(
    write_bad_config: WriteBadConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mount: str
) -> None:
    write_bad_config("algorithm the key cannot serve")
    app = mounted(MOUNTS[mount], tmp_path, monkeypatch)  # served without lifespan

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/health")

    for _ in range(2):  # every time, not only on the first request
        response = asyncio.run(get())
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "urn:jurisgate:problem:gate_unavailable"
        assert body["status"] == 503
        assert response.headers["x-jurisgate-decision-id"] == body["decision_id"]
        # The admin's message is in the log; the client learns nothing of the config.
        assert "jurisgate.toml" not in response.text
        assert "ES384" not in response.text


@pytest.mark.parametrize("denial_response", [True, False])
def test_a_websocket_that_reaches_an_unconfigured_gate_is_refused(
    write_bad_config: WriteBadConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    denial_response: bool,
) -> None:
    write_bad_config("missing key file")
    app = mounted(STARLETTE_APP, tmp_path, monkeypatch)
    extensions: dict[str, object] = {"websocket.http.response": {}} if denial_response else {}
    scope = {"type": "websocket", "path": "/health", "headers": [], "extensions": extensions}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    asyncio.run(run())
    if denial_response:  # the server can send an HTTP answer instead of the upgrade
        assert [m["type"] for m in sent] == [
            "websocket.http.response.start",
            "websocket.http.response.body",
        ]
        assert sent[0]["status"] == 503
        assert json.loads(sent[1]["body"])["type"] == "urn:jurisgate:problem:gate_unavailable"
    else:  # closed before it is accepted: 1011, the server cannot serve
        assert sent == [{"type": "websocket.close", "code": 1011, "reason": "unavailable"}]


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_lint_reports_what_stops_the_gate(
    write_bad_config: WriteBadConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    bad = write_bad_config(case)
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # the file named as the app names it
    code = main(["lint", "--config", bad.path.name, "--json"])
    findings = json.loads(capsys.readouterr().out)
    stopping = [f for f in findings if f["code"] == "cannot_start"]
    assert code == 1
    assert stopping, findings
    assert all(f["source"] == "jurisgate.toml" for f in stopping)
    text = " ".join(f["message"] for f in stopping)
    for name in bad.names:
        assert name in text
    # The same loader: each finding is in what the gate fails its start-up with.
    started = lifespan(mounted(STARLETTE_APP, tmp_path, monkeypatch))
    for finding in stopping:
        assert finding["message"] in started[0]["message"]
