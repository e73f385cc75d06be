"""Remember whole requests: the same Authorization header, method and path, decided once, are
answered again with one dictionary lookup for as long as every input provably still holds.

A request that misses goes the full way (public-path check, token verification, claims, the
decision tiers) and, if it carried a verified token, leaves an entry here. An entry is keyed by
the whole header value (the whole token, never its signature alone: so every claim, agency and
capacity included, is part of the key) and by the scope's routing inputs as sent (so a hit is
not routed again: it holds the routed path and its ``[[results]]`` table), and is served only:

- while the policy engine that decided it is still the one in force (a reload invalidates);
- not before the instant it was made, so a clock stepped back misses rather than reuses;
- before the earliest of: the token's cache lifetime (its ``exp``, the token TTL, the time its
  issuer's keys are trusted without a re-fetch), the decision's ``valid_until`` and cache TTL,
  and the instant the path's anonymous (public) answer changes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Final

from ..claims.principal import Principal
from ..decision.values import Decision
from .lru import DEFAULT_MAX_BYTES, ENTRY_OVERHEAD, key_bytes

if TYPE_CHECKING:
    from starlette.types import Scope

    from ..audit.record import RememberedFields
    from ..decision.engine import PolicyEngine
    from ..results.routes import ResultRoute

__all__ = ["RememberedRequest", "RequestKey", "WarmRequests", "request_key"]

_AUTHORIZATION: Final = b"authorization"
# Longer paths are decided every time: a client choosing long random paths must not be able to
# fill the memory with kilobytes per entry.
_MAX_PATH: Final = 512

# (the Authorization header value, the method, and the scope's path, raw_path, root_path and
# app_root_path), each as the scope has it: every input of ``routed_path``, so that equal keys
# route to the same path and a remembered request is answered without routing it again (the
# routed path, and the checks that refuse a rewritten one, run on the request that missed).
RequestKey = tuple[bytes, str, str, object, object, object]


def request_key(scope: Scope) -> RequestKey | None:
    """The key of an HTTP request with exactly one Authorization header; None otherwise (no
    header, two of them, or a path over 512 characters: the full path answers those)."""
    found: bytes | None = None
    for name, value in scope["headers"]:
        if name == _AUTHORIZATION:
            if found is not None:
                return None
            found = value
    path: str = scope["path"]
    if found is None or len(path) > _MAX_PATH:
        return None
    return (
        found, scope["method"], path, scope.get("raw_path"), scope.get("root_path"),
        scope.get("app_root_path"),
    )  # fmt: skip


class RememberedRequest:
    """A decided request: what the gate needs to answer it again without deciding."""

    __slots__ = (
        "audit_fields",
        "decision",
        "engine",
        "method",
        "not_before",
        "path",
        "principal",
        "route",
        "routed",
    )

    def __init__(
        self,
        engine: PolicyEngine,
        principal: Principal,
        decision: Decision,
        method: str,
        path: str,
        not_before: float,
        audit_fields: RememberedFields,
        routed: str | None = None,
        route: ResultRoute | None = None,
    ) -> None:
        self.engine = engine
        self.principal = principal  # frozen; each request gets a JurisdictionUser of its own
        self.decision = decision
        self.method = method  # canonical, as the audit record names it
        self.path = path
        self.not_before = not_before
        self.audit_fields = audit_fields  # the record's fields that do not change per request
        self.routed = path if routed is None else routed  # the path as the app routes it
        self.route = route  # the [[results]] table covering it, if any (route_paths.py)


class WarmRequests:
    """An LRU of RememberedRequest, each with its own expiry, bounded by ``max_entries``
    (0 turns it off) and by ``max_bytes`` (defaults to 16 MiB) of accounted size: the key's
    text (the whole Authorization header), the record's JSON and ``ENTRY_OVERHEAD``. One
    event loop, no locks (like LruTtlCache, inlined: this is the hottest lookup)."""

    __slots__ = ("_entries", "bytes", "hits", "max_bytes", "max_entries", "misses")

    def __init__(self, max_entries: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[RequestKey, tuple[RememberedRequest, float, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: RequestKey, engine: PolicyEngine, now: float) -> RememberedRequest | None:
        """The entry, if it was decided by ``engine`` and holds at ``now``."""
        found = self._entries.get(key)
        if found is not None:
            entry, expires_at, size = found
            if now < expires_at and entry.engine is engine and entry.not_before <= now:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            if now >= expires_at:
                del self._entries[key]
                self.bytes -= size
        self.misses += 1
        return None

    def remember(
        self, key: RequestKey, entry: RememberedRequest, expires_at: float, now: float
    ) -> None:
        if self.max_entries == 0 or expires_at <= now:
            return
        size = key_bytes(key) + entry.audit_fields.weight + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        entries = self._entries
        old = entries.pop(key, None)
        if old is not None:
            self.bytes -= old[2]
        entries[key] = (entry, expires_at, size)
        self.bytes += size
        while len(entries) > self.max_entries or self.bytes > self.max_bytes:
            self.bytes -= entries.popitem(last=False)[1][2]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
