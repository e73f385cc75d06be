"""Health: what a readiness endpoint or an operator needs to see of the gate's state.

``gate.health()`` returns plain JSON-able data: the policy and item policy versions in force,
the remembered requests, the local cache, the shared (Redis) tier with its circuit breaker, the
policy reloader, and how fresh a stored policy is. ``status`` is ``"unavailable"`` while a stored
policy has gone unconfirmed for ``[policy] max_staleness`` (every request is answered 503: not
ready); ``"degraded"`` while the shared tier is skipped (decisions stay correct, only slower),
or while the reloader cannot check the policy source (decisions follow the policy last loaded,
which may be out of date, until ``max_staleness``); else ``"ok"``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from .checker import Checker
from .config.reload import PolicyReloader
from .policy_freshness import PolicyFreshness

__all__ = ["Reporting", "gate_health"]


@runtime_checkable
class Reporting(Protocol):
    """A collaborator (shared cache, announcer) that can describe its own state."""

    def health(self) -> dict[str, object]:
        raise NotImplementedError


def gate_health(
    checker: Checker, reloader: PolicyReloader[Any] | None, freshness: PolicyFreshness | None = None
) -> dict[str, object]:
    shared = checker.tiers.shared
    shared_state: dict[str, object] | None = None
    if shared is not None:
        shared_state = shared.health() if isinstance(shared, Reporting) else {}
        shared_state.setdefault("tier", type(shared).__name__)
    reload_state: dict[str, object] | None = None
    if reloader is not None:
        reload_state = reloader.health()
        if isinstance(reloader.announcer, Reporting):
            reload_state["channel"] = reloader.announcer.health()
    degraded = (shared_state is not None and shared_state.get("state", "closed") != "closed") or (
        reload_state is not None and reload_state.get("source_reachable") is False
    )
    fresh_state = freshness.health() if freshness is not None else None
    stale = fresh_state is not None and fresh_state["stale"] is True
    return {
        "status": "unavailable" if stale else "degraded" if degraded else "ok",
        "policy_version": checker.engine.version,
        "item_policy_version": checker.items.version,
        "remembered_requests": {
            "entries": len(checker.warm),
            "hits": checker.warm.hits,
            "misses": checker.warm.misses,
        },
        "local_cache": {
            "entries": len(checker.tiers.local),
            "hits": checker.tiers.local.hits,
            "misses": checker.tiers.local.misses,
        },
        "shared_cache": shared_state,
        "reload": reload_state,
        "policy_freshness": fresh_state,
    }
