"""Whether a replica can check its policy for changes (issue #12: a dead store went unnoticed).

The reload watcher reports each poll here. The source counts as unreachable while the last poll
failed, or while the poll in progress has run longer than ``stalled_after`` seconds (a safety
net: every store call has its own deadline, so a poll normally fails long before). The change
is logged once each way on ``jurisgate.reload``; ``reachable()`` feeds the reloader's health
(``source_reachable``, and so the gate's ``degraded``) and the metrics.
"""

from __future__ import annotations

import logging
import time

__all__ = ["PollHealth"]

logger = logging.getLogger("jurisgate.reload")


class PollHealth:
    """The outcome of the watcher's polls: ``begin()``, then ``failed(exc)`` or ``succeeded()``,
    then ``end()`` (also when the poll is cancelled)."""

    __slots__ = ("_failing", "_started", "failures", "stalled_after")

    def __init__(self, *, stalled_after: float) -> None:
        if not stalled_after > 0:
            raise ValueError("stalled_after must be > 0")
        self.stalled_after = stalled_after
        self.failures = 0  # polls that failed, in all
        self._failing = False
        self._started: float | None = None  # monotonic start of the poll in progress

    def begin(self) -> None:
        self._started = time.monotonic()

    def end(self) -> None:
        self._started = None

    def failed(self, exc: Exception) -> None:
        self.failures += 1
        if not self._failing:
            logger.warning("cannot check the policy for changes (%s); retrying", exc)
        self._failing = True

    def succeeded(self) -> None:
        if self._failing:
            logger.warning("the policy can be checked for changes again")
        self._failing = False

    def reachable(self) -> bool:
        """False while the last poll failed, or the one in progress is overdue."""
        started = self._started
        overdue = started is not None and time.monotonic() - started > self.stalled_after
        return not (self._failing or overdue)
