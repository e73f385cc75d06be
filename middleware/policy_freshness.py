"""Bounded staleness of a stored policy: a replica that cannot confirm its policy with the
store for ``[policy] max_staleness`` seconds answers 503 instead of deciding.

A replica cut off from its store keeps the policy it last loaded; a revocation pushed
meanwhile is not seen, so without a bound it would allow what the current policy denies for
as long as the outage lasts. An outage may make the gate slower or answer 503, never wrong.

The reloader (``config/reload.py``) confirms the policy each time the store answered and the
policy in force is what it holds: a poll that found no change, or a check that loaded the
store's policy (swapped in, or the same version). A Redis announcement alone confirms nothing;
a policy refused as invalid is confirmed by the next poll (the store answered, and holds no
newer valid policy); one waiting for its model to be published, or one the store could not
finish sending, is not. Freshness counts from when the confirming read *began*, so a slow
answer is never fresher than the data in it, and on ``time.perf_counter``, the monotonic clock
the gate reads for every request anyway: the request path pays one float comparison,
``started >= freshness.until``, before the remembered requests and every cache tier.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.types import Scope

from .checker import Checker
from .decision.values import refusal
from .errors import PolicyStale
from .full_check import later, safe_record
from .responses import Problem, unavailable_problem

if TYPE_CHECKING:
    from .audit.answer import RecordWriter

__all__ = ["PolicyFreshness", "stale_refusal"]

logger = logging.getLogger("jurisgate")


class PolicyFreshness:
    """The instant (``time.perf_counter``) until which the policy in force may be used.
    ``max_staleness`` None: never stale (policy files, the bundled pack, an engine passed
    in); else the policy loaded at start-up counts as confirmed at construction.
    ``retry_after`` is the Retry-After of a stale answer: the soonest a poll can confirm."""

    __slots__ = (
        "_clock",
        "_logged_for",
        "confirmed_at",
        "max_staleness",
        "refused",
        "retry_after",
        "until",
    )

    def __init__(
        self,
        max_staleness: float | None,
        *,
        retry_after: int = 1,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if max_staleness is not None and not (math.isfinite(max_staleness) and max_staleness > 0):
            raise ValueError("max_staleness must be a positive number of seconds")
        self.max_staleness = max_staleness
        self.retry_after = retry_after
        self._clock = clock
        self.confirmed_at = clock()
        self.until = math.inf if max_staleness is None else self.confirmed_at + max_staleness
        self.refused = 0  # requests answered 503 because the policy was stale
        self._logged_for = math.nan  # the deadline whose passing was logged: once per outage

    def confirm(self, began: float) -> None:
        """The store showed the policy in force current at ``began``: move the deadline on
        (never back: a slow read that began earlier proves less)."""
        if self.max_staleness is not None and began > self.confirmed_at:
            self.confirmed_at = began
            self.until = began + self.max_staleness

    def refusing(self, version: str) -> None:
        """Count a request answered 503; log one line per outage, not per request."""
        self.refused += 1
        if self._logged_for != self.until:
            self._logged_for = self.until
            logger.error(
                "refusing requests (503 policy_stale): the policy store has not confirmed "
                "policy version %s for %g s ([policy] max_staleness)",
                version,
                self.max_staleness,
            )

    def stale(self) -> bool:
        return self._clock() >= self.until

    def health(self) -> dict[str, object] | None:
        """None when nothing is bounded."""
        if self.max_staleness is None:
            return None
        return {
            "stale": self.stale(),
            "age": round(self._clock() - self.confirmed_at, 3),
            "max_staleness": self.max_staleness,
            "refused": self.refused,
        }


def stale_refusal(
    checker: Checker, freshness: PolicyFreshness, scope: Scope, decision_id: str, started: float
) -> tuple[Problem, RecordWriter]:
    """503 ``policy_stale`` (Retry-After) for a request that reached a stale gate, with its
    audit record (effect deny, reason ``policy_stale``). Reads only what cannot fail."""
    freshness.refusing(checker.engine.version)
    record = safe_record(checker, scope, decision_id, started)
    code = PolicyStale.code
    denied = refusal(checker.engine.version)
    write = later(record, status=503, effect="deny", decision=denied, reason=code)
    return unavailable_problem(code, decision_id, freshness.retry_after), write
