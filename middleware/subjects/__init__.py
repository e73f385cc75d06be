"""Who may be *found*: the data-subject registry, opt-out receipts and suppressions.

The gate decides who may search; this package keeps who may be found lawful. PostgreSQL is the
system of record (``jurisgate.adapters.postgres_subjects`` implements :class:`SubjectRegistry`);
every replica holds the active suppressions in memory (:class:`SuppressionSync`) and a request
never waits on the database or on Redis to know whether an entry is suppressed.

May import: the core's ``errors`` and ``clock``, PyJWT (receipt signatures). Never an adapter.
"""

from .errors import IdempotencyConflict, RegistryUnavailable, StaleSuppressions, SubjectsError
from .matching import SubjectMatcher, run_match_jobs, run_pending_jobs
from .model import (
    OptOutSubmission,
    RequestStatus,
    SubmitOutcome,
    SuppressionChange,
    fingerprint,
)
from .opt_out import OptOutEndpoints
from .receipts import ReceiptSigner, ReceiptVerifier, canonical_json
from .registry import MatchJob, SubjectRegistry
from .service import SubjectsService
from .settings import SubjectsSettings
from .suppressions import FixedSuppressions, Suppressions, SuppressionSync

__all__ = [
    "FixedSuppressions",
    "IdempotencyConflict",
    "MatchJob",
    "OptOutEndpoints",
    "OptOutSubmission",
    "ReceiptSigner",
    "ReceiptVerifier",
    "RegistryUnavailable",
    "RequestStatus",
    "StaleSuppressions",
    "SubjectMatcher",
    "SubjectRegistry",
    "SubjectsError",
    "SubjectsService",
    "SubjectsSettings",
    "SubmitOutcome",
    "SuppressionChange",
    "SuppressionSync",
    "Suppressions",
    "canonical_json",
    "fingerprint",
    "run_match_jobs",
    "run_pending_jobs",
]
