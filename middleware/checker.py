"""The state a request's check reads, in one small object: the engine and the item rules in
force, the decision tiers, the authenticator, the memory of whole requests and the audit log.

The gate, ``full_check``, ``gate_health`` and the policy reloader share a Checker instead of
the gate itself; a reload swaps engine and item rules together through ``swap_policy``, and
``swap_engine`` is the one place that knows what an engine change must clear.
"""

from __future__ import annotations

from .audit.log import AuditLog
from .authenticate import Authenticator
from .cache.tiers import DecisionTiers
from .cache.warm import WarmRequests
from .config.policy_in_force import PolicyInForce
from .decision.engine import PolicyEngine
from .results.item_policy import ItemPolicy

__all__ = ["Checker"]


class Checker:
    """``engine`` is read once per request (one version for the whole request); ``items`` (the
    item rules) once per admitted request, into its ``scope["state"]``; ``ttl`` caps
    how long a whole request is remembered; ``blocked_by`` names the 451 answer's blocker;
    ``rewritten_paths`` counts the requests refused because a framework rewrote their path
    (the first one is logged)."""

    __slots__ = (
        "audit",
        "authenticator",
        "blocked_by",
        "engine",
        "items",
        "rewritten_paths",
        "tiers",
        "ttl",
        "warm",
    )

    def __init__(
        self,
        *,
        engine: PolicyEngine,
        items: ItemPolicy,
        tiers: DecisionTiers,
        authenticator: Authenticator,
        warm: WarmRequests,
        audit: AuditLog,
        ttl: float,
        blocked_by: str | None,
    ) -> None:
        self.engine = engine
        self.items = items
        self.tiers = tiers
        self.authenticator = authenticator
        self.warm = warm
        self.audit = audit
        self.ttl = ttl
        self.blocked_by = blocked_by
        self.rewritten_paths = 0  # requests refused because a framework rewrote their path

    def in_force(self) -> PolicyInForce:
        """The client and item rules in force, as the reloader compares them."""
        return PolicyInForce(self.engine, self.items)

    def swap_policy(self, policy: PolicyInForce) -> None:
        """Put a reloaded policy in force: its item rules, and its engine if that changed (an
        ``[items]`` change alone keeps the decisions remembered)."""
        if policy.engine.version != self.engine.version:
            self.swap_engine(policy.engine)
        self.items = policy.items

    def swap_engine(self, engine: PolicyEngine) -> None:
        """Put a reloaded engine in force and forget what the old one decided."""
        self.engine = engine
        self.tiers.local.clear()  # old-version entries are unreachable anyway; free them
        self.tiers.public.clear()
        self.warm.clear()  # and the old engines they hold
