"""The decision tiers: what is remembered, for how long, and what cannot push it out."""

from __future__ import annotations

import math

import pytest

from jurisgate.middleware.cache.tiers import DecisionTiers
from jurisgate.middleware.claims.principal import ANONYMOUS
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine

pytestmark = pytest.mark.anyio
NOW = parse_instant("2026-11-26T12:00:00Z")
CLIENT = ("federal_law_enforcement", "US", "US-DC")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_unauthenticated_paths_cannot_evict_verified_decisions(
    pack_engine: PolicyEngine,
) -> None:
    tiers = DecisionTiers(local_max_entries=2, ttl=300)
    first, tier = await tiers.decide(pack_engine, *CLIENT, "GET", ("/search",), NOW, math.inf)
    assert (first.status, tier) == (200, "engine")
    for n in range(50):  # an unauthenticated caller walking random paths
        await tiers.decide(pack_engine, ANONYMOUS, "", "", "GET", (f"/x{n}",), NOW, math.inf)
    again, tier = await tiers.decide(pack_engine, *CLIENT, "GET", ("/search",), NOW, math.inf)
    assert (again, tier) == (first, "local")
    assert len(tiers.public) == 2


async def test_a_decision_is_not_served_before_its_span(pack_engine: PolicyEngine) -> None:
    tiers = DecisionTiers(local_max_entries=10, ttl=300)
    illinois = ("state_law_enforcement", "US", "US-IL")
    after = parse_instant("2027-05-11T00:00:01Z")
    allowed, _ = await tiers.decide(pack_engine, *illinois, "GET", ("/search",), after, math.inf)
    before = after - 2
    denied, tier = await tiers.decide(pack_engine, *illinois, "GET", ("/search",), before, math.inf)
    assert (allowed.status, denied.status, tier) == (200, 451, "engine")
