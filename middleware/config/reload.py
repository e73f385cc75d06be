"""Reload: watch the policy files (or store) and swap in a new policy when they change validly.

What is loaded and swapped is the gate's PolicyInForce (config/policy_in_force.py): the engine
of the client rules and the item rules built from the same rows, as one version; the
``[items] files`` are watched (and published) with the policy files.

A watcher task polls a fingerprint every ``watch_interval`` seconds, off the event loop
(``asyncio.to_thread``): the files' stat (size, mtime, inode), or for a PostgreSQL store the
model file's stat and the table's content hash; on a change it loads and compiles the policy
in a thread too. A valid policy with a new version replaces the gate's engine in one assignment:
requests in flight keep the engine they started with, and cached decisions of the old version
become unreachable because the version is part of every key. An invalid policy is refused
with one error log line and the last good policy stays in force. Policy files that differ
from their published manifest (PolicyNotPublished: being written, or not yet published) are
not an error: the old policy stays, ``waiting`` says why (health, metrics), one warning is
logged, and every poll checks again until a manifest matches.

With an Announcer (the Redis pub/sub of jurisgate.adapters.redis_pubsub), a reload is announced to
the other replicas, and an announcement (or a re-established subscription, which may have missed
some) makes this replica check its policy at once. A poll that fails or overruns is reported by
PollHealth. A poll that finds no change, and a check that loads the policy in force, are
reported to ``confirm`` (policy_freshness.py: how long a stored policy may go unconfirmed); a
store that did not answer a load (PolicyUnavailable) is asked again at the next poll. The tasks
start lazily, on the first ASGI call (lifespan included) of each event loop, and a task that
fails is logged and started again by itself (``supervised``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, Literal, Protocol, TypeVar

from ..errors import PolicyError, PolicyNotPublished, PolicyUnavailable
from .poll_health import PollHealth
from .supervised import supervised

__all__ = [
    "Announcer",
    "Loaded",
    "PolicyRead",
    "PolicyReloader",
    "ReloadRecord",
    "file_fingerprint",
    "fingerprint_or_error",
    "read_policy",
    "settle_read",
]

_CHANGED_DURING_LOAD: Final = object()  # equal to no fingerprint: the next poll loads again

logger = logging.getLogger("jurisgate.reload")

Fingerprint = tuple[tuple[int, int, int] | None, ...]


class Loaded(Protocol):
    """What a reloader loads and swaps: a PolicyInForce (the gate), or a bare PolicyEngine."""

    @property
    def version(self) -> str: ...

    @property
    def rules(self) -> Sized: ...


L = TypeVar("L", bound=Loaded)


class Announcer(Protocol):
    """Tells other replicas about a reload, and listens for theirs."""

    async def publish(self, version: str) -> None:
        raise NotImplementedError

    async def listen(self, on_change: Callable[[str | None], Awaitable[None]]) -> None:
        """Call ``on_change(version)`` per announcement from another replica, and
        ``on_change(None)`` after each (re)subscription; reconnect forever."""
        raise NotImplementedError


def file_fingerprint(paths: Sequence[Path]) -> Fingerprint:
    """Cheap change detection: (size, mtime in ns, inode) per file, None when unreadable."""
    prints: list[tuple[int, int, int] | None] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            prints.append(None)
        else:
            prints.append((st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(prints)


def fingerprint_or_error(fingerprint: Callable[[], Hashable]) -> Hashable:
    """The fingerprint, or a marker that differs from every real one (forces a re-check)."""
    try:
        return fingerprint()
    except Exception as exc:
        return ("unavailable", str(exc))


@dataclass(frozen=True, slots=True)
class PolicyRead(Generic[L]):
    """One read of the policy: ``loaded`` it (valid, its fingerprint unchanged meanwhile);
    ``changed`` while it was read; ``unavailable`` (the store did not answer); ``waiting``
    for a publish; ``invalid`` (refused). ``problem`` says why it was not loaded."""

    outcome: Literal["loaded", "changed", "unavailable", "waiting", "invalid"]
    loaded: L | None = None
    problem: PolicyError | None = None


def read_policy(
    load: Callable[[], L], fingerprint: Callable[[], Hashable], saw: Callable[[Hashable], None]
) -> PolicyRead[L]:
    """Read the policy once, blocking: the one load both the gate's reloader (in a thread) and
    a synchronous follower (``jurisgate.adapters.ingest_check``) run. ``saw`` is told the
    fingerprint read before the load, then a marker equal to no fingerprint when the next
    poll must read again (changed meanwhile, the store did not answer, not published)."""
    seen = fingerprint_or_error(fingerprint)
    saw(seen)
    try:
        loaded = load()
        if not loaded.rules:  # most likely a file caught while being rewritten
            raise PolicyError("the new policy has no rules")
        if fingerprint_or_error(fingerprint) != seen:
            # Written to while we read it: what we loaded may be a prefix of the file
            # (allows without the denies further down). Retry at the next poll.
            saw(_CHANGED_DURING_LOAD)
            return PolicyRead("changed")
    except PolicyUnavailable as exc:  # an outage, not a policy to refuse: read it again
        saw(_CHANGED_DURING_LOAD)
        return PolicyRead("unavailable", problem=exc)
    except PolicyNotPublished as exc:
        saw(_CHANGED_DURING_LOAD)  # look again at the next poll
        return PolicyRead("waiting", problem=exc)
    except PolicyError as exc:
        return PolicyRead("invalid", problem=exc)
    return PolicyRead("loaded", loaded)


class ReloadRecord(Protocol):
    """What a follower of the policy keeps about its reads (PolicyReloader, IngestCheck)."""

    polls: PollHealth
    rejected: int
    last_error: str | None
    waiting: str | None


def settle_read(read: PolicyRead[L], record: ReloadRecord, version: str, label: str) -> L | None:
    """Record what ``read`` found in ``record`` and log it as ``label`` ("policy reload
    (poll)"), with ``version`` the one in force; the policy read when it is valid (the
    caller swaps it in if its version is new), else None."""
    if read.outcome == "unavailable" and read.problem is not None:
        record.polls.failed(read.problem)  # an outage, not a policy to refuse
        return None
    if read.outcome == "waiting":
        if record.waiting is None:
            logger.warning(
                "%s waits, keeping version %s in force: %s", label, version, read.problem
            )
        record.waiting = str(read.problem)
        return None
    if read.outcome == "invalid":
        record.rejected += 1
        record.last_error = str(read.problem)
        logger.error("%s rejected, keeping version %s in force: %s", label, version, read.problem)
        return None
    if read.loaded is not None:  # None: changed while it was read, read again at the next poll
        record.waiting = None
    return read.loaded


class PolicyReloader(Generic[L]):
    """Keeps ``current()`` in step with the policy that ``load()`` reads; ``swap`` installs."""

    def __init__(
        self,
        *,
        load: Callable[[], L],
        current: Callable[[], L],
        swap: Callable[[L], None],
        paths: Sequence[Path] = (),
        interval: float,
        announcer: Announcer | None = None,
        fingerprint: Callable[[], Hashable] | None = None,
        close: Callable[[], None] | None = None,
        stalled_after: float = 10.0,
        confirm: Callable[[float], None] | None = None,
    ) -> None:
        """``fingerprint`` (blocking; defaults to the stat of ``paths``) changes when the policy
        may have; ``close`` releases what ``load`` and ``fingerprint`` hold, on ``stop()``;
        a poll running longer than ``stalled_after`` seconds counts as failing; ``confirm``
        is called with the ``time.perf_counter()`` instant a read began that showed the
        policy in force current (or refused as invalid)."""
        if not interval > 0:
            raise ValueError("interval must be > 0")
        if fingerprint is None:
            watched = tuple(paths)
            fingerprint = lambda: file_fingerprint(watched)  # noqa: E731
        self._load = load
        self._current = current
        self._swap = swap
        self._fingerprint = fingerprint
        self._close = close
        self._confirm = confirm
        self.interval = interval
        self.announcer = announcer
        self._seen: Hashable = self._fingerprint_or_error()
        self.polls = PollHealth(stalled_after=stalled_after)
        self._tasks: list[asyncio.Task[None]] = []
        self.running_in: asyncio.AbstractEventLoop | None = None  # while all tasks run there
        self._lock: asyncio.Lock | None = None
        self.reloads = 0
        self.rejected = 0
        self.last_error: str | None = None
        self.waiting: str | None = None  # why a changed policy is not applied yet

    def ensure_running(self) -> None:
        """Start the watcher (and listener) in the running loop unless they already run."""
        loop = asyncio.get_running_loop()
        if self.running_in is loop:  # every request asks: one identity check
            return
        for task in self._tasks:
            task.cancel()
        self._lock = asyncio.Lock()
        watch = supervised(self._watch, "jurisgate-policy-watch")
        self._tasks = [loop.create_task(watch, name="jurisgate-policy-watch")]
        if self.announcer is not None:
            announcer = self.announcer
            listen = supervised(
                lambda: announcer.listen(self._announced), "jurisgate-policy-listen"
            )
            self._tasks.append(loop.create_task(listen, name="jurisgate-policy-listen"))
        self.running_in = loop
        for task in self._tasks:
            task.add_done_callback(self._task_ended)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        # Past the supervisor (a BaseException): the next request starts them again. One that
        # returned (a listener with nothing to listen to) or was cancelled is not restarted.
        if task in self._tasks and not task.cancelled() and task.exception() is not None:
            logger.error("%s stopped; restarting it", task.get_name(), exc_info=task.exception())
            self.running_in = None

    async def aclose(self) -> None:
        """``stop()``, then wait (up to 2 s) for this loop's tasks to release their connections."""
        loop = asyncio.get_running_loop()
        ours = [task for task in self._tasks if task.get_loop() is loop]
        self.stop()
        if ours:
            await asyncio.wait(ours, timeout=2.0)

    def stop(self) -> None:
        self.running_in = None
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        if self._close is not None:
            self._close()

    async def check(self, reason: str) -> bool:
        """Load the policy now; swap it in if it is valid and new. True when swapped."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one load at a time; a burst of triggers loads once or twice
            began = time.perf_counter()
            old = self._current()  # only this reloader swaps, and it holds the lock
            read = await asyncio.to_thread(read_policy, self._load, self._fingerprint, self._saw)
            engine = settle_read(read, self, old.version, f"policy reload ({reason})")
            if engine is None:
                return False
            if engine.version == old.version:
                self._confirmed(began)
                return False
            self._swap(engine)
            self._confirmed(began)
            self.reloads += 1
            self.last_error = None
            logger.warning(
                "policy reloaded (%s): version %s -> %s", reason, old.version, engine.version
            )
        # A change seen here first is news; one we heard of, or caught up on, is not.
        if self.announcer is not None and reason not in ("announced", "resubscribed"):
            await self.announcer.publish(engine.version)
        return True

    def health(self) -> dict[str, object]:
        running = any(not t.done() for t in self._tasks)
        return {
            "watching": running,
            "source_reachable": self.polls.reachable(),
            "check_failures": self.polls.failures,
            "interval": self.interval,
            "reloads": self.reloads,
            "rejected": self.rejected,
            "last_error": self.last_error,
            "waiting": self.waiting,
            "announcing": self.announcer is not None,
        }

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            began = time.perf_counter()
            self.polls.begin()
            try:
                seen = await asyncio.to_thread(self._fingerprint)
            except Exception as exc:  # e.g. the store is unreachable: say so once, keep polling
                self.polls.failed(exc)
                continue
            finally:
                self.polls.end()
            self.polls.succeeded()
            if seen != self._seen:
                await self._guarded("policy changed")
            elif self._lock is None or not self._lock.locked():  # not while a load may swap
                self._confirmed(began)

    def _confirmed(self, began: float) -> None:
        if self._confirm is not None:
            self._confirm(began)

    def _fingerprint_or_error(self) -> Hashable:
        return fingerprint_or_error(self._fingerprint)

    def _saw(self, seen: Hashable) -> None:
        self._seen = seen

    async def _announced(self, version: str | None) -> None:
        if version is None:
            await self._guarded("resubscribed")
        elif version != self._current().version:
            await self._guarded("announced")

    async def _guarded(self, reason: str) -> None:
        try:
            await self.check(reason)
        except Exception:  # the watcher must outlive any surprise; the old policy stays
            logger.exception("policy reload (%s) failed; keeping the current policy", reason)
            # The change was never loaded: look again at the next poll, which must not take
            # the fingerprint read before this failure as the policy in force (and confirm it).
            self._seen = _CHANGED_DURING_LOAD
