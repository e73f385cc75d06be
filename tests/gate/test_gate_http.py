"""The gate end to end over HTTP: httpx into the example search API (and small apps) via ASGI."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.authentication import UnauthenticatedUser
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from jurisgate.middleware import (
    AUDIT_LOGGER,
    Decision,
    FixedClock,
    JurisdictionMiddleware,
    JurisdictionUser,
    Principal,
    TrustedIssuer,
)

if TYPE_CHECKING:
    from tests.conftest import ClientFactory, ExampleStack, TokenFactory

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"
DECISION_ID = "x-jurisgate-decision-id"
BLOCKED_BY = '<https://search.example.invalid/legal>; rel="blocked-by"'
ACLU = "https://www.aclu.org/cases/aclu-v-clearview-ai"
NLR = (
    "https://www.natlawreview.com/article/"
    "facial-recognition-clearview-aclu-settlement-charts-new-path-bipa-and-first"
)

# label, entity_type, country, region claim -> status, rule, problem type (None when allowed)
DECISION_TABLE = [
    ("FBI headquarters", "federal_law_enforcement", "US", "US-DC", 200, "us-government-search"),
    (
        "FBI Chicago field office",
        "federal_law_enforcement",
        "US",
        "US-IL",
        451,
        "il-located-five-years",
    ),
    ("Illinois State Police", "state_law_enforcement", "US", "IL", 451, "il-agencies-five-years"),
    ("NYPD", "local_law_enforcement", "US", "US-NY", 200, "us-government-search"),
    ("Texas DOT", "state_agency", "US", "US-TX", 200, "us-government-search"),
    ("a Texas company", "private_company", "US", "Texas", 451, "us-private-permanent"),
    ("a person in California", "individual", "US", "US-CA", 451, "us-private-permanent"),
    ("Ukrainian National Police", "foreign_law_enforcement", "UA", None, 403, None),
    ("a sheriff whose token has no region", "local_law_enforcement", "US", None, 403, None),
]
PROBLEM_TYPES = {
    "FBI Chicago field office": "urn:jurisgate:problem:legal_block",
    "Illinois State Police": "urn:jurisgate:problem:legal_block",
    "a Texas company": "urn:jurisgate:problem:legal_block",
    "a person in California": "urn:jurisgate:problem:legal_block",
    "Ukrainian National Police": "urn:jurisgate:problem:forbidden",
    "a sheriff whose token has no region": "urn:jurisgate:problem:missing_region",
}
NORMALIZED_REGION = {"IL": "US-IL", "Texas": "US-TX"}


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"authorization": f"{scheme} {token}"}


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["decision_id"] == response.headers[DECISION_ID]
    return body


def assert_no_token_leak(response: httpx.Response, token: str) -> None:
    """Neither the token nor any of its segments is echoed, in the body or in a header."""
    exposed = response.text + "".join(f"{k}: {v}\n" for k, v in response.headers.items())
    for part in [token, *token.split(".")]:
        if len(part) >= 8:
            assert part not in exposed


# --- a small app that records what reaches it ----------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Request] = []

    async def search(self, request: Request) -> Response:
        self.requests.append(request)
        principal = request.state.principal
        decision = request.state.decision
        assert isinstance(principal, Principal)
        assert isinstance(decision, Decision)
        user = request.user
        assert isinstance(user, JurisdictionUser)
        return JSONResponse(
            {
                "principal": principal.as_dict(),
                "user_principal_is_state": user.principal is principal,
                "display_name": user.display_name,
                "identity": user.identity,
                "scopes": request.auth.scopes,
                "rule": decision.rule,
                "status": decision.status,
            }
        )

    async def public(self, request: Request) -> Response:
        self.requests.append(request)
        assert isinstance(request.user, UnauthenticatedUser)
        assert request.auth.scopes == []
        return PlainTextResponse("public")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recording_app(recorder: Recorder, dev_issuer: TrustedIssuer, clock: FixedClock) -> Starlette:
    """Configured with keyword options rather than a file."""
    return Starlette(
        routes=[
            Route("/search", recorder.search),
            Route("/health", recorder.public),
            Route("/opt-out", recorder.public, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                JurisdictionMiddleware,
                issuers=[dev_issuer],
                clock=clock,
                blocked_by="https://search.example.invalid/legal",
            )
        ],
    )


# --- the decision table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "entity", "country", "region", "status", "rule"),
    DECISION_TABLE,
    ids=[row[0] for row in DECISION_TABLE],
)
async def test_decision_table(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    label: str,
    entity: str,
    country: str,
    region: str | None,
    status: int,
    rule: str | None,
) -> None:
    token = tokens.client(clock.now(), entity, country, region)
    async with http(example_app) as client:
        response = await client.get("/search", params={"q": "avery"}, headers=bearer(token))
    assert response.status_code == status
    assert re.fullmatch("[0-9a-f]{20}", response.headers[DECISION_ID])
    if status == 200:
        body = response.json()
        assert body["served_to"] == {
            "entity_type": entity,
            "region": NORMALIZED_REGION.get(region or "", region),
        }
        assert body["results"]
        assert all("avery" in face["name"].lower() for face in body["results"])
        return
    body = problem(response)
    assert body["rule"] == rule
    assert body["type"] == PROBLEM_TYPES[label]
    assert_no_token_leak(response, token)
    if status == 451:
        assert body["title"] == "Unavailable For Legal Reasons"
        assert body["citation"]["url"] in (ACLU, NLR)
        assert "Clearview" in body["citation"]["text"]
        assert response.headers["link"] == BLOCKED_BY
    else:
        assert "citation" not in body
        assert "link" not in response.headers


async def test_451_names_rule_citation_and_operator(
    example_app: Starlette, http: ClientFactory, tokens: TokenFactory, clock: FixedClock
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "Illinois")
    async with http(example_app) as client:
        response = await client.get("/search", headers=bearer(token))
    assert response.status_code == 451
    body = problem(response)
    assert body["rule"] == "il-located-five-years"
    assert set(body["citation"]) == {"text", "url"}
    assert "five years" in body["citation"]["text"]
    assert response.headers.get_list("link") == [BLOCKED_BY]


# --- 401 and 400 ------------------------------------------------------------------------------


async def test_401_without_token(example_app: Starlette, http: ClientFactory) -> None:
    async with http(example_app) as client:
        response = await client.get("/search")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="jurisgate"'
    body = problem(response)
    assert "error" not in body
    assert body["type"] == "urn:jurisgate:problem:token_required"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", ""])
async def test_other_schemes_count_as_no_token(
    example_app: Starlette, http: ClientFactory, header: str
) -> None:
    async with http(example_app) as client:
        response = await client.get("/search", headers={"authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="jurisgate"'


@pytest.mark.parametrize(
    "kind", ["forged", "expired", "garbage", "wrong-audience", "alg-none", "too-large"]
)
async def test_401_with_bad_token(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    attacker_private_key: bytes,
    kind: str,
) -> None:
    now = clock.now()
    claims = tokens.claims(now, entity_type="federal_agency", country="US", region="US-DC")
    if kind == "forged":
        token = tokens.sign(claims, key=attacker_private_key)
    elif kind == "expired":
        token = tokens.sign({**claims, "iat": now - 7200, "exp": now - 3600})
    elif kind == "garbage":
        token = "not-a-jwt-but-long-enough"
    elif kind == "wrong-audience":
        token = tokens.sign({**claims, "aud": "another-api"})
    elif kind == "alg-none":
        payload = tokens.sign(claims).split(".")[1]
        token = f"eyJhbGciOiJub25lIn0.{payload}.c2ln"  # header {"alg":"none"}
    else:
        token = tokens.sign({**claims, "padding": "x" * 9000})
    async with http(example_app) as client:
        response = await client.get("/search", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="jurisgate", error="invalid_token"'
    )
    body = problem(response)
    assert body["error"] == "invalid_token"
    assert body["type"] == "urn:jurisgate:problem:invalid_token"
    # Never why it failed: no reason codes, no library messages.
    for word in ("expired", "signature", "audience", "algorithm", "large", "malformed"):
        assert word not in response.text.lower()
    assert_no_token_leak(response, token)


async def test_two_authorization_headers(
    example_app: Starlette, http: ClientFactory, tokens: TokenFactory, clock: FixedClock
) -> None:
    good = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    async with http(example_app) as client:
        for other in (good, "something-else"):
            headers = [("authorization", f"Bearer {good}"), ("authorization", f"Bearer {other}")]
            response = await client.get("/search", headers=headers)
            assert response.status_code == 400
            assert response.headers["www-authenticate"] == (
                'Bearer realm="jurisgate", error="invalid_request"'
            )
            body = problem(response)
            assert body["error"] == "invalid_request"
            assert_no_token_leak(response, good)


@pytest.mark.parametrize("value", ["Bearer a b", "Bearer   ", "Bearer abc def.ghi.jkl"])
async def test_malformed_bearer_header(
    example_app: Starlette, http: ClientFactory, value: str
) -> None:
    async with http(example_app) as client:
        response = await client.get("/search", headers={"authorization": value})
    assert response.status_code == 400
    assert problem(response)["error"] == "invalid_request"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
async def test_scheme_is_case_insensitive(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    scheme: str,
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    async with http(example_app) as client:
        response = await client.get("/search", headers=bearer(token, scheme))
    assert response.status_code == 200
    assert response.json()["served_to"]["region"] == "US-DC"


# --- public paths, methods, path spellings ----------------------------------------------------


async def test_health_is_public(example_app: Starlette, http: ClientFactory) -> None:
    async with http(example_app) as client:
        response = await client.get("/health")
        head = await client.head("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert DECISION_ID in response.headers
    assert head.status_code == 200


async def test_head_is_decided_as_get(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    allowed = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    blocked = tokens.client(clock.now(), "state_law_enforcement", "US", "US-IL")
    async with http(example_app) as client:
        assert (await client.head("/search", headers=bearer(allowed))).status_code == 200
        assert (await client.head("/search", headers=bearer(blocked))).status_code == 451
        assert (await client.head("/search")).status_code == 401
        # Methods the policy does not allow stay denied.
        assert (await client.post("/search", headers=bearer(allowed))).status_code == 403
    methods = [r.audit["method"] for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    assert methods == ["GET", "GET", "GET", "POST"]


@pytest.mark.parametrize(
    ("url", "raw_spelling_allowed"),
    [
        # The router sees the raw spelling: an allowed client gets through only if the raw
        # spelling is inside the allowed subtree too (`/search/*`), never by canonicalization.
        ("http://testserver//search", False),
        ("http://testserver/search/", True),
        ("http://testserver/search//", True),
        ("http://testserver//search/", False),
        ("http://testserver/search/%2E", True),
        ("http://testserver/health/%2e%2e/search", False),
    ],
)
async def test_path_spellings_are_decided_like_search(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
    url: str,
    raw_spelling_allowed: bool,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    illinois = tokens.client(clock.now(), "state_law_enforcement", "US", "US-IL")
    company = tokens.client(clock.now(), "private_company", "US", "US-TX")
    fbi = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC")
    async with http(example_app) as client:
        assert (await client.get(httpx.URL(url))).status_code == 401
        response = await client.get(httpx.URL(url), headers=bearer(illinois))
        assert response.status_code == 451
        assert problem(response)["rule"] == "il-agencies-five-years"
        response = await client.get(httpx.URL(url), headers=bearer(company))
        assert response.status_code == 451
        assert problem(response)["rule"] == "us-private-permanent"
        # Allowed by the gate only when both spellings are; what the router then does with the
        # spelling is its business.
        response = await client.get(httpx.URL(url), headers=bearer(fbi))
        if raw_spelling_allowed:
            assert response.status_code not in (401, 403, 451)
        else:
            assert response.status_code == 403
    audited = [r.audit for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    assert [a["path"] for a in audited] == ["/search"] * 4
    assert [a["status"] for a in audited] == [401, 451, 451, 200 if raw_spelling_allowed else 403]


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/search/%2e%2e/health",
        "http://testserver/search/..%2Fhealth",
        "http://testserver/search%2F..%2Fhealth",
    ],
)
async def test_dot_segments_cannot_reach_a_protected_route_without_token(
    dev_issuer: TrustedIssuer, clock: FixedClock, http: ClientFactory, url: str
) -> None:
    reached: list[str] = []

    async def files(request: Request) -> Response:
        reached.append(request.path_params["rest"])
        return PlainTextResponse("protected")

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/health", health), Route("/search/{rest:path}", files)],
        middleware=[Middleware(JurisdictionMiddleware, issuers=[dev_issuer], clock=clock)],
    )
    async with http(app) as client:
        response = await client.get(httpx.URL(url))
    assert reached == []
    assert response.status_code in (400, 401, 404)


# --- what reaches the app, and what never does ------------------------------------------------


async def test_principal_reaches_the_app(
    recording_app: Starlette,
    recorder: Recorder,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
) -> None:
    token = tokens.client(clock.now(), "state_agency", "us", "tx", subject="txdot-42")
    async with http(recording_app) as client:
        response = await client.get("/search", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "principal": {
            "issuer": "https://dev-idp.jurisgate.invalid",
            "subject": "txdot-42",
            "entity_type": "state_agency",
            "country": "US",
            "region": "US-TX",
            "agency_type": None,
            "agency_region": "US-TX",
            "capacity": "official",
        },
        "user_principal_is_state": True,
        "display_name": "txdot-42",
        "identity": "https://dev-idp.jurisgate.invalid#txdot-42",
        "scopes": ["authenticated"],
        "rule": "us-government-search",
        "status": 200,
    }
    assert len(recorder.requests) == 1
    assert response.headers[DECISION_ID]


async def test_public_paths_get_an_unauthenticated_user(
    recording_app: Starlette, recorder: Recorder, http: ClientFactory
) -> None:
    async with http(recording_app) as client:
        assert (await client.get("/health")).text == "public"
        assert (await client.post("/opt-out")).text == "public"
    assert len(recorder.requests) == 2


async def test_denied_requests_never_reach_the_app(
    recording_app: Starlette,
    recorder: Recorder,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    attacker_private_key: bytes,
) -> None:
    now = clock.now()
    denied: list[tuple[dict[str, str] | list[tuple[str, str]], int]] = [
        ({}, 401),
        (bearer("x.y.z"), 401),
        (bearer(tokens.sign(tokens.claims(now), key=attacker_private_key)), 401),
        ([("authorization", "Bearer a"), ("authorization", "Bearer b")], 400),
        (bearer(tokens.client(now, "local_law_enforcement", "US", None)), 403),
        (bearer(tokens.client(now, "local_law_enforcement", "US", "Atlantis")), 403),
        (bearer(tokens.client(now, "spy", "US", "US-DC")), 403),
        (bearer(tokens.client(now, "foreign_government", "UA", "UA-30")), 403),
        (bearer(tokens.client(now, "local_law_enforcement", "US", "US-IL")), 451),
        (bearer(tokens.client(now, "individual", "US", "US-NY")), 451),
    ]
    async with http(recording_app) as client:
        for headers, status in denied:
            response = await client.get("/search", headers=headers)
            assert response.status_code == status, headers
            assert response.headers["content-type"] == PROBLEM
        assert recorder.requests == []
        allowed = bearer(tokens.client(now, "local_law_enforcement", "US", "US-NY"))
        assert (await client.get("/search", headers=allowed)).status_code == 200
    assert len(recorder.requests) == 1


async def test_unusable_claims_name_the_problem(
    recording_app: Starlette, http: ClientFactory, tokens: TokenFactory, clock: FixedClock
) -> None:
    now = clock.now()
    cases = {
        "missing_region": tokens.client(now, "local_law_enforcement", "US", None),
        "invalid_region": tokens.client(now, "local_law_enforcement", "US", "Atlantis"),
        "region_mismatch": tokens.client(now, "local_law_enforcement", "US", "UA-30"),
        "invalid_entity_type": tokens.client(now, "spy", "US", "US-DC"),
        "invalid_country": tokens.client(now, "federal_agency", "USA", "US-DC"),
    }
    async with http(recording_app) as client:
        for code, token in cases.items():
            response = await client.get("/search", headers=bearer(token))
            assert response.status_code == 403
            body = problem(response)
            assert body["type"] == f"urn:jurisgate:problem:{code}"
            assert body["rule"] is None
            assert "link" not in response.headers


# --- time and caches --------------------------------------------------------------------------


async def test_illinois_boundary_is_not_outlived_by_the_cache(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    issued = FixedClock("2027-05-11T04:00:00Z").now()
    token = tokens.client(issued, "state_law_enforcement", "US", "IL", lifetime=7200)
    clock.set("2027-05-11T04:59:59Z")  # 11:59:59 pm on May 10 in Chicago
    async with http(example_app) as client:
        first = await client.get("/search", headers=bearer(token))
        second = await client.get("/search", headers=bearer(token))
        clock.set("2027-05-11T05:00:00Z")  # midnight in Chicago
        after = await client.get("/search", headers=bearer(token))
    assert (first.status_code, second.status_code) == (451, 451)
    assert after.status_code == 200
    assert after.json()["served_to"] == {"entity_type": "state_law_enforcement", "region": "US-IL"}
    tiers = [r.audit["tier"] for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    # The 451 was cached (so the 200 proves the cache entry ended with the rule).
    assert tiers == ["engine", "local", "engine"]


async def test_a_clock_stepped_back_does_not_carry_a_decision_across_a_rule_end(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    issued = FixedClock("2027-05-11T04:00:00Z").now()
    token = tokens.client(issued, "state_law_enforcement", "US", "IL", lifetime=7200)
    clock.set("2027-05-11T05:00:05Z")
    async with http(example_app) as client:
        after = await client.get("/search", headers=bearer(token))
        clock.set("2027-05-11T04:59:59Z")  # NTP steps the wall clock back over the rule's end
        before = await client.get("/search", headers=bearer(token))
    assert (after.status_code, before.status_code) == (200, 451)
    tiers = [r.audit["tier"] for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    assert tiers == ["engine", "engine"]  # the cached 200 was not served before its span


async def test_cached_decision_never_outlives_the_token(
    example_app: Starlette, http: ClientFactory, tokens: TokenFactory, clock: FixedClock
) -> None:
    token = tokens.client(clock.now(), "federal_law_enforcement", "US", "US-DC", lifetime=60)
    leeway = 30
    async with http(example_app) as client:
        assert (await client.get("/search", headers=bearer(token))).status_code == 200
        clock.advance(59)
        assert (await client.get("/search", headers=bearer(token))).status_code == 200
        clock.advance(61 + leeway - 59)
        response = await client.get("/search", headers=bearer(token))
    assert response.status_code == 401
    assert problem(response)["error"] == "invalid_token"


async def test_a_new_gate_instance_shares_nothing(
    example_routes: list[Any],
    dev_config: Path,
    http: ClientFactory,
    tokens: TokenFactory,
    example_stack: ExampleStack,
) -> None:
    """Caches are per instance: a gate on a later clock decides afresh."""
    token_at = FixedClock("2027-05-11T04:30:00Z")
    token = tokens.client(token_at.now(), "state_law_enforcement", "US", "US-IL")
    apps = [
        example_stack(example_routes, dev_config, FixedClock(at))
        for at in ("2027-05-11T04:45:00Z", "2027-05-11T05:15:00Z")
    ]
    statuses = []
    for app in apps:
        async with http(app) as client:
            statuses.append((await client.get("/search", headers=bearer(token))).status_code)
    assert statuses == [451, 200]


# --- audit ------------------------------------------------------------------------------------


async def test_audit_records_every_decision(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    now = clock.now()
    illinois = tokens.client(now, "state_law_enforcement", "US", "US-IL", subject="isp")
    fbi = tokens.client(now, "federal_law_enforcement", "US", "US-DC", subject="fbi")
    sheriff = tokens.client(now, "local_law_enforcement", "US", None, subject="sheriff")
    requests: list[tuple[str, dict[str, str], int, str | None]] = [
        ("/search", {}, 401, None),
        ("/search", bearer("a.b.c"), 401, None),
        ("/search", bearer(illinois), 451, "il-agencies-five-years"),
        ("/search", bearer(fbi), 200, "us-government-search"),
        ("/search", bearer(fbi), 200, "us-government-search"),
        ("/health", bearer(fbi), 200, "public-health"),
        ("/search", bearer(sheriff), 403, None),
    ]
    async with http(example_app) as client:
        for path, headers, status, rule in requests:
            before = len(caplog.records)
            response = await client.get(path, headers=headers)
            assert response.status_code == status
            new = caplog.records[before:]
            assert [r.name for r in new] == [AUDIT_LOGGER]
            record = new[0]
            fields: dict[str, Any] = record.audit  # type: ignore[attr-defined]
            assert json.loads(record.getMessage()) == json.loads(json.dumps(fields, default=str))
            assert fields["decision_id"] == response.headers[DECISION_ID]
            assert fields["status"] == status
            assert fields["rule"] == rule
            assert fields["effect"] == ("allow" if status == 200 else "deny")
            assert fields["method"] == "GET"
            assert fields["path"] == path
            for token in (illinois, fbi, sheriff):
                for part in token.split("."):
                    assert part not in record.getMessage()
                    assert part not in repr(record.__dict__)
    audited = [r.audit for r in caplog.records]  # type: ignore[attr-defined]
    assert audited[2]["citation"] == NLR
    assert audited[2]["principal"]["region"] == "US-IL"
    assert audited[2]["subject"] == "isp"
    assert audited[0]["reason"] == "missing"
    assert audited[6]["reason"] == "missing_region"
    assert [a["tier"] for a in audited[3:5]] == ["engine", "local"]
    assert len({a["decision_id"] for a in audited}) == len(requests)
