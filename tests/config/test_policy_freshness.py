"""PolicyFreshness: the deadline a stored policy must be confirmed by, moved on only forward."""

from __future__ import annotations

import math

import pytest

from jurisgate.middleware.policy_freshness import PolicyFreshness


class Ticks:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_confirmation_moves_the_deadline_forward_never_back() -> None:
    ticks = Ticks()
    freshness = PolicyFreshness(30.0, retry_after=1, clock=ticks)
    assert freshness.until == 130.0  # the policy loaded at start-up counts as confirmed
    assert not freshness.stale()
    freshness.confirm(120.0)
    assert freshness.until == 150.0
    freshness.confirm(110.0)  # a slow check that began earlier proves less
    assert freshness.until == 150.0
    ticks.now = 150.0
    assert freshness.stale()
    health = freshness.health()
    assert health is not None
    assert health["stale"] is True
    assert health["age"] == 30.0
    assert health["max_staleness"] == 30.0


def test_without_a_bound_a_policy_is_never_stale() -> None:
    freshness = PolicyFreshness(None)
    assert freshness.until == math.inf
    assert not freshness.stale()
    assert freshness.health() is None


def test_a_bound_is_positive_and_finite() -> None:
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="max_staleness"):
            PolicyFreshness(bad)
