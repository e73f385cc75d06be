"""What a shared decision looks like in Redis: a hashed key and a sealed (MACed) entry.

Redis is shared by every replica and by whoever else can reach it, so its content is not
trusted to grant access. Each entry is ``<hex HMAC-SHA256>.<canonical JSON>`` where the JSON
names the Redis key it was written under, the policy version, the decision and the instant it
expires. An entry whose MAC does not verify under our secret (forged), that names another key
(copied from another principal's key), another policy version, or whose expiry has passed
(replayed) is refused: the caller counts it as a miss and decides locally.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any, Final

from jurisgate.middleware.cache.lru import DecisionKey
from jurisgate.middleware.decision.values import Citation, Decision
from jurisgate.middleware.errors import CacheError

__all__ = ["ENTRY_FORMAT", "EntryRejected", "open_entry", "redis_key", "seal_entry"]

ENTRY_FORMAT: Final = 3  # 2: entries carry valid_from; 3: keys carry agency and capacity
_MAC_HEX_LEN: Final = 64
_MAX_ENTRY_BYTES: Final = 16_384  # a decision is a few hundred bytes; refuse anything huge


class EntryRejected(CacheError):
    """A Redis entry that must not be used; ``reason`` is a short code for logs and counters."""

    code = "entry_rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def redis_key(prefix: str, key: DecisionKey) -> str:
    """``<prefix>decision:<sha256 of the canonical encoding of every input>``.

    The encoding is a JSON array (the client's policy view nested as one), so no two different
    inputs encode alike (a plain join of ``"a|b", "c"`` and ``"a", "b|c"`` would); the raw
    token is never part of it.
    """
    canonical = json.dumps(
        ["decision", ENTRY_FORMAT, *key], ensure_ascii=True, separators=(",", ":")
    )
    return f"{prefix}decision:{hashlib.sha256(canonical.encode('ascii')).hexdigest()}"


def seal_entry(secret: bytes, key: str, decision: Decision, expires_at: float) -> bytes:
    """The bytes to store under ``key``: MAC, then the payload it covers."""
    if not math.isfinite(expires_at):
        raise ValueError("a shared entry needs a finite expiry")
    payload = json.dumps(
        {
            "format": ENTRY_FORMAT,
            "key": key,
            "policy_version": decision.policy_version,
            "effect": decision.effect,
            "status": decision.status,
            "rule": decision.rule,
            "citation": decision.citation.as_dict() if decision.citation else None,
            "valid_until": None if math.isinf(decision.valid_until) else decision.valid_until,
            "valid_from": None if math.isinf(decision.valid_from) else decision.valid_from,
            "expires_at": expires_at,
        },
        ensure_ascii=True,
        separators=(",", ":"),
        sort_keys=True,
        allow_nan=False,
    ).encode("ascii")
    return _mac(secret, payload).encode("ascii") + b"." + payload


def open_entry(secret: bytes, key: str, version: str, raw: bytes, now: float) -> Decision:
    """The decision in ``raw`` if it is ours, for ``key`` and ``version``, and still valid.

    Raises EntryRejected with the reason otherwise.
    """
    if len(raw) > _MAX_ENTRY_BYTES:
        raise EntryRejected("oversized")
    mac, sep, payload = raw.partition(b".")
    if not sep or len(mac) != _MAC_HEX_LEN:
        raise EntryRejected("malformed")
    if not hmac.compare_digest(mac, _mac(secret, payload).encode("ascii")):
        raise EntryRejected("bad_mac")
    try:
        body = json.loads(payload)
    except ValueError:
        raise EntryRejected("malformed") from None
    if not isinstance(body, dict) or body.get("format") != ENTRY_FORMAT:
        raise EntryRejected("unknown_format")
    # The MAC covers the key: an entry copied from another principal's key verifies, but
    # names that other key.
    if body.get("key") != key:
        raise EntryRejected("wrong_key")
    if body.get("policy_version") != version:
        raise EntryRejected("wrong_version")
    expires_at = _number(body.get("expires_at"))
    if not now < expires_at:
        raise EntryRejected("expired")
    decision = _decision(body, version)
    if not now < decision.valid_until:
        raise EntryRejected("expired")
    if now < decision.valid_from:  # decided by a replica whose clock runs ahead of ours
        raise EntryRejected("not_yet_valid")
    return decision


def _decision(body: dict[str, Any], version: str) -> Decision:
    effect, status, rule = body.get("effect"), body.get("status"), body.get("rule")
    if effect == "allow":
        if status != 200 or not isinstance(rule, str):
            raise EntryRejected("inconsistent")
    elif effect == "deny":
        if status not in (403, 451) or not (rule is None or isinstance(rule, str)):
            raise EntryRejected("inconsistent")
    else:
        raise EntryRejected("inconsistent")
    raw_citation = body.get("citation")
    citation = None
    if raw_citation is not None:
        text = raw_citation.get("text") if isinstance(raw_citation, dict) else None
        url = raw_citation.get("url") if isinstance(raw_citation, dict) else None
        if not isinstance(text, str) or not isinstance(url, str):
            raise EntryRejected("inconsistent")
        citation = Citation(text, url)
    raw_until, raw_from = body.get("valid_until"), body.get("valid_from")
    until = math.inf if raw_until is None else _number(raw_until)
    since = -math.inf if raw_from is None else _number(raw_from)
    return Decision(effect, status, rule, citation, version, until, since)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EntryRejected("inconsistent")
    return float(value)


def _mac(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()
