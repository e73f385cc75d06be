"""The jurisdiction gate: a pure ASGI middleware that verifies, normalizes, decides and answers.

Flow per request (HTTP and WebSocket alike):
1. canonical method, and the path the app routes (``claims/routed_path.py``: below the root path,
   refused when a framework rewrote it); a path the policy opens to ``anonymous`` passes
   without a token;
2. exactly one ``Authorization: Bearer`` header, verified (401/400 otherwise);
3. jurisdiction claims normalized to a Principal (403 when unusable);
4. a Decision from the local cache, then the shared cache, then the policy engine (403/451);
5. allowed requests reach the app with ``scope["user"]``, ``scope["auth"]`` and
   ``request.state.principal`` / ``request.state.decision`` set, and the item rules in force
   for the result filter and the app (``results/in_force.py``); on a route ``[[results]]``
   names, through a ``send`` that refuses an answer the result filter did not run on
   (``results/filter_required.py``); a WebSocket on such a route is closed (403).
A gate whose stored policy the store has not confirmed for ``[policy] max_staleness`` answers
503 before any of this, memory included (``policy_freshness.py``). A request seen before is
answered from the memory of whole requests (``cache/warm.py``); a path
over ``[requests] max_path_bytes`` is refused with 414 before any per-path work; any other takes
the full check (``full_check.py``). Any exception on this path denies. Every request gets
exactly one audit record, written once its answer has started (``audit/answer.py``).
Per-request state lives in locals, never on ``self``.

The gate is also the composition root: with a config it asks ``jurisgate.adapters.factory`` for
its adapters (the only core module that imports one). Over 250 lines because the constructor
wires every collaborator in one place, ``__call__`` follows every answer to its one record
(inline: an extra coroutine layer costs on every request), and the properties at the end read
through to the Checker that the request path, health and the reloader share.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import secrets
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from jurisgate.adapters.factory import check_startup, load_engine, policy_reloader
from jurisgate.adapters.factory import shared_cache as configured_shared_cache

from .audit.answer import Answer, Replayed, write_record
from .audit.log import AuditLog, AuditObserver
from .authenticate import Authenticator
from .cache.lru import DecisionCache, DecisionKey, LruTtlCache
from .cache.tiers import DecisionTiers
from .cache.warm import WarmRequests, request_key
from .checker import Checker
from .claims.identity import JurisdictionUser
from .claims.regions import subdivisions
from .claims.routed_path import routed_path
from .clock import Clock, SystemClock
from .config.gate_config import CacheSettings, GateConfig, PolicySettings, load_config
from .config.request_limits import path_too_long
from .decision.engine import PolicyEngine
from .decision.values import Decision
from .errors import AuditUnavailable, ConfigError, PolicyStale
from .full_check import admit, full_check, gate_refusal, too_long
from .health import gate_health
from .policy_freshness import PolicyFreshness, stale_refusal
from .responses import DECISION_ID_HEADER, refuse
from .results.filter_required import UnfilteredLog, close_websocket, filter_required
from .results.route_paths import ResultPaths
from .startup import StartupFailure, fails_at_startup
from .token.verifier import TokenPolicy, TrustedIssuer

__all__ = ["JurisdictionMiddleware", "JurisdictionUser", "load_engine"]

logger = logging.getLogger("jurisgate")

# Decision ids: a random per-process prefix and a counter. Unique across replicas and cheap;
# not secret (they are handed to clients), so no per-request randomness is needed.
_ID_PREFIX: Final = secrets.token_hex(4)
# Starting at 16**11, the counter has 12 hex digits without a padding format spec (ids keep
# their 20 characters for the next 2.6e14 requests).
_id_counter = itertools.count(16**11)


class JurisdictionMiddleware:
    """Mount with ``app.add_middleware(JurisdictionMiddleware, config="jurisgate.toml")``.

    Options (keyword-only): ``config`` (a path, a GateConfig, or None for $JURISGATE_CONFIG),
    or ``issuers`` to configure in code; ``engine`` (defaults to the configured policy),
    ``shared_cache`` (a DecisionCache, defaults to none), ``clock`` (defaults to the system
    clock), ``audit`` (defaults to the ``jurisgate.audit`` logger), ``metrics`` (a
    ``jurisgate.adapters.metrics.GateMetrics``, defaults to none).

    A configuration that fails does not raise here: it sets ``startup_failure``, the gate
    fails the lifespan startup with its message and answers 503 (startup.py says why).
    """

    startup_failure: StartupFailure | None = None

    @fails_at_startup
    def __init__(
        self,
        app: ASGIApp,
        *,
        config: str | os.PathLike[str] | GateConfig | None = None,
        issuers: Sequence[TrustedIssuer] | None = None,
        token_policy: TokenPolicy | None = None,
        policy: PolicySettings | None = None,
        cache: CacheSettings | None = None,
        blocked_by: str | None = None,
        engine: PolicyEngine | None = None,
        shared_cache: DecisionCache | None = None,
        clock: Clock | None = None,
        audit: AuditLog | None = None,
        metrics: AuditObserver | None = None,
    ) -> None:
        if issuers is not None:
            if config is not None:
                raise TypeError("pass either config or issuers, not both")
            config = GateConfig(
                issuers=tuple(issuers),
                tokens=token_policy or TokenPolicy(),
                policy=policy or PolicySettings(),
                cache=cache or CacheSettings(),
                blocked_by=blocked_by,
            )
        elif not isinstance(config, GateConfig):
            config = load_config(Path(config) if config is not None else None)
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError("clock must have a now() method")
        if audit is None:
            observers = (metrics,) if metrics is not None else ()
            audit = AuditLog(subjects=config.audit, observers=observers)
        elif metrics is not None:
            raise TypeError("with audit=, pass metrics as AuditLog(observers=[metrics])")
        self.app = app
        self.config = config
        self.clock = clock or SystemClock()
        # A stored policy not confirmed for [policy] max_staleness answers 503; made before the
        # policy is loaded, whose start counts as the first confirmation (policy_freshness.py).
        self.freshness = PolicyFreshness(
            config.policy.staleness_bound if engine is None else None,
            retry_after=max(1, math.ceil(config.policy.watch_interval)),
        )
        # The reloader fingerprints the policy before it is loaded, so a change made in between
        # is seen by its first check rather than missed until the next one. It reaches the
        # checker (made once the engine is loaded) only from its first check on.
        self.reloader = (
            policy_reloader(
                config,
                current=lambda: self.checker.in_force(),
                swap=lambda new: self.checker.swap_policy(new),
                confirm=self.freshness.confirm,
            )
            if engine is None
            else None
        )
        try:
            # What `jurisgate lint --config` checks too; every problem at once.
            loaded, problems = check_startup(
                config,
                engine=engine,
                shared_tier=shared_cache is None,
                audit_file=audit.sink is None,
            )
            if problems or loaded is None:
                raise ConfigError("\n".join(f"{config.origin}: {p}" for p in problems))
            self.authenticator = Authenticator(
                config.issuers,
                config.tokens,
                max_entries=config.cache.local_max_entries,
                ttl=config.cache.ttl,
                max_bytes=config.cache.local_max_bytes,
            )
        except BaseException:
            if self.reloader is not None:
                self.reloader.stop()  # releases the store connection it may hold
            raise
        self.verifier = self.authenticator.verifier
        self.tokens = self.authenticator.tokens
        if shared_cache is None:
            shared_cache = configured_shared_cache(config.cache, self.clock)
        self.shared_cache = shared_cache
        self.tiers = DecisionTiers(
            local_max_entries=config.cache.local_max_entries,
            ttl=config.cache.ttl,
            shared=shared_cache,
            local_max_bytes=config.cache.local_max_bytes,
        )
        self.checker = Checker(
            engine=loaded.engine,
            items=loaded.items,
            tiers=self.tiers,
            authenticator=self.authenticator,
            warm=WarmRequests(config.cache.local_max_entries, config.cache.local_max_bytes),
            audit=audit,
            # None without [[results]]: then no request does any work for it.
            results=ResultPaths(config.results) if config.results else None,
            ttl=config.cache.ttl,
            blocked_by=config.blocked_by,
        )
        self._max_path_bytes = config.requests.max_path_bytes
        self._unfiltered_log = UnfilteredLog()
        self._audit_refusals = 0  # requests refused because their record could not be kept
        self._audit_warned = -math.inf
        for observer in audit.observers:  # GateMetrics also reports cache/reload state
            bind = getattr(observer, "bind", None)
            if callable(bind):
                bind(self)
        subdivisions()  # load ISO data now, not on the first request
        if audit.sink is None and config.audit.file is not None:
            # Last, as it starts a thread. An AuditLog passed in gets the configured file too,
            # unless it brings a sink of its own.
            try:
                audit.sink = config.audit.open_file()
            except BaseException as exc:
                if self.reloader is not None:
                    self.reloader.stop()
                if isinstance(exc, OSError):
                    raise ConfigError(f"{config.origin}: audit.file: {exc}") from exc
                raise

    # What tests and operators read (and benchmarks replace); the request path reads the
    # checker's attributes directly.
    @property
    def engine(self) -> PolicyEngine:
        return self.checker.engine

    @engine.setter
    def engine(self, engine: PolicyEngine) -> None:
        self.checker.engine = engine

    @property
    def warm(self) -> WarmRequests:
        return self.checker.warm

    @warm.setter
    def warm(self, warm: WarmRequests) -> None:
        self.checker.warm = warm

    @property
    def audit(self) -> AuditLog:
        return self.checker.audit

    @audit.setter
    def audit(self, audit: AuditLog) -> None:
        self.checker.audit = audit

    @property
    def decisions(self) -> LruTtlCache[DecisionKey, Decision]:
        return self.checker.tiers.local

    @decisions.setter
    def decisions(self, decisions: LruTtlCache[DecisionKey, Decision]) -> None:
        self.checker.tiers.local = decisions

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        # The system clock's reading without a Python call in between (read on every request).
        self._now = time.time if type(clock) is SystemClock else clock.now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.startup_failure is not None:
            await self.startup_failure.answer(scope, receive, send)
            return
        reloader = self.reloader
        if reloader is not None and reloader.running_in is not asyncio.get_running_loop():
            reloader.ensure_running()  # lazily: the first call of each event loop
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        decision_id = f"{_ID_PREFIX}{next(_id_counter):x}"
        started = time.perf_counter()
        checker = self.checker
        # The request's one audit record, written once it is answered: write(sent, outcome), or
        # write(replayed, sent, outcome) for a request answered from memory (audit/answer.py)
        write: Callable[..., None]
        replayed: Replayed | None = None
        try:
            if started >= self.freshness.until:  # before any memory: a cached allow is stale too
                raise PolicyStale("the policy in force is not confirmed as current")
            now = self._now()
            # The scope's routing inputs as sent: a request seen before is not routed again.
            key = request_key(scope) if kind == "http" else None
            remembered = None if key is None else checker.warm.get(key, checker.engine, now)
            path = None if remembered is None else remembered.routed
            if remembered is not None:
                refusal = admit(
                    scope,
                    remembered.principal,
                    remembered.decision,
                    decision_id,
                    checker.blocked_by,
                    checker.items,
                )
                write = checker.audit.replayed
                replayed = (remembered, decision_id, started, time.perf_counter())
            elif path_too_long(scope["path"], self._max_path_bytes):  # before any per-path work
                refusal, write = too_long(checker, scope, decision_id, started)
            else:
                path = routed_path(scope)  # None: rewritten by a framework, refused by full_check
                refusal, write = await full_check(
                    checker, scope, path, decision_id, started, now, key
                )
            if refusal is None:
                guarded = checker.audit.guarded
                if guarded is not None and not guarded.accepting:
                    guarded.check()  # AuditUnavailable: a request not recordable is not served
        except AuditUnavailable as exc:  # a request that cannot be recorded is not served
            self._audit_refusals += 1
            if self._audit_refusals == 1 or time.monotonic() - self._audit_warned >= 10.0:
                self._audit_warned = time.monotonic()  # one line per 10 s, not per request
                logger.error("refusing requests: %s (%d so far)", exc, self._audit_refusals)
            refusal, write = gate_refusal(checker, scope, decision_id, started, "audit_unavailable")
            replayed = None
        except PolicyStale:  # the store has not confirmed the policy lately: 503, not a guess
            refusal, write = stale_refusal(checker, self.freshness, scope, decision_id, started)
            replayed = None
        except Exception:  # a bug on the gate's path denies; it never lets the request through
            logger.exception("jurisgate failed while deciding; denying")
            refusal, write = gate_refusal(checker, scope, decision_id, started, "gate_error")
            replayed = None
        if refusal is not None:
            record = write if replayed is None else partial(write, replayed)
            try:
                sent = await refuse(scope, send, refusal, decision_id)
            except BaseException:
                write_record(record, None, "disconnected")
                raise
            write_record(record, sent, "sent")
            return
        # The id is ASCII hex: UTF-8, the codec encode() takes without a name lookup, is latin-1.
        header = (DECISION_ID_HEADER, decision_id.encode()) if kind == "http" else None
        answer = Answer(send, receive, header, write, scope, replayed)
        app_send: Send = answer.send
        paths = checker.results
        if paths is not None and path is not None:
            route = remembered.route if remembered is not None else paths.find(path)
            if route is not None and kind == "http":  # refuses an answer the filter did not run on
                app_send = filter_required(answer, route, scope, decision_id, self._unfiltered_log)
            elif route is not None:  # no result filter reads a WebSocket's messages: closed
                await close_websocket(send, answer, route, decision_id, self._unfiltered_log)
                return
        try:
            await self.app(scope, answer.receive, app_send)
        except BaseException as exc:
            if answer.open:
                answer.finish(exc)
            raise
        if answer.open:  # the app returned without answering
            answer.finish(None)

    async def aclose(self) -> None:
        """At shutdown: stop the policy watcher, write out the audit file, close the shared
        tier's connections."""
        if self.startup_failure is not None:
            return  # what it had started was stopped when it failed
        if self.reloader is not None:
            await self.reloader.aclose()
        try:
            if self.audit.sink is not None:
                await asyncio.to_thread(self.audit.sink.close)  # writes what is still queued
        finally:
            close = getattr(self.shared_cache, "aclose", None)
            if close is not None:
                await close()

    def health(self) -> dict[str, object]:
        """Cache and policy state for a health endpoint (see jurisgate.middleware.health)."""
        return gate_health(self.checker, self.reloader, self.freshness)
