"""The registry's exceptions, in the one ``JurisgateError`` tree.

JurisgateError
└── SubjectsError
    ├── RegistryUnavailable   the system of record cannot be reached or answered an error:
    │                         an outage, answered 503 with Retry-After, never a 202
    ├── IdempotencyConflict   the same key: still in flight (409) or another payload (422)
    └── StaleSuppressions     a replica's copy of the suppressions is too old, or the
                              registry went backwards: routes that list people answer 503
"""

from __future__ import annotations

from typing import Literal

from ..errors import JurisgateError

__all__ = ["IdempotencyConflict", "RegistryUnavailable", "StaleSuppressions", "SubjectsError"]


class SubjectsError(JurisgateError):
    code = "subjects_error"


class RegistryUnavailable(SubjectsError):
    code = "registry_unavailable"


class IdempotencyConflict(SubjectsError):
    """``reason`` is ``in_flight`` (HTTP 409) or ``other_payload`` (HTTP 422)."""

    code = "idempotency_conflict"

    def __init__(self, reason: Literal["in_flight", "other_payload"]) -> None:
        super().__init__(f"idempotency key already used: {reason}")
        self.reason: Literal["in_flight", "other_payload"] = reason


class StaleSuppressions(SubjectsError):
    code = "suppressions_stale"
