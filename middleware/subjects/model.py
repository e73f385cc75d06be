"""The values the registry stores and hands out: submissions, outcomes, suppression changes.

A submission's *fingerprint* is what "the same payload" means for idempotency: the SHA-256 of
the canonical JSON of every field the request carried (the photo by its digest), so a retry of
the same form is recognised and a reused key with another photo is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OptOutSubmission",
    "RequestStatus",
    "SubmitOutcome",
    "SuppressionChange",
    "fingerprint",
]

# received: committed, its match job queued; active: matched, every matching entry suppressed.
# Deliberately no "no match" status: an opt-out that reports matches is a free face search.
RequestStatus = Literal["received", "active"]
SuppressionKind = Literal["entry"]


@dataclass(frozen=True, slots=True)
class OptOutSubmission:
    """One validated opt-out request, as the registry stores it (never the photo's bytes in
    the request row, never a name)."""

    idempotency_scope: str  # who may reuse a key: "form" or "api"
    idempotency_key: str
    basis: str  # the rule id that grants the right, e.g. "il-opt-out"
    jurisdiction: str  # attested residency, ISO 3166-2
    consent_version: str
    photo_sha256: str
    contact_hmac: str | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            {
                "basis": self.basis,
                "jurisdiction": self.jurisdiction,
                "consent_version": self.consent_version,
                "photo_sha256": self.photo_sha256,
                "contact_hmac": self.contact_hmac,
            }
        )


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """What a submission came to. ``created`` is False for a replay of a committed request;
    ``receipt`` is then the very bytes first sent."""

    request_id: str
    created: bool
    receipt: bytes
    status_token: str | None  # only when created: the capability for GET /opt-out/{id}


@dataclass(frozen=True, slots=True)
class SuppressionChange:
    """One row of the suppression log, in sequence order: an added or a revoked suppression."""

    seq: int
    kind: str
    key: str
    active: bool  # False: a revocation of (kind, key)


def fingerprint(fields: dict[str, str | None]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
