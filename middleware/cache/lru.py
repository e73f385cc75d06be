"""Remember: decisions (and verified tokens) for as long as they are provably still right.

The in-process tier is a bounded LRU whose entries carry their own expiry. The shared tier
(Redis) implements the DecisionCache protocol; the gate consults it only after the local tier
missed, and any error from it is a miss, never an answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar, runtime_checkable

from ..claims.principal import PolicyView
from ..decision.values import Decision

__all__ = ["DecisionCache", "DecisionKey", "LruTtlCache", "decision_key"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# (policy version, what the policy sees of the client, method, canonical path): every input
# the decision reads except the instant, which the entry's expiry covers. The view carries
# agency type, agency region and capacity, so an official's decision never serves a personal
# account, nor an Indiana officer's an Illinois officer travelling in Indiana.
DecisionKey = tuple[str, PolicyView, str, str]


def decision_key(version: str, view: PolicyView, method: str, path: str) -> DecisionKey:
    return (version, view, method, path)


@runtime_checkable
class DecisionCache(Protocol):
    """A shared decision store. Implementations raise CacheError (or anything) on failure;
    the gate treats every failure as a miss and decides locally."""

    async def get(self, key: DecisionKey, now: float) -> Decision | None:
        raise NotImplementedError

    async def set(self, key: DecisionKey, decision: Decision, expires_at: float) -> None:
        raise NotImplementedError


class LruTtlCache(Generic[K, V]):
    """Bounded LRU whose entries expire at their own instant. One event loop, no locks."""

    __slots__ = ("_entries", "hits", "max_entries", "misses")

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, now: float) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        value, expires_at = entry
        if now >= expires_at:
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V, expires_at: float, now: float) -> None:
        if self.max_entries == 0 or expires_at <= now:
            return
        entries = self._entries
        entries[key] = (value, expires_at)
        entries.move_to_end(key)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
