"""WebSocket connections are checked like HTTP: denied ones are closed (1008) before accept,
and those a stale policy refuses get a 503 where the server offers the denial response (as
Starlette's TestClient does), else a close with "try again later" (1013)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.middleware import Middleware
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from jurisgate.middleware import (
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    Principal,
    TrustedIssuer,
)
from jurisgate.middleware.policy_freshness import PolicyFreshness

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def _test_client_class() -> Any:
    # starlette.testclient warns once, at import, that it prefers httpx2 over httpx.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx`", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    return TestClient


@pytest.fixture
def accepted() -> list[Principal]:
    return []


@pytest.fixture
def client(
    accepted: list[Principal], dev_issuer: TrustedIssuer, clock: FixedClock
) -> Iterator[Any]:
    async def feed(websocket: WebSocket) -> None:
        principal = websocket.scope["state"]["principal"]
        accepted.append(principal)
        await websocket.accept()
        await websocket.send_json(
            {"entity_type": principal.entity_type, "user": websocket.user.display_name}
        )
        await websocket.close()

    app = Starlette(
        routes=[WebSocketRoute("/search", feed), WebSocketRoute("/elsewhere", feed)],
        middleware=[Middleware(JurisdictionMiddleware, issuers=[dev_issuer], clock=clock)],
    )
    with _test_client_class()(app) as test_client:
        yield test_client


def test_allowed_client_is_accepted(
    client: Any, accepted: list[Principal], tokens: TokenFactory, clock: FixedClock
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC", subject="fbi")
    headers = {"authorization": f"Bearer {token}"}
    with client.websocket_connect("/search", headers=headers) as websocket:
        assert websocket.receive_json() == {"entity_type": "federal_law_enforcement", "user": "fbi"}
    assert [p.region for p in accepted] == ["US-DC"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("no-token", 401),
        ("bad-token", 401),
        ("two-headers", 400),
        ("illinois", 451),
        ("company", 451),
        ("no-region", 403),
        ("foreign", 403),
    ],
)
def test_denied_client_is_closed_before_accept(
    client: Any,
    accepted: list[Principal],
    tokens: TokenFactory,
    clock: FixedClock,
    who: str,
    status: int,
) -> None:
    now = clock.now()
    headers: list[tuple[str, str]] = []
    claims = {
        "illinois": ("state_law_enforcement", "US", "US-IL"),
        "company": ("private_company", "US", "US-NY"),
        "no-region": ("local_law_enforcement", "US", None),
        "foreign": ("foreign_law_enforcement", "UA", "UA-30"),
    }
    if who in claims:
        headers = [("authorization", f"Bearer {tokens.client(now, *claims[who])}")]
    elif who == "bad-token":
        headers = [("authorization", "Bearer a.b.c")]
    elif who == "two-headers":
        token = tokens.client(now, "federal_law_enforcement", "US", "US-DC")
        headers = [("authorization", f"Bearer {token}")] * 2
    with pytest.raises(WebSocketDisconnect) as closed:  # noqa: SIM117
        # httpx.Headers: a mutable mapping that keeps repeated headers.
        with client.websocket_connect("/search", headers=httpx.Headers(headers)):
            pytest.fail("the connection was accepted")
    assert closed.value.code == POLICY_VIOLATION
    # The close reason says which answer an HTTP request would have had, and the decision id.
    assert f"({status})" in closed.value.reason
    assert "decision" in closed.value.reason
    assert accepted == []


def test_path_without_an_allow_rule_is_closed(
    client: Any, accepted: list[Principal], tokens: TokenFactory, clock: FixedClock
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    with pytest.raises(WebSocketDisconnect) as closed:  # noqa: SIM117
        with client.websocket_connect("/elsewhere", headers={"authorization": f"Bearer {token}"}):
            pytest.fail("the connection was accepted")
    assert closed.value.code == POLICY_VIOLATION
    assert accepted == []


def _denial_response_class() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx`", StarletteDeprecationWarning)
        from starlette.testclient import WebSocketDenialResponse
    return WebSocketDenialResponse


def test_a_stale_policy_answers_503_before_accept(
    dev_issuer: TrustedIssuer, tokens: TokenFactory, clock: FixedClock
) -> None:
    """A policy the store has not confirmed for ``[policy] max_staleness`` refuses every
    connection, an allowed client's too, before accept; not a violation of the policy but
    "try again later": the 503 HTTP gets, through the denial-response extension the
    TestClient offers (without it, a close with 1013: the test below)."""
    reached: list[str] = []

    async def feed(websocket: WebSocket) -> None:
        reached.append(websocket.url.path)
        await websocket.accept()
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/search", feed)])
    records: list[Mapping[str, Any]] = []
    gate = JurisdictionMiddleware(
        app, issuers=[dev_issuer], clock=clock, audit=AuditLog(observers=[records.append])
    )
    # Last confirmed long ago: past any bound (what policy_freshness.py's deadline measures).
    gate.freshness = PolicyFreshness(30.0, clock=lambda: -1e9)
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    with _test_client_class()(gate) as client:
        with pytest.raises(_denial_response_class()) as denied:  # noqa: SIM117
            with client.websocket_connect("/search", headers={"authorization": f"Bearer {token}"}):
                pytest.fail("the connection was accepted")
        assert client.get("/search").status_code == 503  # HTTP: the same refusal
    assert denied.value.status_code == 503
    assert int(denied.value.headers["retry-after"]) >= 1
    assert reached == []
    assert [(r["reason"], r["status"], r["sent_status"]) for r in records] == [
        ("policy_stale", 503, 503), ("policy_stale", 503, 503),
    ]  # fmt: skip


async def _stale_websocket_answer(
    gate: JurisdictionMiddleware, token: str, extensions: dict[str, object]
) -> list[Mapping[str, Any]]:
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/search",
        "raw_path": b"/search",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "subprotocols": [],
        "extensions": extensions,
    }
    sent: list[Mapping[str, Any]] = []

    async def receive() -> Mapping[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    await gate(scope, receive, send)  # type: ignore[arg-type]
    return sent


@pytest.mark.anyio
async def test_a_stale_policy_answers_503_where_the_server_offers_the_denial_response(
    dev_issuer: TrustedIssuer, tokens: TokenFactory, clock: FixedClock
) -> None:
    """With the WebSocket denial-response extension the client sees the 503 and its
    Retry-After, as over HTTP, not the 403 a close before accept becomes."""

    async def feed(websocket: WebSocket) -> None:
        pytest.fail("the app was reached")

    records: list[Mapping[str, Any]] = []
    gate = JurisdictionMiddleware(
        Starlette(routes=[WebSocketRoute("/search", feed)]),
        issuers=[dev_issuer],
        clock=clock,
        audit=AuditLog(observers=[records.append]),
    )
    gate.freshness = PolicyFreshness(30.0, clock=lambda: -1e9)
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    start, body = await _stale_websocket_answer(gate, token, {"websocket.http.response": {}})
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert int(headers[b"retry-after"]) >= 1
    assert body["type"] == "websocket.http.response.body"
    assert b"policy_stale" in body["body"]
    (closed,) = await _stale_websocket_answer(gate, token, {})  # without it: a close, 1013
    assert (closed["type"], closed["code"]) == ("websocket.close", TRY_AGAIN_LATER)
    assert [(r["reason"], r["sent_status"]) for r in records] == [
        ("policy_stale", 503), ("policy_stale", 403),
    ]  # fmt: skip
    await gate.aclose()
