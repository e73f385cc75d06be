"""WebSocket connections are checked like HTTP: denied ones are closed (1008) before accept,
and those a stale policy refuses with "try again later" (1013)."""

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


def test_a_stale_policy_closes_with_try_again_later(
    dev_issuer: TrustedIssuer, tokens: TokenFactory, clock: FixedClock
) -> None:
    """A policy the store has not confirmed for ``[policy] max_staleness`` refuses every
    connection, an allowed client's too, before accept; not a violation of the policy but
    "try again later" (1013, RFC 6455 section 7.4.2's registry), as HTTP gets 503."""
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
        with pytest.raises(WebSocketDisconnect) as closed:  # noqa: SIM117
            with client.websocket_connect("/search", headers={"authorization": f"Bearer {token}"}):
                pytest.fail("the connection was accepted")
        assert client.get("/search").status_code == 503  # HTTP: the same refusal
    assert closed.value.code == TRY_AGAIN_LATER
    assert "(503)" in closed.value.reason
    assert reached == []
    assert [(r["reason"], r["status"], r["sent_status"]) for r in records] == [
        ("policy_stale", 503, 403), ("policy_stale", 503, 503),
    ]  # fmt: skip
