"""Every replica's own copy of the active suppressions, kept fresh from the registry.

A request asks memory, never PostgreSQL or Redis, whether an entry is suppressed: one set
look-up. A background task pulls the suppression log by sequence number every
``max_staleness / 4`` seconds. Redis is deliberately not a source: a flushed or restarted Redis
answers "not suppressed" without an error. The copy fails closed:

- not synced for ``max_staleness`` seconds (registry down, task stalled): :meth:`current`
  raises :class:`StaleSuppressions`, and routes that list people answer 503;
- the registry's highest sequence number is below one already applied (an older backup was
  restored, suppressions may have been lost): stale until the process restarts, logged as an
  error, because only an operator can say which suppressions must be re-applied.

Freshness counts from when a successful pull *started*, so a slow answer is never fresher than
the data in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Final, Protocol

from ..clock import Clock, SystemClock
from .errors import RegistryUnavailable, StaleSuppressions
from .registry import SubjectRegistry

__all__ = ["FixedSuppressions", "SuppressionSync", "Suppressions"]

logger = logging.getLogger("jurisgate.subjects")
_PAGE: Final = 10_000


class Suppressions(Protocol):
    def current(self) -> Collection[str]:
        """The suppressed entry ids now; raises StaleSuppressions rather than answer stale."""
        raise NotImplementedError


class FixedSuppressions:
    """A suppression list that says what you tell it, like ``FixedClock``: for tests, and for
    an app whose list is not kept in a registry. Never stale."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Collection[str] = ()) -> None:
        self._entries = frozenset(entries)

    def current(self) -> frozenset[str]:
        return self._entries


class SuppressionSync:
    """Active suppressed entry ids, synced from a :class:`SubjectRegistry`."""

    def __init__(
        self,
        registry: SubjectRegistry,
        *,
        max_staleness: float = 2.0,
        clock: Clock | None = None,
        interval: float | None = None,
    ) -> None:
        if not max_staleness > 0:
            raise ValueError("max_staleness must be a positive number of seconds")
        self._registry = registry
        self.max_staleness = float(max_staleness)
        self.interval = interval if interval is not None else max(self.max_staleness / 4, 0.01)
        self._clock = clock or SystemClock()
        self._entries: set[str] = set()
        self.seq = 0
        self.synced_at: float | None = None
        self.regressed: str | None = None
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def current(self) -> set[str]:
        """The live set of suppressed entry ids; raises StaleSuppressions when not fresh.

        Check it once per answer and test membership with ``in``: the set is only changed
        by the sync task on this event loop, never while a handler runs without awaiting."""
        if self.regressed is not None:
            raise StaleSuppressions(self.regressed)
        synced = self.synced_at
        if synced is None or self._clock.now() - synced > self.max_staleness:
            raise StaleSuppressions("the suppression list has not been synced recently")
        return self._entries

    def contains(self, entry_id: str) -> bool:
        """Whether ``entry_id`` is suppressed; raises StaleSuppressions when not fresh."""
        return entry_id in self.current()

    def health(self) -> dict[str, object]:
        now = self._clock.now()
        return {
            "suppressed": len(self._entries),
            "seq": self.seq,
            "lag_seconds": None if self.synced_at is None else round(now - self.synced_at, 3),
            "fresh": self.regressed is None
            and self.synced_at is not None
            and now - self.synced_at <= self.max_staleness,
            "regressed": self.regressed,
            "failures": self.failures,
        }

    async def sync_once(self) -> None:
        """Pull every change after ``seq``; raises RegistryUnavailable on failure."""
        started = self._clock.now()
        while True:
            changes, head = await self._registry.changes_since(self.seq, limit=_PAGE)
            if head < self.seq:
                self.regressed = (
                    f"the registry's highest sequence number {head} is below {self.seq}, "
                    "already applied here: was an older backup restored?"
                )
                logger.error("suppressions: %s; refusing to serve until restarted", self.regressed)
                raise StaleSuppressions(self.regressed)
            for change in changes:
                if change.active:
                    self._entries.add(change.key)
                else:
                    self._entries.discard(change.key)
                self.seq = change.seq
            if len(changes) < _PAGE:
                break
        self.synced_at = started

    async def start(self) -> None:
        """One sync now (an unreachable registry is logged, not raised: an outage is not a
        config error), then the background task."""
        with contextlib.suppress(RegistryUnavailable, StaleSuppressions):
            await self._sync_logged()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            with contextlib.suppress(RegistryUnavailable, StaleSuppressions):
                await self._sync_logged()

    async def _sync_logged(self) -> None:
        try:
            await self.sync_once()
        except RegistryUnavailable as exc:
            self.failures += 1
            if self.failures == 1 or self.failures % 100 == 0:
                logger.warning("suppressions: cannot sync from the registry (%s)", exc)
            raise
        if self.failures:
            logger.info("suppressions: synced again after %d failures", self.failures)
            self.failures = 0
