"""The bundled settlement pack against an independent oracle, on generated requests.

The oracle is the settlement in plain Python, written from the agreement rather than from
policy.csv:

- from 2022-05-11, no US private company or individual, anywhere, ever (451);
- from 2022-05-11 until 2027-05-11, no client located in Illinois, of any type (451);
- from 2022-05-11, US federal, state and local government and law enforcement may GET /search
  and below (200);
- nothing else is allowed (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware.claims.principal import ENTITY_TYPES
from jurisgate.middleware.claims.regions import known_countries, subdivisions
from jurisgate.middleware.decision.engine import PolicyEngine


def utc(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


SETTLEMENT = utc(2022, 5, 11)
IL_ENDS = utc(2027, 5, 11)
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


def oracle(entity: str, country: str, region: str, method: str, path: str, at: float) -> Expected:
    settled = at >= SETTLEMENT
    if settled and country == "US" and entity in PRIVATE:
        return Expected("deny", 451, "us-private-permanent")
    if settled and at < IL_ENDS and country == "US" and region == "US-IL" and entity != "anonymous":
        return Expected("deny", 451, "il-five-years")
    under_search = path == "/search" or path.startswith("/search/")
    if settled and country == "US" and entity in GOVERNMENT and method == "GET" and under_search:
        return Expected("allow", 200, "us-government-search")
    return Expected("deny", 403, None)


def anonymous_oracle(method: str, path: str, at: float) -> Expected:
    if method == "GET" and path == "/health":
        return Expected("allow", 200, "public-health")
    if method == "POST" and path == "/opt-out" and at >= SETTLEMENT:
        return Expected("allow", 200, "public-opt-out")
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


def test_oracle_agrees_with_the_hand_written_table() -> None:
    # The oracle itself can be wrong; pin it on the cases the settlement spells out.
    today = utc(2026, 11, 26)
    assert oracle("state_agency", "US", "US-TX", "GET", "/search", today).status == 200
    assert oracle("state_agency", "US", "US-IL", "GET", "/search", today).status == 451
    assert oracle("state_agency", "US", "US-IL", "GET", "/search", IL_ENDS).status == 200
    assert oracle("individual", "US", "US-CA", "GET", "/search", HORIZON).status == 451
    assert oracle("foreign_law_enforcement", "UA", "", "GET", "/search", today).status == 403
    assert oracle("state_agency", "US", "US-TX", "POST", "/search", today).status == 403


@bounded
@given(
    entity=st.sampled_from(sorted(ENTITY_TYPES)),
    region=us_regions,
    method=methods,
    path=paths,
    at=instants,
)
def test_us_clients_match_the_oracle(
    pack_engine: PolicyEngine, entity: str, region: str, method: str, path: str, at: float
) -> None:
    decision = pack_engine.decide(entity, "US", region, method, path, at)
    expected = oracle(entity, "US", region, method, path, at)
    assert (decision.effect, decision.status) == (expected.effect, expected.status)
    assert decision.rule == expected.rule
    # The settlement's two hard lines, stated directly as well.
    if region == "US-IL" and at < IL_ENDS:
        assert not decision.allowed
    if entity in PRIVATE:
        assert not decision.allowed
        assert decision.status == 451


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
