"""The bundled settlement pack against an independent oracle, on generated requests.

The oracle is the consent decree in plain Python, written from its clauses rather than from
policy.csv, over the claims a client sends (the first clause that applies names the rule):

- from 2022-05-11, no US private company or individual, anywhere, ever (451); nor anyone in the
  US acting in a personal capacity (451);
- from 2022-05-11 until midnight starting 2027-05-11 in Chicago: no Illinois agency, its
  employees or contractors, wherever they are; no private entity (contractors included) located
  in Illinois; and, in the strict reading, no client located in Illinois at all (451);
- from 2022-05-11, US federal, state and local government and law enforcement, and contractors
  of those, acting officially, may GET /search and below (200);
- nothing else is allowed (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.adapters import load_policy_files
from jurisgate.middleware.claims.principal import ENTITY_TYPES, principal_from_claims
from jurisgate.middleware.claims.regions import known_countries, subdivisions
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.policies import pack_files


def utc(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


SETTLEMENT = utc(2022, 5, 11)
IL_ENDS = datetime(2027, 5, 11, tzinfo=ZoneInfo("America/Chicago")).timestamp()
HORIZON = utc(2030, 1, 1)

PRIVATE = {"private_company", "individual"}
GOVERNMENT = {
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
}
US_REGIONS = sorted(code for code, country in subdivisions().items() if country == "US")
FOREIGN_COUNTRIES = sorted(known_countries() - {"US"})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get"]
PATHS = [
    "/search",
    "/search/",
    "/search/faces",
    "/search/faces/123",
    "/searchx",
    "/search-x",
    "/Search",
    "/",
    "/health",
    "/opt-out",
    "/admin",
    "/api/search",
    "/search/../admin",
]
SEGMENTS = ["search", "searchx", "health", "opt-out", "faces", "x", "", "..", "SEARCH"]


@dataclass(frozen=True)
class Expected:
    effect: str
    status: int
    rule: str | None


def oracle(
    entity: str,
    country: str,
    region: str,
    method: str,
    path: str,
    at: float,
    *,
    agency_type: str = "",
    agency_region: str = "",
    capacity: str = "official",
    strict: bool = True,
) -> Expected:
    """``agency_type`` is a contractor's claim; a government client's agency is itself."""
    settled = at >= SETTLEMENT
    five_years = settled and at < IL_ENDS
    personal = capacity == "personal"
    in_us, in_illinois = country == "US", country == "US" and region == "US-IL"
    if settled and in_us and entity in PRIVATE and not personal:
        return Expected("deny", 451, "us-private-permanent")
    if settled and in_us and personal:
        return Expected("deny", 451, "us-personal-capacity")
    if five_years and agency_region == "US-IL":
        return Expected("deny", 451, "il-agencies-five-years")
    private_entity = entity in PRIVATE or entity == "government_contractor" or personal
    if five_years and in_illinois and private_entity:
        return Expected("deny", 451, "il-private-five-years")
    if strict and five_years and in_illinois:
        return Expected("deny", 451, "il-located-five-years")
    searching = method == "GET" and (path == "/search" or path.startswith("/search/"))
    if settled and in_us and searching and not personal:
        if entity in GOVERNMENT:
            return Expected("allow", 200, "us-government-search")
        if entity == "government_contractor" and agency_type in GOVERNMENT:
            return Expected("allow", 200, "us-contractor-search")
    return Expected("deny", 403, None)


def anonymous_oracle(method: str, path: str, at: float) -> Expected:
    if method == "GET" and path == "/health":
        return Expected("allow", 200, "public-health")
    if method == "POST" and path == "/opt-out" and at >= SETTLEMENT:
        return Expected("allow", 200, "public-opt-out")
    if (
        method == "GET"
        and (path == "/opt-out" or path.startswith("/opt-out/"))
        and at >= SETTLEMENT
    ):
        return Expected("allow", 200, "public-opt-out-pages")
    return Expected("deny", 403, None)


boundary_instants = st.sampled_from(
    [SETTLEMENT, SETTLEMENT + 1, IL_ENDS - 1, IL_ENDS - 0.5, IL_ENDS, IL_ENDS + 1, HORIZON]
)
instants = st.one_of(
    boundary_instants, st.floats(min_value=SETTLEMENT, max_value=HORIZON, allow_nan=False)
)
# Weighted towards the interesting values: Illinois, GET, POST and the paths the pack names.
paths = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from(PATHS),
    st.lists(st.sampled_from(SEGMENTS), max_size=4).map(lambda parts: "/" + "/".join(parts)),
)
methods = st.one_of(st.just("GET"), st.just("POST"), st.sampled_from(METHODS))
us_regions = st.one_of(st.just("US-IL"), st.sampled_from(US_REGIONS))
bounded = settings(max_examples=300, deadline=None, database=None)
FOREIGN_GOVERNMENT = {"foreign_government", "foreign_law_enforcement"}
# A US territory's own code (PR) names a US government: not a foreign one.
FOREIGN_GOVERNMENTS = sorted(set(FOREIGN_COUNTRIES) - {"PR", "GU", "VI", "AS", "MP", "UM"})


@st.composite
def us_claims(draw: st.DrawFn) -> dict[str, str]:
    """The jurisdiction claims of a client located in the US, consistent by construction."""
    entity = draw(st.sampled_from(sorted(ENTITY_TYPES)))
    claims = {"entity_type": entity, "country": "US", "region": draw(us_regions)}
    agency = entity
    if entity == "government_contractor":
        agency = claims["agency_type"] = draw(
            st.sampled_from(sorted(GOVERNMENT | FOREIGN_GOVERNMENT))
        )
    # Required of state and local agencies and of contractors, optional for the others.
    named = entity == "government_contractor" or draw(st.booleans())
    if agency in ("state_agency", "state_law_enforcement", "local_agency", "local_law_enforcement"):
        claims["agency_region"] = draw(us_regions)
    elif agency in ("federal_agency", "federal_law_enforcement") and named:
        claims["agency_region"] = "US"
    elif agency in FOREIGN_GOVERNMENT and named:
        claims["agency_region"] = draw(st.sampled_from(FOREIGN_GOVERNMENTS))
    if draw(st.booleans()):
        claims["capacity"] = draw(st.sampled_from(["official", "personal"]))
    return claims


def claims_oracle(
    claims: dict[str, str], method: str, path: str, at: float, *, strict: bool = True
) -> Expected:
    agency_region = claims.get("agency_region", "")
    if claims["entity_type"] in ("federal_agency", "federal_law_enforcement"):
        agency_region = "US"  # the decree's federal agencies: the claim is optional
    return oracle(
        claims["entity_type"], claims["country"], claims["region"], method, path, at,
        agency_type=claims.get("agency_type", ""), agency_region=agency_region,
        capacity=claims.get("capacity", "official"), strict=strict,
    )  # fmt: skip


@pytest.fixture(scope="module")
def decree_text_engine() -> PolicyEngine:
    return PolicyEngine(load_policy_files(*pack_files(reading="decree_text")))


def test_oracle_agrees_with_the_hand_written_table() -> None:
    # The oracle itself can be wrong; pin it on the cases the settlement spells out.
    today = utc(2026, 11, 26)
    assert oracle("state_agency", "US", "US-TX", "GET", "/search", today).status == 200
    assert oracle("state_agency", "US", "US-IL", "GET", "/search", today).status == 451
    assert oracle("state_agency", "US", "US-IL", "GET", "/search", IL_ENDS).status == 200
    isp_in = {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN"}
    assert (
        claims_oracle({**isp_in, "agency_region": "US-IL"}, "GET", "/search", today).status == 451
    )
    assert (
        claims_oracle({**isp_in, "agency_region": "US-IN"}, "GET", "/search", today).status == 200
    )
    fed = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"}
    assert claims_oracle(fed, "GET", "/search", today).status == 451
    assert claims_oracle(fed, "GET", "/search", today, strict=False).status == 200
    assert claims_oracle({**fed, "capacity": "personal"}, "GET", "/search", HORIZON).status == 451
    assert oracle("individual", "US", "US-CA", "GET", "/search", HORIZON).status == 451
    assert oracle("foreign_law_enforcement", "UA", "", "GET", "/search", today).status == 403
    assert oracle("state_agency", "US", "US-TX", "POST", "/search", today).status == 403


@bounded
@given(claims=us_claims(), method=methods, path=paths, at=instants)
def test_us_clients_match_the_oracle(
    pack_engine: PolicyEngine, claims: dict[str, str], method: str, path: str, at: float
) -> None:
    view = principal_from_claims("https://idp.test", "c", claims).policy_view()
    decision = pack_engine.decide_view(view, method, path, at)
    expected = claims_oracle(claims, method, path, at)
    assert (decision.effect, decision.status) == (expected.effect, expected.status)
    assert decision.rule == expected.rule
    # The decree's hard lines, stated directly as well.
    if at < IL_ENDS and (claims["region"] == "US-IL" or claims.get("agency_region") == "US-IL"):
        assert not decision.allowed
    if claims["entity_type"] in PRIVATE or claims.get("capacity") == "personal":
        assert not decision.allowed
        assert decision.status == 451


@bounded
@given(claims=us_claims(), method=methods, path=paths, at=instants)
def test_the_decree_text_reading_matches_the_oracle(
    decree_text_engine: PolicyEngine, claims: dict[str, str], method: str, path: str, at: float
) -> None:
    view = principal_from_claims("https://idp.test", "c", claims).policy_view()
    decision = decree_text_engine.decide_view(view, method, path, at)
    expected = claims_oracle(claims, method, path, at, strict=False)
    assert (decision.effect, decision.status, decision.rule) == (
        expected.effect, expected.status, expected.rule
    )  # fmt: skip


@bounded
@given(
    entity=st.sampled_from(sorted(ENTITY_TYPES)),
    country=st.sampled_from(FOREIGN_COUNTRIES),
    method=methods,
    path=paths,
    at=instants,
)
def test_foreign_clients_are_never_served(
    pack_engine: PolicyEngine, entity: str, country: str, method: str, path: str, at: float
) -> None:
    decision = pack_engine.decide(entity, country, "", method, path, at)
    expected = oracle(entity, country, "", method, path, at)
    assert expected == Expected("deny", 403, None)
    assert (decision.effect, decision.status, decision.rule) == ("deny", 403, None)


@bounded
@given(
    method=methods,
    path=paths,
    at=st.one_of(
        boundary_instants,
        st.sampled_from([0.0, SETTLEMENT - 1]),
        st.floats(min_value=0, max_value=HORIZON),
    ),
)
def test_anonymous_matches_the_oracle(
    pack_engine: PolicyEngine, method: str, path: str, at: float
) -> None:
    decision = pack_engine.decide_anonymous(method, path, at)
    expected = anonymous_oracle(method, path, at)
    assert (decision.effect, decision.status, decision.rule) == (
        expected.effect,
        expected.status,
        expected.rule,
    )


@bounded
@given(
    entity=st.sampled_from(sorted(ENTITY_TYPES)),
    region=us_regions,
    path=paths,
    at=instants,
)
def test_decision_holds_until_valid_until(
    pack_engine: PolicyEngine, entity: str, region: str, path: str, at: float
) -> None:
    # A cache may serve a decision until valid_until: the answer must not change before then.
    first = pack_engine.decide(entity, "US", region, "GET", path, at)
    assert first.valid_until > at
    if first.valid_until != float("inf"):
        just_before = pack_engine.decide(entity, "US", region, "GET", path, first.valid_until - 1)
        if first.valid_until - 1 >= at:
            assert (just_before.status, just_before.rule) == (first.status, first.rule)


@pytest.mark.parametrize("region", US_REGIONS)
def test_every_us_region_before_the_boundary(pack_engine: PolicyEngine, region: str) -> None:
    decision = pack_engine.decide("state_agency", "US", region, "GET", "/search", IL_ENDS - 1)
    assert decision.allowed is (region != "US-IL")
