"""Patterns in an admin's own model are anchored: a rule for ``/health`` or ``US`` never matches
``/health-admin`` or ``USA``, whichever Casbin function the model uses."""

from __future__ import annotations

import pytest

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.matchers import regex_full_match
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.errors import PolicyError
from jurisgate.policies import pack_files

POLICY = """\
p, public-health, allow, anonymous, *, *, *, *, *, /health, GET, , , ,
p, gov, allow, federal_agency, US, *, *, *, *, /search, GET, , , ,
"""


def engine_with(matcher_from: str, matcher_to: str, policy: str = POLICY) -> PolicyEngine:
    model = pack_files()[0].read_text(encoding="utf-8")
    assert matcher_from in model
    model = model.replace(matcher_from, matcher_to)
    rows = read_policy_csv(policy, "t.csv")
    return PolicyEngine(PolicySource(model, rows, "m.conf", "t.csv"))


def test_regex_match_in_a_model_is_anchored_at_both_ends() -> None:
    engine = engine_with("pathMatch(r.path, p.path)", "regexMatch(r.path, p.path)")
    assert engine.decide_anonymous("GET", "/health", 0).allowed
    for path in ("/health-admin", "/healthz", "/health/../admin", "/health/x"):
        assert not engine.decide_anonymous("GET", path, 0).allowed, path
    assert engine.decide("federal_agency", "US", "US-DC", "GET", "/search", 0).allowed
    assert not engine.decide("federal_agency", "US", "US-DC", "GET", "/search-all", 0).allowed


def test_regex_match_on_claims_is_anchored() -> None:
    # Only the government row: '*' in the public row is no regular expression, and the engine
    # refuses at load time a model that cannot evaluate its own policy.
    gov_only = POLICY.splitlines()[1] + "\n"
    engine = engine_with(
        "setMatch(r.country, p.country)", "regexMatch(r.country, p.country)", gov_only
    )
    assert engine.decide("federal_agency", "US", "US-DC", "GET", "/search", 0).allowed
    assert not engine.decide("federal_agency", "USA", "US-DC", "GET", "/search", 0).allowed


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("US", "US", True),
        ("USA", "US", False),
        ("XUS", "US", False),
        ("US-IL", "US-(IL|IN)", True),
        ("US-ILL", "US-(IL|IN)", False),
        ("US\n", "US", False),
        ("US-IN", "US-IL|US-IN", True),  # alternation is anchored as a whole
        ("US-INX", "US-IL|US-IN", False),
    ],
)
def test_regex_full_match(value: str, pattern: str, expected: bool) -> None:
    assert regex_full_match(value, pattern) is expected


def test_a_broken_pattern_denies_instead_of_skipping_a_rule() -> None:
    with pytest.raises(ValueError, match="pattern"):
        regex_full_match("US", "(")


def test_a_model_that_cannot_evaluate_its_policy_is_refused_at_load() -> None:
    with pytest.raises(PolicyError, match="cannot be evaluated"):
        engine_with("setMatch(r.country, p.country)", "regexMatch(r.country, p.country)")
