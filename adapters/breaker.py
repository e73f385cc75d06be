"""A circuit breaker: after repeated failures, stop calling a dependency until it recovers.

Closed: calls go through; ``failures`` consecutive failures open it. Open: callers skip the
dependency (for the Redis tier: decide locally) and the owner probes it in the background
every ``cooldown`` seconds; a successful probe closes it again. State changes are logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open"]


class CircuitBreaker:
    """Counts consecutive failures of one dependency, named ``name`` in log lines."""

    def __init__(
        self,
        name: str,
        *,
        failures: int = 3,
        cooldown: float = 5.0,
        logger: logging.Logger | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be >= 1")
        if not cooldown > 0:
            raise ValueError("cooldown must be > 0")
        self.name = name
        self.failures = failures
        self.cooldown = cooldown
        self.state: BreakerState = "closed"
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self.last_error: str | None = None
        self._logger = logger or logging.getLogger("jurisgate.cache")
        self._monotonic = monotonic

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"

    def record_success(self) -> None:
        self.consecutive_failures = 0

    def record_failure(self, error: BaseException) -> bool:
        """Count one failure; True when this one opened the breaker."""
        self.consecutive_failures += 1
        self.last_error = f"{type(error).__name__}: {error}"[:200]
        if self.state == "open" or self.consecutive_failures < self.failures:
            self._logger.debug("%s call failed (%s)", self.name, self.last_error)
            return False
        self.state = "open"
        self.opened_at = self._monotonic()
        self._logger.warning(
            "%s failed %d times in a row (%s): skipping it, deciding locally, retrying every %gs",
            self.name,
            self.consecutive_failures,
            self.last_error,
            self.cooldown,
        )
        return True

    def close(self) -> None:
        """A probe succeeded: use the dependency again."""
        if self.state == "open":
            self._logger.warning("%s is back: using it again", self.name)
        self.state = "closed"
        self.consecutive_failures = 0
        self.opened_at = None

    def snapshot(self) -> dict[str, object]:
        open_for = None if self.opened_at is None else self._monotonic() - self.opened_at
        return {
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "open_for_seconds": None if open_for is None else round(open_for, 3),
            "last_error": self.last_error,
        }
