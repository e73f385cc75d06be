"""The ``[audit]`` settings: how records name the client's subject (as sent, as a keyed hash,
or not at all), and the JSON-lines file they go to, if any.

The subject (``sub``) often identifies a person or an officer. Some deployments must keep it
out of logs while still telling one client's requests apart: a keyed hash (HMAC-SHA256 under
a secret only the operator holds) is stable for a subject and cannot be reversed or
recomputed by whoever reads the logs.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

from .file_sink import AuditFile, check_options

__all__ = ["SUBJECT_MODES", "AuditSettings", "SubjectMode"]

SubjectMode = Literal["raw", "hash", "omit"]
SUBJECT_MODES: Final = frozenset(get_args(SubjectMode))
_MIN_KEY_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """``subject``: ``raw`` (defaults to), ``hash`` (needs ``subject_key``) or ``omit``.
    ``file``: a JSON-lines file every record is appended to (defaults to none), written by
    ``AuditFile`` every ``flush_interval`` seconds, refusing records (so the gate denies) once
    ``max_pending`` are unwritten; ``fsync`` syncs each write to disk."""

    subject: SubjectMode = "raw"
    subject_key: bytes | None = None
    file: Path | None = None
    flush_interval: float = 0.2
    max_pending: int = 100_000
    fsync: bool = False

    def __post_init__(self) -> None:
        check_options(self.flush_interval, self.max_pending)
        if self.subject not in SUBJECT_MODES:
            raise ValueError(f"subject must be one of raw, hash, omit, not {self.subject!r}")
        if self.subject == "hash" and (
            self.subject_key is None or len(self.subject_key) < _MIN_KEY_BYTES
        ):
            raise ValueError(f"subject = 'hash' needs a subject key of {_MIN_KEY_BYTES}+ bytes")

    def open_file(self) -> AuditFile | None:
        """The configured ``file``, opened (its writer thread starts), or None."""
        if self.file is None:
            return None
        return AuditFile(
            self.file,
            flush_interval=self.flush_interval,
            max_pending=self.max_pending,
            fsync=self.fsync,
        )

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
        # surrogatepass: hashing must not fail on a string that is not valid UTF-8.
        message = f"{issuer or ''}\x1f{subject}".encode("utf-8", "surrogatepass")
        digest = hmac.new(key, message, hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:32]}"
