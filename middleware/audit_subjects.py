"""How the audit log names the client's subject: as sent, as a keyed hash, or not at all.

The subject (``sub``) often identifies a person or an officer. Some deployments must keep it
out of logs while still telling one client's requests apart: a keyed hash (HMAC-SHA256 under
a secret only the operator holds) is stable for a subject and cannot be reversed or
recomputed by whoever reads the logs.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = ["SUBJECT_MODES", "AuditSettings", "SubjectMode"]

SubjectMode = Literal["raw", "hash", "omit"]
SUBJECT_MODES: Final = frozenset(get_args(SubjectMode))
_MIN_KEY_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """``subject``: ``raw`` (defaults to), ``hash`` (needs ``subject_key``) or ``omit``."""

    subject: SubjectMode = "raw"
    subject_key: bytes | None = None

    def __post_init__(self) -> None:
        if self.subject not in SUBJECT_MODES:
            raise ValueError(f"subject must be one of raw, hash, omit, not {self.subject!r}")
        if self.subject == "hash" and (
            self.subject_key is None or len(self.subject_key) < _MIN_KEY_BYTES
        ):
            raise ValueError(f"subject = 'hash' needs a subject key of {_MIN_KEY_BYTES}+ bytes")

    def subject_for(self, issuer: str | None, subject: str | None) -> str | None:
        """What the audit record says for this subject."""
        if subject is None or self.subject == "omit":
            return None
        if self.subject == "raw":
            return subject
        key = self.subject_key
        if key is None:  # unreachable after __post_init__; never fall back to the raw subject
            return None
        # The issuer is hashed too: the same sub at two identity providers is two clients.
        message = f"{issuer or ''}\x1f{subject}".encode()
        digest = hmac.new(key, message, hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:32]}"
