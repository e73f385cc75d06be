"""``IngestCheck``: the ingest check for a long-running crawler, on the item rules in force.

``admissible(facts, rules=...)`` decides with the rules it is handed; a crawler that builds
them once from its configuration never sees a new order, and ``item_policy_of`` cannot read a
PostgreSQL store's ``p2`` rows. ``IngestCheck`` loads the policy as the gate does
(``load_enforced_policy``: files only as published, or the store with its ``p2`` rows, and
``[items]``) and follows it as the gate's reloader does (``policy_watch`` and ``read_policy``),
synchronously: at most every ``[policy] watch_interval`` seconds a ``check`` first looks for a
change, on the calling thread. A valid new version replaces the rules; an invalid one is
logged and the last good stays; an unpublished edit waits for its publish. With a store, a
policy the store has not confirmed for ``[policy] max_staleness`` seconds is not used:
``check`` raises PolicyStale (the gate's 503) until the store answers again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from types import TracebackType

from jurisgate.middleware.clock import Clock
from jurisgate.middleware.config.gate_config import load_config
from jurisgate.middleware.config.policy_in_force import PolicyInForce
from jurisgate.middleware.config.poll_health import PollHealth
from jurisgate.middleware.config.reload import fingerprint_or_error, read_policy, settle_read
from jurisgate.middleware.errors import ConfigError, JurisgateError, PolicyStale
from jurisgate.middleware.ingest.admissible import Admissibility, admissible
from jurisgate.middleware.ingest.facts import ProvenanceFacts
from jurisgate.middleware.policy_freshness import PolicyFreshness

from .factory import PolicyWatch, load_enforced_policy, policy_watch

__all__ = ["IngestCheck"]

logger = logging.getLogger("jurisgate.reload")

_LOOK_AGAIN = object()  # equal to no fingerprint: the next poll reads the policy again


class IngestCheck:
    """``IngestCheck("jurisgate.toml").check(facts, at=...)``: ``admissible`` under the item
    rules a gate on that configuration would apply now.

    ``config``: a jurisgate.toml path, defaults to ``$JURISGATE_CONFIG``; a configuration or
    policy that cannot be used raises ConfigError naming the file and key, as the gate's
    start-up does. ``clock`` (defaults to the system clock) times the polls and the staleness
    bound, and is the default ``at``. Threads may share one; ``close()`` releases the store."""

    def __init__(
        self, config: str | os.PathLike[str] | None = None, *, clock: Clock | None = None
    ) -> None:
        loaded = load_config(config)
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError("clock must have a now() method")
        settings = loaded.policy
        self._clock = clock
        self._now: Callable[[], float] = clock.now if clock is not None else time.perf_counter
        # Made before the load, whose start counts as the first confirmation (as the gate's).
        self._freshness = PolicyFreshness(settings.staleness_bound, clock=self._now)
        self._interval = settings.watch_interval
        self._seen: Hashable = _LOOK_AGAIN
        self._watch: PolicyWatch | None = None
        try:
            self._watch = policy_watch(loaded)
            if self._watch is not None:
                # Fingerprinted before the load: a change made in between is seen at the first
                # poll rather than missed.
                self._seen = fingerprint_or_error(self._watch.fingerprint)
                self._policy = self._watch.load()
            else:
                self._policy = load_enforced_policy(settings, loaded.items)
        except JurisgateError as exc:
            self.close()
            message = str(exc)  # an item rule's problem names [items] already
            key = message if message.startswith("[items]") else f"[policy] {message}"
            raise ConfigError(f"{loaded.origin}: {key}") from exc
        except BaseException:
            self.close()
            raise
        self._next_poll = self._now() + self._interval
        self._lock = threading.Lock()
        self.polls = PollHealth(stalled_after=self._watch.stalled_after if self._watch else 10.0)
        self.reloads = 0
        self.rejected = 0
        self.last_error: str | None = None
        self.waiting: str | None = None  # why a changed policy is not applied yet

    @property
    def version(self) -> str:
        """The version of the policy in force (client rules + item rules, as the gate's)."""
        return self._policy.version

    def check(
        self,
        facts: Mapping[str, object] | ProvenanceFacts,
        *,
        at: float | datetime | str | None = None,
    ) -> Admissibility:
        """``admissible(facts, at=at)`` under the item rules in force (``at`` defaults to the
        clock's now). Raises PolicyStale when a stored policy is past ``max_staleness``
        unconfirmed (try again later), ValueError/TypeError for bad facts."""
        policy = self.in_force()
        if at is None and self._clock is not None:
            at = self._clock.now()
        return admissible(facts, at=at, rules=policy.items)

    def in_force(self) -> PolicyInForce:
        """The policy in force, after a poll when one is due; PolicyStale when it is stale."""
        with self._lock:
            if self._watch is not None and self._now() >= self._next_poll:
                self._poll(self._watch)
            if self._freshness.stale():
                raise PolicyStale(
                    f"the policy store has not confirmed policy version {self.version} for "
                    f"{self._freshness.max_staleness:g} s ([policy] max_staleness); try again later"
                )
            return self._policy

    def close(self) -> None:
        """Release the store connection (a closed check on a store reconnects if used)."""
        if self._watch is not None and self._watch.close is not None:
            self._watch.close()

    def __enter__(self) -> IngestCheck:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _poll(self, watch: PolicyWatch) -> None:
        """One poll of the reloader's watcher (reload.py), inline: no change confirms the
        policy; a change is read with ``read_policy`` and swapped in when valid and new."""
        began = self._now()
        self._next_poll = began + self._interval
        try:
            seen = watch.fingerprint()
        except Exception as exc:  # e.g. the store is unreachable: not confirmed; say so once
            self.polls.failed(exc)
            return
        self.polls.succeeded()
        if seen == self._seen:
            self._freshness.confirm(began)
            return
        try:
            read = read_policy(watch.load, watch.fingerprint, self._saw)
        except Exception:  # as the reloader: any surprise keeps the old policy
            logger.exception("ingest check: policy reload failed; keeping the current policy")
            self._seen = _LOOK_AGAIN
            return
        loaded = settle_read(read, self, self.version, "ingest check: policy reload")
        if loaded is None:
            return
        if loaded.version != self._policy.version:
            logger.warning(
                "ingest check: policy reloaded: version %s -> %s",
                self._policy.version,
                loaded.version,
            )
            self._policy = loaded
            self.reloads += 1
            self.last_error = None
        self._freshness.confirm(began)

    def _saw(self, seen: Hashable) -> None:
        self._seen = seen
