"""The decision tiers: what is remembered, for how long, and what cannot push it out."""

from __future__ import annotations

import math

import pytest

from jurisgate.middleware.cache.tiers import DecisionTiers
from jurisgate.middleware.claims.principal import ANONYMOUS_VIEW, PolicyView
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine

pytestmark = pytest.mark.anyio
NOW = parse_instant("2026-11-26T12:00:00Z")
CLIENT = PolicyView("federal_law_enforcement", "US", "US-DC", "federal_law_enforcement", "US")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_unauthenticated_paths_cannot_evict_verified_decisions(
    pack_engine: PolicyEngine,
) -> None:
    tiers = DecisionTiers(local_max_entries=2, ttl=300)
    first, tier = await tiers.decide(pack_engine, CLIENT, "GET", ("/search",), NOW, math.inf)
    assert (first.status, tier) == (200, "engine")
    for n in range(50):  # an unauthenticated caller walking random paths
        await tiers.decide(pack_engine, ANONYMOUS_VIEW, "GET", (f"/x{n}",), NOW, math.inf)
    again, tier = await tiers.decide(pack_engine, CLIENT, "GET", ("/search",), NOW, math.inf)
    assert (again, tier) == (first, "local")
    assert len(tiers.public) == 2


async def test_a_decision_is_not_served_before_its_span(pack_engine: PolicyEngine) -> None:
    tiers = DecisionTiers(local_max_entries=10, ttl=300)
    illinois = PolicyView(
        "state_law_enforcement", "US", "US-IL", "state_law_enforcement", "US-IL", "official"
    )
    after = parse_instant("2027-05-11T05:00:01Z")
    allowed, _ = await tiers.decide(pack_engine, illinois, "GET", ("/search",), after, math.inf)
    before = after - 2
    denied, tier = await tiers.decide(pack_engine, illinois, "GET", ("/search",), before, math.inf)
    assert (allowed.status, denied.status, tier) == (200, 451, "engine")


@pytest.mark.parametrize(
    "other",
    [
        CLIENT._replace(entity="individual", capacity="personal"),  # the same officer, personally
        PolicyView("state_law_enforcement", "US", "US-IN", "state_law_enforcement", "US-IL"),
        PolicyView("government_contractor", "US", "US-DC", "local_agency", "US-IL"),
    ],
)
async def test_a_remembered_decision_serves_only_its_own_client_class(
    pack_engine: PolicyEngine, other: PolicyView
) -> None:
    """A cached allow for an official must not answer a personal account, nor one for an
    Indiana officer an Illinois officer in Indiana: the key is the whole policy view."""
    tiers = DecisionTiers(local_max_entries=10, ttl=300)
    allowed, _ = await tiers.decide(pack_engine, CLIENT, "GET", ("/search",), NOW, math.inf)
    indiana = PolicyView("state_law_enforcement", "US", "US-IN", "state_law_enforcement", "US-IN")
    await tiers.decide(pack_engine, indiana, "GET", ("/search",), NOW, math.inf)
    decision, tier = await tiers.decide(pack_engine, other, "GET", ("/search",), NOW, math.inf)
    assert (allowed.status, decision.status, tier) == (200, 451, "engine")
