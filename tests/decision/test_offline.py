"""Admin tools decide claims exactly as the gate does, path spellings included."""

from __future__ import annotations

from jurisgate.admin.policy_tests import decide_case
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.offline import decide_claims

NOW = parse_instant("2026-11-26T12:00:00Z")
FBI = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-DC"}


def test_a_dot_segment_does_not_borrow_a_public_path(pack_engine: PolicyEngine) -> None:
    # The gate answers 401: the as-sent spelling /search/../health is not public.
    assert decide_claims(pack_engine, None, "GET", "/search/../health", NOW).status == 401
    assert decide_case(pack_engine, None, "GET", "/search/../health", NOW)[0] == 401
    assert decide_claims(pack_engine, None, "GET", "/health", NOW).status == 200


def test_both_spellings_must_allow(pack_engine: PolicyEngine) -> None:
    assert decide_claims(pack_engine, FBI, "GET", "/search/", NOW).status == 200
    assert decide_claims(pack_engine, FBI, "GET", "//search", NOW).status == 403
    assert decide_claims(pack_engine, FBI, "HEAD", "/search", NOW).status == 200


def test_unusable_claims_and_no_token(pack_engine: PolicyEngine) -> None:
    answer = decide_claims(pack_engine, {"entity_type": "local_agency", "country": "US"}, "GET",
                           "/search", NOW)  # fmt: skip
    assert (answer.status, answer.principal) == (403, None)
    assert "missing_region" in answer.reason
    assert decide_claims(pack_engine, None, "GET", "/search", NOW).status == 401


def test_a_lone_surrogate_in_any_claim_is_invalid_claims_as_at_the_gate(
    pack_engine: PolicyEngine,
) -> None:
    # The gate refuses these with 403 invalid_claims (tests/audit/test_audit_every_answer.py).
    for claims in ({**FBI, "name": "\ud800 officer"}, {**FBI, "groups": [{"g": "\udbff"}]}):
        answer = decide_claims(pack_engine, claims, "GET", "/search", NOW)
        assert (answer.status, answer.principal) == (403, None)
        assert "invalid_claims" in answer.reason
    assert decide_claims(pack_engine, FBI, "GET", "/search", NOW).status == 200
