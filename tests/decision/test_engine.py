"""The policy engine on the real bundled pack and on small policies written here."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware.claims.principal import PolicyView, principal_from_claims
from jurisgate.middleware.decision.engine import REQUEST_FIELDS, PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.errors import PolicyError
from jurisgate.policies import pack_files

MakeEngine = Callable[[str], PolicyEngine]
MakeSource = Callable[[str], PolicySource]


def utc(text: str) -> float:
    """Independent of jurisgate's parser: ``fromisoformat`` plus an explicit UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


SETTLEMENT = utc("2022-05-11T00:00:00")
# The decree's five years end at midnight in Chicago (05:00 UTC in May, daylight saving time).
IL_ENDS = datetime(2027, 5, 11, tzinfo=ZoneInfo("America/Chicago")).timestamp()
TODAY = utc("2026-11-26T00:00:00")

# entity, country, region, agency type, agency region, capacity -> status, rule, on GET /search
# at 2026-11-26 (the agency type of a government client is its own type).
DECISION_TABLE = [
    ("federal_law_enforcement", "US", "US-DC", "federal_law_enforcement", "US", "official", 200,
     "us-government-search"),
    ("federal_law_enforcement", "US", "US-IL", "federal_law_enforcement", "US", "official", 451,
     "il-located-five-years"),
    ("state_law_enforcement", "US", "US-IL", "state_law_enforcement", "US-IL", "official", 451,
     "il-agencies-five-years"),
    ("state_law_enforcement", "US", "US-IN", "state_law_enforcement", "US-IL", "official", 451,
     "il-agencies-five-years"),
    ("local_law_enforcement", "US", "US-NY", "local_law_enforcement", "US-NY", "official", 200,
     "us-government-search"),
    ("state_agency", "US", "US-TX", "state_agency", "US-TX", "official", 200,
     "us-government-search"),
    ("government_contractor", "US", "US-VA", "federal_law_enforcement", "US", "official", 200,
     "us-contractor-search"),
    ("government_contractor", "US", "US-TX", "local_law_enforcement", "US-IL", "official", 451,
     "il-agencies-five-years"),
    ("government_contractor", "US", "US-IL", "federal_agency", "US", "official", 451,
     "il-private-five-years"),
    ("individual", "US", "US-VA", "federal_law_enforcement", "US", "personal", 451,
     "us-personal-capacity"),
    ("private_company", "US", "US-TX", "", "", "official", 451, "us-private-permanent"),
    ("private_company", "US", "US-PR", "", "", "official", 451, "us-private-permanent"),
    ("individual", "US", "US-CA", "", "", "official", 451, "us-private-permanent"),
    ("foreign_law_enforcement", "UA", "", "foreign_law_enforcement", "", "official", 403, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entity", "country", "region", "agency_type", "agency_region", "capacity", "status", "rule"),
    DECISION_TABLE,
)
def test_decision_table(
    pack_engine: PolicyEngine,
    entity: str,
    country: str,
    region: str,
    agency_type: str,
    agency_region: str,
    capacity: str,
    status: int,
    rule: str | None,
) -> None:
    view = PolicyView(entity, country, region, agency_type, agency_region, capacity)
    decision = pack_engine.decide_view(view, "GET", "/search", TODAY)
    assert decision.status == status
    assert decision.rule == rule
    assert decision.effect == ("allow" if status == 200 else "deny")
    assert decision.allowed is (status == 200)
    assert decision.policy_version == pack_engine.version
    if status == 451:
        # A 451 must say which law: a citation with a link.
        assert decision.citation is not None
        assert decision.citation.text
        assert decision.citation.url.startswith("https://")
    if rule is None:
        assert decision.citation is None


ISP = {"agency_type": "state_law_enforcement", "agency_region": "US-IL"}


def test_decision_serializes(pack_engine: PolicyEngine) -> None:
    decision = pack_engine.decide(
        "state_law_enforcement", "US", "US-IL", "GET", "/search", TODAY, **ISP
    )
    data = decision.as_dict()
    assert data["effect"] == "deny"
    assert data["status"] == 451
    assert data["rule"] == "il-agencies-five-years"
    assert data["valid_until"] == IL_ENDS
    citation = data["citation"]
    assert isinstance(citation, dict)
    assert "Clearview" in citation["text"]


def test_claims_to_decision(pack_engine: PolicyEngine) -> None:
    principal = principal_from_claims(
        "https://idp.example",
        "isp-1",
        {
            "entity_type": "state_law_enforcement",
            "country": "us",
            "region": "Indiana",
            "agency_region": "US-IL",
        },
    )
    decision = pack_engine.decide_view(principal.policy_view(), "GET", "/search/faces", TODAY)
    assert (decision.status, decision.rule) == (451, "il-agencies-five-years")


@pytest.mark.parametrize(
    ("at", "status", "rule"),
    [
        (utc("2027-05-11T00:00:00"), 451, "il-agencies-five-years"),  # 7 pm May 10 in Chicago
        (utc("2027-05-11T03:00:00"), 451, "il-agencies-five-years"),
        (IL_ENDS - 1, 451, "il-agencies-five-years"),
        (IL_ENDS, 200, "us-government-search"),
        (utc("2027-05-11T06:00:00"), 200, "us-government-search"),
    ],
)
def test_illinois_boundary(pack_engine: PolicyEngine, at: float, status: int, rule: str) -> None:
    decision = pack_engine.decide(
        "state_law_enforcement", "US", "US-IL", "GET", "/search", at, **ISP
    )
    assert (decision.status, decision.rule) == (status, rule)


def test_illinois_private_company_stays_denied_after_boundary(pack_engine: PolicyEngine) -> None:
    for at in (utc("2027-05-10T23:59:59"), IL_ENDS, utc("2040-01-01T00:00:00")):
        decision = pack_engine.decide("private_company", "US", "US-IL", "GET", "/search", at)
        assert decision.status == 451
        assert decision.rule == "us-private-permanent"


def test_nothing_is_searchable_before_the_settlement(pack_engine: PolicyEngine) -> None:
    before = SETTLEMENT - 1
    for entity, region in [
        ("state_agency", "US-TX"),
        ("private_company", "US-TX"),
        ("state_agency", "US-IL"),
    ]:
        decision = pack_engine.decide(entity, "US", region, "GET", "/search", before)
        assert (decision.status, decision.rule) == (403, None)
    allowed = pack_engine.decide("state_agency", "US", "US-TX", "GET", "/search", SETTLEMENT)
    assert allowed.allowed


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (SETTLEMENT - 1, SETTLEMENT),
        (SETTLEMENT, IL_ENDS),
        (TODAY, IL_ENDS),
        (IL_ENDS - 1, IL_ENDS),
        (IL_ENDS, math.inf),
        (utc("2030-01-01T00:00:00"), math.inf),
    ],
)
def test_valid_until_is_the_next_boundary(
    pack_engine: PolicyEngine, at: float, until: float
) -> None:
    assert pack_engine.valid_until(at) == until
    decision = pack_engine.decide(
        "state_law_enforcement", "US", "US-IL", "GET", "/search", at, **ISP
    )
    assert decision.valid_until == until


def test_boundaries_of_the_pack(pack_engine: PolicyEngine) -> None:
    assert pack_engine.boundaries == (SETTLEMENT, IL_ENDS)


def test_valid_until_after_boundary_serializes_as_none(pack_engine: PolicyEngine) -> None:
    decision = pack_engine.decide("state_agency", "US", "US-TX", "GET", "/search", IL_ENDS)
    assert decision.as_dict()["valid_until"] is None


@pytest.mark.parametrize(
    ("method", "path", "status", "rule"),
    [
        ("GET", "/health", 200, "public-health"),
        ("POST", "/opt-out", 200, "public-opt-out"),
        ("GET", "/search", 403, None),
        ("GET", "/search/x", 403, None),
        ("POST", "/health", 403, None),
        ("GET", "/opt-out", 200, "public-opt-out-pages"),
        ("GET", "/opt-out/0b9e0d4e-1d1f-4b7e-9a59-0f5b8a1f2c3d", 200, "public-opt-out-pages"),
        ("POST", "/opt-out/0b9e0d4e-1d1f-4b7e-9a59-0f5b8a1f2c3d", 403, None),
        ("DELETE", "/opt-out", 403, None),
        ("GET", "/health/x", 403, None),
        ("GET", "/", 403, None),
    ],
)
def test_anonymous(
    pack_engine: PolicyEngine, method: str, path: str, status: int, rule: str | None
) -> None:
    decision = pack_engine.decide_anonymous(method, path, TODAY)
    assert (decision.status, decision.rule) == (status, rule)
    assert decision.allowed is (status == 200)


def test_health_is_public_at_any_time(pack_engine: PolicyEngine) -> None:
    for at in (0.0, SETTLEMENT - 1, utc("2100-01-01T00:00:00")):
        assert pack_engine.decide_anonymous("GET", "/health", at).allowed


def test_authenticated_clients_do_not_get_anonymous_paths(pack_engine: PolicyEngine) -> None:
    # Public rules name `anonymous`; `*` never matches it and it never matches a named type.
    decision = pack_engine.decide("state_agency", "US", "US-TX", "GET", "/health", TODAY)
    assert (decision.status, decision.rule) == (403, None)


def test_wildcard_rule_never_makes_a_path_public(make_engine: MakeEngine) -> None:
    engine = make_engine("p, everything, allow, *, *, *, *, *, *, *, *, , , , \n")
    assert engine.decide("individual", "UA", "", "DELETE", "/x", TODAY).allowed
    decision = engine.decide_anonymous("GET", "/x", TODAY)
    assert (decision.status, decision.rule) == (403, None)


@pytest.mark.parametrize("deny_first", [True, False])
def test_deny_overrides_allow_in_any_order(make_engine: MakeEngine, deny_first: bool) -> None:
    allow = "p, a, allow, state_agency, US, *, *, *, *, /search/*, GET, , , , "
    deny = 'p, d, deny, *, US, US-IL, *, *, *, *, *, , , "Some Act, s. 1", https://example.org'
    engine = make_engine("\n".join([deny, allow] if deny_first else [allow, deny]))
    decision = engine.decide("state_agency", "US", "US-IL", "GET", "/search", TODAY)
    assert (decision.effect, decision.status, decision.rule) == ("deny", 451, "d")
    assert decision.citation is not None
    assert decision.citation.text == "Some Act, s. 1"
    other = engine.decide("state_agency", "US", "US-TX", "GET", "/search", TODAY)
    assert (other.status, other.rule) == (200, "a")


def test_deny_without_citation_is_403_and_names_its_rule(make_engine: MakeEngine) -> None:
    engine = make_engine(
        "p, a, allow, state_agency, US, *, *, *, *, *, *, , , , \n"
        "p, d, deny, *, *, US-IL, *, *, *, *, *, , , , "
    )
    decision = engine.decide("state_agency", "US", "US-IL", "GET", "/search", TODAY)
    assert (decision.effect, decision.status, decision.rule) == ("deny", 403, "d")
    assert decision.citation is None


def test_empty_policy_denies_even_an_all_empty_request(make_engine: MakeEngine) -> None:
    # With no rows Casbin evaluates the matcher against empty policy values, which an all-empty
    # request matches; the engine must still deny because no allow rule decided.
    engine = make_engine("# nothing\n")
    decision = engine.decide("", "", "", "", "", TODAY)
    assert (decision.effect, decision.status, decision.rule) == ("deny", 403, None)
    assert engine.valid_until(TODAY) == math.inf


def test_rule_lookup(pack_engine: PolicyEngine) -> None:
    rule = pack_engine.rule("il-agencies-five-years")
    assert rule is not None
    assert (rule.start, rule.end) == (SETTLEMENT, IL_ENDS)
    lines = pack_files()[1].read_text(encoding="utf-8").splitlines()
    line = next(
        n for n, text in enumerate(lines, start=1) if text.startswith("p, il-agencies-five-years,")
    )
    assert rule.source.endswith(f"policy.csv:{line}")
    assert pack_engine.rule("no-such-rule") is None
    assert [r.id for r in pack_engine.rules] == [
        "us-private-permanent",
        "us-personal-capacity",
        "il-agencies-five-years",
        "il-private-five-years",
        "il-located-five-years",
        "us-government-search",
        "us-contractor-search",
        "public-health",
        "public-opt-out",
        "public-opt-out-pages",
    ]


def test_trace_explains_each_rule(pack_engine: PolicyEngine) -> None:
    isp = PolicyView(
        "state_law_enforcement", "US", "US-IN", "state_law_enforcement", "US-IL", "official"
    )
    traces = pack_engine.trace(isp, "GET", "/search", TODAY)
    by_id = {trace.rule.id: trace for trace in traces}
    assert [trace.rule.id for trace in traces] == [rule.id for rule in pack_engine.rules]
    assert by_id["il-agencies-five-years"].matched
    assert by_id["il-located-five-years"].mismatch == "region US-IN not in US-IL"
    assert by_id["us-government-search"].matched
    private = by_id["us-private-permanent"]
    assert not private.matched
    assert private.mismatch is not None
    assert private.mismatch.startswith("entity state_law_enforcement")
    later = pack_engine.trace(isp, "GET", "/search", IL_ENDS)
    mismatches = {t.rule.id: t.mismatch for t in later}
    assert mismatches["il-agencies-five-years"] == "not in effect at that instant"
    personal = pack_engine.trace(isp._replace(capacity="personal"), "GET", "/search", TODAY)
    gov = next(t for t in personal if t.rule.id == "us-government-search")
    assert gov.mismatch == "capacity personal not in official"


def test_trace_names_the_first_mismatching_field(pack_engine: PolicyEngine) -> None:
    texas = PolicyView("state_agency", "US", "US-TX", "state_agency", "US-TX", "official")
    traces = pack_engine.trace(texas, "POST", "/search", TODAY)
    gov = next(t for t in traces if t.rule.id == "us-government-search")
    assert gov.mismatch is not None
    assert gov.mismatch.startswith("method POST")
    traces = pack_engine.trace(texas, "GET", "/admin", TODAY)
    gov = next(t for t in traces if t.rule.id == "us-government-search")
    assert gov.mismatch is not None
    assert gov.mismatch.startswith("path /admin")


# --- versions -------------------------------------------------------------------------------


def test_same_content_same_version(pack_source: PolicySource, make_source: MakeSource) -> None:
    again = PolicySource(pack_source.model_text, pack_source.rows, "elsewhere.conf", "x.csv")
    assert again.version == pack_source.version
    assert PolicyEngine(again).version == PolicyEngine(pack_source).version
    policy = "p, a, allow, state_agency, US, *, *, *, *, *, *, , , , \n"
    assert make_source(policy).version == make_source("# a comment\n\n" + policy).version


def test_one_changed_character_changes_the_version(
    pack_source: PolicySource, make_source: MakeSource
) -> None:
    base = "p, a, allow, state_agency, US, *, *, *, *, /search/*, GET, 2022-05-11, , cite, https://x.org\n"
    versions = {
        make_source(text).version
        for text in (
            base,
            base.replace("state_agency", "state_agencY"),
            base.replace("2022-05-11", "2022-05-12"),
            base.replace("cite", "citf"),
            base.replace("GET", "PUT"),
            base.replace("p, a,", "p, b,"),
        )
    }
    assert len(versions) == 6
    changed_model = PolicySource(
        pack_source.model_text.replace("p.eft == deny", "p.eft == denY"),
        pack_source.rows,
        "m",
        "p",
    )
    assert changed_model.version != pack_source.version


def test_version_does_not_depend_on_field_boundaries(model_text: str) -> None:
    # ("ab", "c") and ("a", "bc") are different policies.
    one = PolicySource(model_text, read_policy_csv("p, ab, c\n", "t"), "m", "t")
    two = PolicySource(model_text, read_policy_csv("p, a, bc\n", "t"), "m", "t")
    assert one.version != two.version


# --- broken models ----------------------------------------------------------------------------


def _broken(model_text: str, old: str, new: str) -> str:
    assert old in model_text
    return model_text.replace(old, new)


@pytest.mark.parametrize(
    "text",
    ["garbage", "", "[request_definition]\nr = entity, country, region, path, method, at\n"],
)
def test_unloadable_model(text: str, pack_source: PolicySource) -> None:
    with pytest.raises(PolicyError):
        PolicyEngine(PolicySource(text, pack_source.rows, "m.conf", "p.csv"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("[matchers]", "[nomatchers]"),
        ("[policy_effect]\ne = ", "[policy_effect]\ne2 = "),
        ("r = entity", "r2 = entity"),
        ("p = id", "p2 = id"),
    ],
)
def test_model_missing_a_section(
    model_text: str, pack_source: PolicySource, old: str, new: str
) -> None:
    broken = _broken(model_text, old, new)
    with pytest.raises(PolicyError):
        PolicyEngine(PolicySource(broken, pack_source.rows, "m.conf", "p.csv"))


@pytest.mark.parametrize(
    "request_definition",
    [
        "r = entity, country, path, method, at",
        "r = country, entity, region, path, method, at",
        "r = entity, country, region, path, method, at, ip",
        "r = sub, obj, act",
    ],
)
def test_request_definition_must_match(
    model_text: str, pack_source: PolicySource, request_definition: str
) -> None:
    broken = _broken(
        model_text,
        "r = entity, country, region, agency_type, agency_region, capacity, path, method, at",
        request_definition,
    )
    with pytest.raises(PolicyError, match=r"^m\.conf: request_definition must be") as info:
        PolicyEngine(PolicySource(broken, pack_source.rows, "m.conf", "p.csv"))
    assert request_definition in str(info.value)
    assert REQUEST_FIELDS == (
        "entity", "country", "region", "agency_type", "agency_region", "capacity",
        "path", "method", "at",
    )  # fmt: skip


def test_policy_definition_lacking_rule_fields(model_text: str, pack_source: PolicySource) -> None:
    broken = _broken(model_text, ", citation, url", "")
    with pytest.raises(PolicyError, match="lacks citation, url"):
        PolicyEngine(PolicySource(broken, pack_source.rows, "m.conf", "p.csv"))


@pytest.mark.parametrize("line", ["g, alice, admin", "p2, a, b"])
def test_row_of_a_type_the_model_lacks(make_engine: MakeEngine, line: str) -> None:
    with pytest.raises(PolicyError, match=r"^t\.csv:2: policy type"):
        make_engine("# x\n" + line + "\n")


@pytest.mark.parametrize(
    ("old", "new"),
    [("m = setMatch", "m = ((( setMatch"), ("m = setMatch(r.entity", "m = noSuch(r.entity")],
)
def test_broken_matcher_fails_closed_at_decide(
    model_text: str, pack_source: PolicySource, old: str, new: str
) -> None:
    try:
        engine = PolicyEngine(
            PolicySource(_broken(model_text, old, new), pack_source.rows, "m", "p")
        )
    except PolicyError:
        return  # refused at load time: even better
    with pytest.raises(PolicyError, match="policy evaluation failed"):
        engine.decide("state_agency", "US", "US-TX", "GET", "/search", TODAY)


@pytest.mark.parametrize(
    ("old", "new"),
    [("m = setMatch", "m = ((( setMatch"), ("m = setMatch(r.entity", "m = noSuch(r.entity")],
)
def test_broken_matcher_refused_at_load(
    model_text: str, pack_source: PolicySource, old: str, new: str
) -> None:
    with pytest.raises(PolicyError):
        PolicyEngine(PolicySource(_broken(model_text, old, new), pack_source.rows, "m", "p"))


def test_model_must_keep_deny_overrides(model_text: str, pack_source: PolicySource) -> None:
    loosened = _broken(
        model_text,
        "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))",
        "e = some(where (p.eft == allow))",
    )
    try:
        engine = PolicyEngine(PolicySource(loosened, pack_source.rows, "m", "p"))
    except PolicyError:
        return
    decision = engine.decide("state_law_enforcement", "US", "US-IL", "GET", "/search", TODAY)
    assert not decision.allowed
