"""What the core needs from the system of record; ``jurisgate.adapters.postgres_subjects``
implements it on PostgreSQL. Every method raises :class:`RegistryUnavailable` when the registry
cannot be reached or answers an error, and nothing else from a driver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .model import OptOutSubmission, SubmitOutcome, SuppressionChange

__all__ = ["AuditCheck", "FaultHook", "MakeReceipt", "MatchJob", "SubjectRegistry"]

# (request_id, received_at ISO 8601, effective_by ISO 8601, status_token) -> the receipt's bytes
MakeReceipt = Callable[[str, str, str, str], bytes]


@dataclass(frozen=True, slots=True)
class MatchJob:
    """A leased match job: run the matcher on ``photo``, then complete it with this object."""

    request_id: str
    attempt: int
    photo: bytes
    photo_sha256: str


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of re-computing the audit chain: ``broken_at`` is the first bad row."""

    rows: int
    broken_at: int | None
    reason: str | None


class SubjectRegistry(Protocol):
    async def init(self) -> None:
        """Create or migrate the tables; idempotent, safe to run on every deploy."""
        raise NotImplementedError

    async def submit(
        self, submission: OptOutSubmission, photo: bytes, make_receipt: MakeReceipt
    ) -> SubmitOutcome:
        """Commit a new request (and its match job) or replay a committed one.

        Returns only after the commit. Raises IdempotencyConflict for a key in flight or reused
        with another payload."""
        raise NotImplementedError

    async def status(self, request_id: str, status_token: str) -> dict[str, str] | None:
        """The request's status for the holder of its capability token; None otherwise."""
        raise NotImplementedError

    async def claim_job(self, lease_seconds: float) -> MatchJob | None:
        """Lease the oldest pending match job nobody holds (a lapsed lease is taken over)."""
        raise NotImplementedError

    async def complete_job(self, job: MatchJob, entries: Sequence[str], rule_id: str) -> bool:
        """Suppress ``entries`` and activate the request, once; False if the lease was lost."""
        raise NotImplementedError

    async def revoke(self, entry: str, *, reason: str, actor: str) -> bool:
        """Lift an active suppression by an audited revocation row; False if none is active."""
        raise NotImplementedError

    async def changes_since(self, seq: int, *, limit: int) -> tuple[list[SuppressionChange], int]:
        """Suppression log rows after ``seq`` in order, and the registry's highest sequence."""
        raise NotImplementedError

    async def verify_audit(self) -> AuditCheck:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


FaultHook = Callable[[str], None]
"""Called at named points of a write (``after_insert``, ``after_commit``): crash tests end the
process there to prove that no acknowledged request is lost and no retry duplicates one."""
