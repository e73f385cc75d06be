"""Remember, in order: the in-process LRU, the shared tier (Redis), then the policy engine.

A decision is reused only while it provably still holds: never past the next rule start or end
(``Decision.valid_until``), the configured TTL, or the token's expiry (``not_after``).
"""

from __future__ import annotations

import logging
from typing import Final

from ..claims.principal import ANONYMOUS, PolicyView
from ..decision.engine import PolicyEngine
from ..decision.values import Decision
from .lru import DEFAULT_MAX_BYTES, DecisionCache, DecisionKey, LruTtlCache
from .singleflight import SingleFlight

__all__ = ["DecisionTiers"]

logger = logging.getLogger("jurisgate")
_PUBLIC_ENTRIES: Final = 4096


class DecisionTiers:
    def __init__(
        self,
        *,
        local_max_entries: int,
        ttl: float,
        shared: DecisionCache | None = None,
        local_max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.local: LruTtlCache[DecisionKey, Decision] = LruTtlCache(
            local_max_entries, local_max_bytes
        )
        # Public-path answers for requests without a token live apart: unauthenticated callers
        # choose their paths freely and must not evict the decisions of verified clients.
        self.public: LruTtlCache[DecisionKey, Decision] = LruTtlCache(
            min(local_max_entries, _PUBLIC_ENTRIES), local_max_bytes
        )
        self.shared = shared
        self.ttl = ttl
        self._flights: SingleFlight[DecisionKey, tuple[Decision, str]] = SingleFlight()

    async def decide(
        self,
        engine: PolicyEngine,
        view: PolicyView,
        method: str,
        paths: tuple[str, ...],
        now: float,
        not_after: float,
    ) -> tuple[Decision, str]:
        """Allowed only if every spelling of the path is allowed; else the first denial.
        Returns the decision and the tier that answered (local, shared or engine)."""
        version = engine.version
        decision, tier = await self._lookup(
            engine, (version, view, method, paths[0]), now, not_after
        )
        for path in paths[1:]:
            if not decision.allowed:
                break
            decision, tier = await self._lookup(
                engine, (version, view, method, path), now, not_after
            )
        return decision, tier

    async def _lookup(
        self, engine: PolicyEngine, key: DecisionKey, now: float, not_after: float
    ) -> tuple[Decision, str]:
        cache = self.public if key[1].entity == ANONYMOUS else self.local
        found = cache.get(key, now)
        # The entry's own expiry covers valid_until; valid_from guards a clock stepped back.
        if found is not None and found.valid_from <= now:
            return found, "local"
        return await self._miss(engine, key, now, not_after)

    async def _miss(
        self, engine: PolicyEngine, key: DecisionKey, now: float, not_after: float
    ) -> tuple[Decision, str]:
        if self.shared is None or key[1].entity == ANONYMOUS:
            # Nothing to await: the engine decides synchronously, so concurrent misses cannot
            # interleave and a single-flight task would only add its own cost.
            _, view, method, path = key
            decision, tier = engine.decide_view(view, method, path, now), "engine"
        else:
            # Concurrent misses of one key ask Redis (and compute) once; see singleflight.py.
            (decision, tier), _ = await self._flights.run(key, lambda: self._fill(engine, key, now))
        if not decision.holds_at(now):  # computed by a caller on the other side of a boundary
            _, view, method, path = key
            decision, tier = engine.decide_view(view, method, path, now), "engine"
        expires = min(decision.valid_until, now + self.ttl, not_after)
        (self.public if key[1].entity == ANONYMOUS else self.local).put(key, decision, expires, now)
        return decision, tier

    async def _fill(
        self, engine: PolicyEngine, key: DecisionKey, now: float
    ) -> tuple[Decision, str]:
        """A local miss: the shared tier, else the engine (whose answer is then shared)."""
        _, view, method, path = key
        decision: Decision | None = None
        tier = "engine"
        # Requests without a verified token never reach Redis: the public-path check is cheap
        # locally, and attacker-chosen paths must not become shared-cache traffic.
        shared = self.shared if view.entity != ANONYMOUS else None
        if shared is not None:
            try:
                decision = await shared.get(key, now)
            except Exception:  # a cache outage costs speed, never correctness
                logger.warning("shared decision cache failed; deciding locally", exc_info=True)
                decision = None
            if decision is not None and decision.policy_version == engine.version:
                tier = "shared"
            else:
                decision = None
        if decision is None:
            decision = engine.decide_view(view, method, path, now)
            if shared is not None:
                try:
                    await shared.set(key, decision, min(decision.valid_until, now + self.ttl))
                except Exception:
                    logger.warning("shared decision cache write failed", exc_info=True)
        return decision, tier
