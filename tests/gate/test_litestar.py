"""jurisgate and Litestar: wrapped around the whole app (as README.md shows), or, wrongly,
as Litestar middleware, which runs after routing and hands a mounted app's middleware the path
relative to the mount (``/v2/search/x`` arrives as ``/search/x/``).

The policy opens ``/docs/*`` to everyone and ``/search/*`` to US police; the mounted app at
``/v2`` is neither, so nothing may reach it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from litestar import Litestar, asgi, get
from litestar.middleware import DefineMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from jurisgate.middleware import FixedClock, JurisdictionMiddleware, TrustedIssuer
from jurisgate.middleware.config.gate_config import PolicySettings

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

POLICY = """\
p, docs-public, allow, anonymous, *, *, *, *, *, /docs/*, GET, , , ,
p, police-search, allow, state_law_enforcement, US, *, *, *, *, /search/*, GET, , , ,
"""


@get("/search/x")
async def search() -> dict[str, str]:
    return {"app": "main"}


@get("/docs/intro")
async def docs() -> dict[str, str]:
    return {"app": "docs"}


@asgi("/v2", is_mount=True, copy_scope=True)
async def v2(scope: Scope, receive: Receive, send: Send) -> None:
    """A mounted ASGI app that serves whatever it is asked: nothing of it is public."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"v2 served " + scope["path"].encode()})


@pytest.fixture
def gate_options(tmp_path: Path, dev_issuer: TrustedIssuer, clock: FixedClock) -> dict[str, Any]:
    model = tmp_path / "model.conf"
    from importlib.resources import files

    model.write_bytes(
        files("jurisgate.policies.clearview_settlement").joinpath("model.conf").read_bytes()
    )
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    return {
        "issuers": [dev_issuer],
        "policy": PolicySettings(model=model, policy=policy, watch_interval=0),
        "clock": clock,
    }


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def police(tokens: TokenFactory, clock: FixedClock) -> dict[str, str]:
    token = tokens.client(clock.now(), "state_law_enforcement", "US", "US-NY")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.anyio
async def test_wrapping_the_litestar_app_decides_the_whole_path(
    gate_options: dict[str, Any], tokens: TokenFactory, clock: FixedClock
) -> None:
    # Litestar types its scopes as TypedDicts, Starlette as mappings: the same ASGI callable
    litestar_app = cast("ASGIApp", Litestar(route_handlers=[search, docs, v2], logging_config=None))
    app = JurisdictionMiddleware(litestar_app, **gate_options)
    async with client(app) as http:
        assert (await http.get("/search/x", headers=police(tokens, clock))).status_code == 200
        assert (await http.get("/docs/intro")).status_code == 200
        # the mounted app's paths are decided as sent: no rule opens /v2/*
        assert (await http.get("/v2/search/x", headers=police(tokens, clock))).status_code == 403
        assert (await http.get("/v2/docs/x")).status_code == 401


@pytest.mark.anyio
async def test_as_litestar_middleware_a_mounted_app_is_refused_not_misdecided(
    gate_options: dict[str, Any], tokens: TokenFactory, clock: FixedClock
) -> None:
    app = Litestar(
        route_handlers=[search, docs, v2],
        logging_config=None,  # Litestar's default reconfigures logging for the whole process
        middleware=[DefineMiddleware(cast("Any", JurisdictionMiddleware), **gate_options)],
    )
    async with client(app) as http:
        # routes that Litestar does not rewrite are decided as usual
        assert (await http.get("/search/x", headers=police(tokens, clock))).status_code == 200
        assert (await http.get("/docs/intro")).status_code == 200
        # inside the mount the gate sees /search/x/ and /docs/x/: refused, never allowed
        wrong_allow = await http.get("/v2/search/x", headers=police(tokens, clock))
        assert wrong_allow.status_code == 403, wrong_allow.text
        assert wrong_allow.json()["type"] == "urn:jurisgate:problem:rewritten_path"
        public_leak = await http.get("/v2/docs/x")
        assert public_leak.status_code == 403, public_leak.text
        assert b"v2 served" not in public_leak.content


@pytest.mark.anyio
async def test_a_remembered_request_is_not_served_to_a_rewritten_path(
    gate_options: dict[str, Any], tokens: TokenFactory, clock: FixedClock
) -> None:
    """One gate sees /search/x as sent, then the same path string rewritten from /v2/search/x
    (a static Litestar mount drops the prefix and adds no slash): the memory of whole requests
    must not answer the second."""
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = JurisdictionMiddleware(app, **gate_options)
    header = police(tokens, clock)["Authorization"].encode()
    statuses: list[int] = []

    async def call(raw_path: bytes) -> None:
        scope = {
            "type": "http", "method": "GET", "path": "/search/x", "raw_path": raw_path,
            "root_path": "", "query_string": b"", "headers": [(b"authorization", header)],
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await gate(scope, receive, send)  # type: ignore[arg-type]

    await call(b"/search/x")
    await call(b"/search/x")  # answered from memory
    await call(b"/v2/search/x")
    assert statuses == [200, 200, 403]
    assert reached == ["/search/x", "/search/x"]
    assert gate.warm.hits == 1
