"""The benchmark's generated policy packs must decide exactly like the settlement pack.

benchmarks/ is not a package and never run by the suite; this only guards its generator, so
that the policy-size figures keep measuring packs that mean what the settlement means.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from jurisgate.adapters import load_policy_files, read_policy_csv
from jurisgate.middleware.claims.principal import PolicyView
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.policies import pack_files

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "policy_gen.py"

# The settlement's clients (README "What it decides") as the policy sees them, plus anonymous.
CLIENTS = [
    PolicyView("federal_law_enforcement", "US", "US-DC", "federal_law_enforcement", "US"),
    PolicyView("federal_law_enforcement", "US", "US-IL", "federal_law_enforcement", "US"),
    PolicyView("state_law_enforcement", "US", "US-IL", "state_law_enforcement", "US-IL"),
    PolicyView("state_law_enforcement", "US", "US-IN", "state_law_enforcement", "US-IL"),
    PolicyView("local_law_enforcement", "US", "US-NY", "local_law_enforcement", "US-NY"),
    PolicyView("state_agency", "US", "US-TX", "state_agency", "US-TX"),
    PolicyView("government_contractor", "US", "US-VA", "federal_law_enforcement", "US"),
    PolicyView("individual", "US", "US-VA", "federal_law_enforcement", "US", "personal"),
    PolicyView("private_company", "US", "US-TX"),
    PolicyView("individual", "US", "US-CA"),
    PolicyView("foreign_law_enforcement", "UA", "", "foreign_law_enforcement"),
    PolicyView("anonymous", "", "", "", "", ""),
]
REQUESTS = [("GET", "/search"), ("GET", "/search/faces"), ("GET", "/health"), ("POST", "/opt-out")]
INSTANTS = ["2026-11-26T12:00:00Z", "2027-06-01T00:00:00Z"]  # in and after the Illinois period


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jurisgate_bench_policy_gen", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def settlement() -> PolicyEngine:
    return PolicyEngine(load_policy_files(*pack_files()))


@pytest.mark.parametrize("size", [100, 1000, 10_000])
def test_generated_pack_decides_like_the_settlement(settlement: PolicyEngine, size: int) -> None:
    text: str = _generator().generate_policy(size)
    model = pack_files()[0].read_text(encoding="utf-8")
    engine = PolicyEngine(PolicySource(model, read_policy_csv(text, "gen.csv"), "m", "gen.csv"))
    assert len(engine.rules) == size
    assert engine.version != settlement.version
    for at in map(parse_instant, INSTANTS):
        for view in CLIENTS:
            for method, path in REQUESTS:
                want = settlement.decide_view(view, method, path, at)
                got = engine.decide_view(view, method, path, at)
                assert (got.effect, got.status, got.rule, got.citation, got.valid_until) == (
                    want.effect,
                    want.status,
                    want.rule,
                    want.citation,
                    want.valid_until,
                ), (size, view, method, path, at)


def test_generator_refuses_fewer_rules_than_the_settlement() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        _generator().generate_policy(9)
