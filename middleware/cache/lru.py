"""Remember: decisions (and verified tokens) for as long as they are provably still right.

The in-process tier is an LRU bounded in entries and in bytes (keys hold client-chosen paths
and tokens: a count alone would let long ones take any amount of memory), whose entries carry
their own expiry. The shared tier
(Redis) implements the DecisionCache protocol; the gate consults it only after the local tier
missed, and any error from it is a miss, never an answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, Protocol, TypeVar, runtime_checkable

from ..claims.principal import PolicyView
from ..decision.values import Decision

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENTRY_OVERHEAD",
    "DecisionCache",
    "DecisionKey",
    "LruTtlCache",
    "decision_key",
    "key_bytes",
]

DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024
# What an entry costs beyond its key's text: the dict slot, the tuples, the value object (a
# Decision, a Principal). An estimate on the high side, so the byte bound holds.
ENTRY_OVERHEAD: Final = 512

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


def key_bytes(key: object) -> int:
    """The memory a key's text takes, on the high side: a string's characters (four bytes
    each unless it is ASCII) or a bytes' length, summed over a tuple's items."""
    if isinstance(key, str):
        return len(key) if key.isascii() else 4 * len(key)
    if isinstance(key, bytes):
        return len(key)
    if isinstance(key, tuple):
        return sum(key_bytes(item) for item in key)
    return 0


class LruTtlCache(Generic[K, V]):
    """LRU bounded by ``max_entries`` and by ``max_bytes`` (defaults to 16 MiB) of accounted
    size, whose entries expire at their own instant. An entry weighs ``weigh(key)`` (defaults
    to ``key_bytes``) plus ``ENTRY_OVERHEAD``; ``bytes`` is the sum held. One event loop, no
    locks."""

    __slots__ = ("_entries", "_weigh", "bytes", "hits", "max_bytes", "max_entries", "misses")

    def __init__(
        self,
        max_entries: int,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        weigh: Callable[[K], int] = key_bytes,
    ) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[V, float, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, now: float) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        value, expires_at, size = entry
        if now >= expires_at:
            del self._entries[key]
            self.bytes -= size
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V, expires_at: float, now: float) -> None:
        """Keep ``value`` until ``expires_at``; an entry heavier than ``max_bytes`` is not
        kept. The least recently used entries go first to make room."""
        if self.max_entries == 0 or expires_at <= now:
            return
        size = self._weigh(key) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        entries = self._entries
        old = entries.pop(key, None)
        if old is not None:
            self.bytes -= old[2]
        entries[key] = (value, expires_at, size)
        self.bytes += size
        while len(entries) > self.max_entries or self.bytes > self.max_bytes:
            self.bytes -= entries.popitem(last=False)[1][2]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
