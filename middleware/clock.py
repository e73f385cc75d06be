"""Time as a collaborator: decisions are made for an instant, and tests pin that instant."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FixedClock", "SystemClock", "parse_instant"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""
        raise NotImplementedError


class SystemClock:
    """Wall-clock time."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()


class FixedClock:
    """A clock that says what you tell it; ``advance`` moves it."""

    __slots__ = ("_now",)

    def __init__(self, at: float | datetime | str) -> None:
        self._now = _to_epoch(at)

    def now(self) -> float:
        return self._now

    def set(self, at: float | datetime | str) -> None:
        self._now = _to_epoch(at)

    def advance(self, seconds: float) -> None:
        self._now += seconds


def parse_instant(text: str) -> float:
    """Parse an ISO 8601 date or date-time; a naive value is UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _to_epoch(at: float | datetime | str) -> float:
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
    if isinstance(at, str):
        return parse_instant(at)
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise TypeError(f"clock instant must be a number, datetime or ISO string, not {at!r}")
    return float(at)
