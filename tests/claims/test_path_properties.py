"""Property: whatever the path, an anonymous request is only ever served by a public endpoint.

The app has a protected catch-all under /search, so any disagreement between what the gate
decides on and what the router serves shows up as a protected endpoint reached without a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs, MakeGate

SEGMENTS = st.sampled_from(
    ["search", "health", "opt-out", "..", ".", "", "x", "search.json", "health..", "...", "%2e"]
)
PATHS = st.lists(SEGMENTS, min_size=0, max_size=7).map(lambda parts: "/" + "/".join(parts))
PUBLIC = {("GET", "/health"), ("HEAD", "/health"), ("POST", "/opt-out")}


def _gate(make_gate: MakeGate) -> tuple[Gate, list[tuple[str, str]]]:
    served: list[tuple[str, str]] = []

    async def files(request: Request) -> PlainTextResponse:
        served.append((request.method, "/search/{rest}"))
        return PlainTextResponse("protected")

    gate = make_gate([Route("/search/{rest:path}", files, methods=["GET", "POST", "HEAD"])])
    return gate, served


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=PATHS, method=st.sampled_from(["GET", "POST", "HEAD"]))
def test_anonymous_requests_reach_public_endpoints_only(
    make_gate: MakeGate, path: str, method: str
) -> None:
    gate, served = _gate(make_gate)
    messages = gate.raw(path, method=method)
    (start,) = [m for m in messages if m["type"] == "http.response.start"]
    assert start["status"] < 500
    reached = gate.reached.calls + served
    assert len(reached) <= 1
    for call in reached:
        assert call in PUBLIC, (method, path, call)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=PATHS)
def test_illinois_never_reaches_a_search_endpoint(
    make_gate: MakeGate, idps: IdPs, path: str
) -> None:
    gate, served = _gate(make_gate)
    token = idps.rsa.mint(region="US-IL")
    gate.raw(path, headers=[(b"authorization", f"Bearer {token}".encode())])
    assert served == []
    assert all(call[1] != "/search" for call in gate.reached.calls)
