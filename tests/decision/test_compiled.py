"""The compiled evaluator must answer exactly as Casbin does, rule for rule, on any policy."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware.claims.principal import PolicyView
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.compiled import STANDARD_MATCHER, is_standard_matcher
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.policies import pack_files

MODEL = pack_files()[0].read_text(encoding="utf-8")
# The model as bundled before agency and capacity were claims (a copy an admin may still use).
LEGACY_MODEL = (
    MODEL.replace(
        "r = entity, country, region, agency_type, agency_region, capacity, path, method, at",
        "r = entity, country, region, path, method, at",
    )
    .replace("agency_type, agency_region, capacity, path", "path")
    .replace(
        " && setMatch(r.agency_type, p.agency_type) && setMatch(r.agency_region, p.agency_region)"
        " && setMatch(r.capacity, p.capacity)",
        "",
    )
)
ENTITIES = [
    "federal_agency",
    "state_law_enforcement",
    "government_contractor",
    "private_company",
    "individual",
    "anonymous",
]
AGENCY_TYPES = ["federal_agency", "state_law_enforcement", "local_agency", "foreign_government"]
AGENCY_REGIONS = ["US", "US-IL", "US-TX", "UA"]
CAPACITIES = ["official", "personal"]
COUNTRIES = ["US", "UA", "FR"]
REGIONS = ["US-IL", "US-TX", "US-NY", "UA-30", "FR-75C"]
PATHS = [
    "/search",
    "/search/x",
    "/health",
    "/opt-out",
    "/",
    "/searchx",
    "/admin/a",
    "*",
    "",
    "//search",
    "/search/../health",
    "/search/",
    "admin/a",
]
PATTERNS = ["*", "/search", "/search/*", "/health", "/*", "/admin/*", "/opt-out"]
METHODS = ["GET", "POST", "DELETE"]
DATES = ["", "2022-05-11", "2024-01-01", "2027-05-11", "2030-01-01"]
INSTANTS = [parse_instant(d) for d in DATES if d] + [parse_instant("2026-11-26T12:00:00Z"), 0.0]


def pattern(values: list[str]) -> st.SearchStrategy[str]:
    subsets = st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
    return st.one_of(st.just("*"), subsets.map("|".join))


@st.composite
def rows(draw: st.DrawFn, index: int, *, agency: bool = True) -> str:
    country = draw(st.sampled_from(["*", *COUNTRIES]))
    regions = REGIONS if country == "*" else [r for r in REGIONS if r.startswith(country)]
    region = draw(pattern(regions)) if regions else "*"
    start, end = sorted(draw(st.lists(st.sampled_from(DATES[1:]), min_size=2, max_size=2)))
    if start == end:
        end = ""
    start = draw(st.sampled_from([start, ""]))
    effect = draw(st.sampled_from(["allow", "deny"]))
    cited = draw(st.booleans())
    fields = [
        f"r{index}",
        effect,
        draw(pattern(ENTITIES)),
        country,
        region,
        *(
            [draw(pattern(AGENCY_TYPES)), draw(pattern(AGENCY_REGIONS)), draw(pattern(CAPACITIES))]
            if agency
            else []
        ),
        draw(st.sampled_from(PATTERNS)),
        draw(pattern(METHODS)),
        start,
        end,
        '"a, cited rule"' if cited else "",
        "https://example.org/law" if cited else "",
    ]
    return "p, " + ", ".join(fields)


@st.composite
def policies(draw: st.DrawFn, *, legacy: bool = False) -> PolicyEngine:
    count = draw(st.integers(min_value=0, max_value=12))
    lines = [draw(rows(i, agency=not legacy)) for i in range(count)]
    model = LEGACY_MODEL if legacy else MODEL
    source = PolicySource(model, read_policy_csv("\n".join(lines), "t.csv"), "m.conf", "t.csv")
    return PolicyEngine(source)


views = st.builds(
    PolicyView,
    st.sampled_from(ENTITIES),
    st.sampled_from(["", *COUNTRIES]),
    st.sampled_from(["", *REGIONS]),
    st.sampled_from(["", *AGENCY_TYPES]),
    st.sampled_from(["", *AGENCY_REGIONS]),
    st.sampled_from(["", *CAPACITIES]),
)
requests = st.tuples(
    views, st.sampled_from(METHODS), st.sampled_from(PATHS), st.sampled_from(INSTANTS)
)


def compiled_agrees_with_casbin(
    engine: PolicyEngine, asked: list[tuple[PolicyView, str, str, float]]
) -> None:
    assert engine.compiled is not None
    for view, method, path, at in asked:
        casbin_allowed, casbin_rule = engine.casbin_decide(view, method, path, at)
        allowed, rule = engine.compiled.decide(view, path, method, at)
        assert (allowed, rule) == (casbin_allowed, casbin_rule), (view, method, path, at)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.lists(requests, min_size=1, max_size=20))
def test_compiled_answers_exactly_as_casbin(
    engine: PolicyEngine, asked: list[tuple[PolicyView, str, str, float]]
) -> None:
    compiled_agrees_with_casbin(engine, asked)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(legacy=True), st.lists(requests, min_size=1, max_size=20))
def test_a_legacy_model_is_compiled_and_answers_as_casbin(
    engine: PolicyEngine, asked: list[tuple[PolicyView, str, str, float]]
) -> None:
    """A model copied before agency and capacity existed still loads, compiled, and cannot see
    them (Casbin is asked the six fields it names)."""
    compiled_agrees_with_casbin(engine, asked)


def test_a_legacy_matcher_over_agency_columns_is_left_to_casbin() -> None:
    # The columns exist but the old matcher ignores them: compiling would disagree with Casbin.
    model = MODEL.replace(
        " && setMatch(r.agency_type, p.agency_type) && setMatch(r.agency_region, p.agency_region)"
        " && setMatch(r.capacity, p.capacity)",
        "",
    )
    rows = read_policy_csv(
        "p, r1, allow, federal_agency, US, *, *, US-IL, *, /search/*, GET, , , ,", "t.csv"
    )
    engine = PolicyEngine(PolicySource(model, rows, "m.conf", "t.csv"))
    assert engine.compiled is None


def test_another_matcher_is_left_to_casbin() -> None:
    # Casbin's keyMatch: '/search/*' covers /search/x but not /search itself (pathMatch does).
    model = MODEL.replace("pathMatch(r.path, p.path)", "keyMatch(r.path, p.path)")
    assert "keyMatch" in model
    rows = read_policy_csv(
        "p, r1, allow, federal_agency, US, *, *, *, *, /search/*, GET, , , ,", "t.csv"
    )
    engine = PolicyEngine(PolicySource(model, rows, "m.conf", "t.csv"))
    assert engine.compiled is None
    assert engine.decide("federal_agency", "US", "US-TX", "GET", "/search/x", 0).allowed
    assert not engine.decide("federal_agency", "US", "US-TX", "GET", "/search", 0).allowed


def test_the_bundled_matcher_is_compiled() -> None:
    model, policy = pack_files()
    engine = PolicyEngine(
        PolicySource(
            model.read_text(encoding="utf-8"),
            read_policy_csv(policy.read_text(encoding="utf-8"), "p.csv"),
            "m.conf",
            "p.csv",
        )
    )
    assert engine.compiled is not None


@pytest.mark.parametrize(
    ("matcher", "standard"),
    [
        (STANDARD_MATCHER, True),
        ("  " + STANDARD_MATCHER.replace(" && ", "  &&\n ") + "  ", True),  # spacing: no meaning
        # Any other matcher is Casbin's to evaluate, whether it sorts before or after ours.
        (f"{STANDARD_MATCHER} && r_method != 'DELETE'", False),
        (STANDARD_MATCHER.replace("setMatch(r_region, p_region) && ", ""), False),
        (STANDARD_MATCHER.replace("&&", "||"), False),
        ("", False),
    ],
)
def test_only_the_bundled_matcher_is_compiled(matcher: str, standard: bool) -> None:
    assert is_standard_matcher(matcher, []) is standard
