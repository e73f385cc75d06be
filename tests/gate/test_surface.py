"""The request surface: paths, methods and headers a policy did not think of.

Paths are sent as exact ASGI scopes (an HTTP client would normalize them before sending).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from starlette.types import Message

    from tests.fixtures.idps import Gate, IdPs, MakeGate


def _status(messages: list[Message]) -> int:
    starts = [m for m in messages if m["type"] == "http.response.start"]
    assert len(starts) == 1, messages
    status = starts[0]["status"]
    assert isinstance(status, int)
    return status


def _auth(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


SEARCH_SPELLINGS = [
    ("//search", b"//search"),
    ("/search/", b"/search/"),
    ("/search", b"/%73earch"),  # the server percent-decodes raw_path into path
    ("/./search", b"/./search"),
    ("/x/../search", b"/x/../search"),
    ("/search/.", b"/search/."),
    ("///search//", b"///search//"),
    ("/health/../search", b"/health/../search"),
    ("/search", b"/search"),
]


@pytest.mark.parametrize(("path", "raw_path"), SEARCH_SPELLINGS)
def test_denied_clients_cannot_reach_search_by_another_spelling(
    gate: Gate, idps: IdPs, path: str, raw_path: bytes
) -> None:
    for token, expected in (
        (idps.rsa.mint(region="US-IL"), 451),
        (idps.rsa.mint(entity_type="private_company", region="US-TX"), 451),
        (idps.rsa.mint(entity_type="foreign_government", country="FR", region="FR-75C"), 403),
    ):
        messages = gate.raw(path, raw_path=raw_path, headers=_auth(token))
        assert _status(messages) == expected, (path, messages)
    assert _status(gate.raw(path, raw_path=raw_path)) == 401
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/search/../health",
        "/search//..//health",
        "/search/./../health",
        "/search/x/../../health",
        "/search/../opt-out",
    ],
)
def test_public_path_spelled_through_a_protected_route_is_not_public(
    make_gate: MakeGate, path: str
) -> None:
    # An app with a catch-all under /search routes "/search/../health" to that protected route
    # (Starlette routes the path as sent). The gate must not let it through as the public /health.
    served: list[str] = []

    async def files(request: Request) -> PlainTextResponse:
        served.append(request.url.path)
        return PlainTextResponse("protected file")

    gate = make_gate([Route("/search/{rest:path}", files, methods=["GET", "POST"])])
    for method in ("GET", "POST"):
        status = _status(gate.raw(path, method=method))
        assert status == 401, (method, path)
    assert served == []


def test_health_is_public_and_search_is_not(gate: Gate) -> None:
    assert gate.request("GET", "/health").status_code == 200
    gate.refused(gate.request("GET", "/search"), 401)
    assert gate.reached.calls == [("GET", "/health")]


@pytest.mark.parametrize(
    "header", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-Method"]
)
def test_method_override_headers_are_ignored(gate: Gate, idps: IdPs, header: str) -> None:
    ny = idps.rsa.mint()
    # POST /search is not allowed to anyone: overriding to GET must not change that.
    response = gate.request("POST", "/search", token=ny, headers=[(header, "GET")])
    gate.refused(response, 403)
    # The public GET /health does not make POST /health public.
    response = gate.request("POST", "/health", headers=[(header, "GET")])
    gate.refused(response, 401)
    # An allowed GET overridden to DELETE stays a GET for the policy and for the app.
    response = gate.request("GET", "/search", token=ny, headers=[(header, "DELETE")])
    assert response.status_code == 200
    assert gate.reached.calls == [("GET", "/search")]


def test_options_is_not_a_free_pass(gate: Gate, idps: IdPs) -> None:
    gate.refused(gate.request("OPTIONS", "/search"), 401)
    gate.refused(gate.request("OPTIONS", "/search", token=idps.rsa.mint()), 403)
    gate.refused(gate.request("OPTIONS", "/search", token=idps.rsa.mint(region="US-IL")), 451)
    preflight = [("Origin", "https://evil.test"), ("Access-Control-Request-Method", "GET")]
    gate.refused(gate.request("OPTIONS", "/search", headers=preflight), 401)
    assert gate.reached.calls == []


def test_head_is_decided_as_get(gate: Gate, idps: IdPs) -> None:
    assert gate.request("HEAD", "/search", token=idps.rsa.mint()).status_code == 200
    response = gate.request("HEAD", "/search", token=idps.rsa.mint(region="US-IL"))
    assert response.status_code == 451
    assert gate.request("HEAD", "/search").status_code == 401
    assert gate.reached.calls == [("HEAD", "/search")]


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "TRACE", "CONNECT", "get", "FOO"])
def test_other_methods_are_denied(gate: Gate, idps: IdPs, method: str) -> None:
    messages = gate.raw("/search", method=method, headers=_auth(idps.rsa.mint()))
    assert _status(messages) == 403
    assert _status(gate.raw("/search", method=method)) == 401
    assert gate.reached.calls == []


def test_two_authorization_headers_are_a_bad_request(gate: Gate, idps: IdPs) -> None:
    good = idps.rsa.mint()
    for second in (good, idps.rsa.mint(region="US-IL"), "garbage"):
        response = gate.request(
            headers=[("Authorization", f"Bearer {good}"), ("Authorization", f"Bearer {second}")]
        )
        gate.refused(response, 400, token=good)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "value",
    [
        b"Basic dXNlcjpwYXNz",
        b"Bearer",
        b"Bearer ",
        b"Bearer  ",
        b"Bearer a b",
        b"Bearer\ttoken",
        b"Token abc",
        b"bearer \xff\xfe",
        b"\x00",
        b"Bearer " + b"\xe9" * 100,
    ],
)
def test_odd_authorization_values_are_refused(gate: Gate, value: bytes) -> None:
    status = _status(gate.raw("/search", headers=[(b"authorization", value)]))
    assert status in (400, 401)
    assert gate.reached.calls == []


def test_authorization_is_read_from_the_authorization_header_only(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint()
    for name in ("X-Authorization", "Proxy-Authorization", "Cookie", "X-Forwarded-Authorization"):
        gate.refused(gate.request(headers=[(name, f"Bearer {token}")]), 401)
    gate.refused(gate.request(f"/search?access_token={token}"), 401)
    assert gate.reached.calls == []


def _ws_outcome(messages: list[Message]) -> str:
    kinds = [m["type"] for m in messages]
    if "websocket.accept" in kinds:
        return "accepted"
    closes = [m for m in messages if m["type"] == "websocket.close"]
    assert closes, messages
    assert closes[0]["code"] == 1008
    return "closed"


def test_websocket_upgrades_are_checked(gate: Gate, idps: IdPs) -> None:
    assert _ws_outcome(gate.raw("/search/live", kind="websocket")) == "closed"
    denied = idps.rsa.mint(region="US-IL")
    assert (
        _ws_outcome(gate.raw("/search/live", kind="websocket", headers=_auth(denied))) == "closed"
    )
    forged = idps.attacker_rsa.mint()
    assert (
        _ws_outcome(gate.raw("/search/live", kind="websocket", headers=_auth(forged))) == "closed"
    )
    assert gate.reached.calls == []
    allowed = idps.rsa.mint()
    messages = gate.raw("/search/live", kind="websocket", headers=_auth(allowed))
    assert _ws_outcome(messages) == "accepted"
    assert gate.reached.calls == [("WS", "/search/live")]


def test_websocket_close_reason_leaks_nothing(gate: Gate, idps: IdPs) -> None:
    token = idps.attacker_rsa.mint()
    messages = gate.raw("/search/live", kind="websocket", headers=_auth(token))
    reason = json.dumps([m.get("reason", "") for m in messages])
    for word in ("bad_signature", "invalid_token", token[-20:]):
        assert word not in reason
