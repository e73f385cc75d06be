"""The jurisdiction gate: a pure ASGI middleware that verifies, normalizes, decides and answers.

Flow per request (HTTP and WebSocket alike):
1. canonical method and path; a path the policy opens to ``anonymous`` passes without a token;
2. exactly one ``Authorization: Bearer`` header, verified (401/400 otherwise);
3. jurisdiction claims normalized to a Principal (403 when unusable);
4. a Decision from the local cache, then the shared cache, then the policy engine (403/451);
5. allowed requests reach the app with ``scope["user"]``, ``scope["auth"]`` and
   ``request.state.principal`` / ``request.state.decision`` set.
A request seen before is answered from the memory of whole requests (``warm.py``); any other
takes the full check (``full_check.py``). Any exception on this path denies. Per-request state
lives in locals, never on ``self``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from .audit import AuditLog, AuditObserver
from .audit_file import AuditUnavailable
from .authenticate import Authenticator
from .cache import DecisionCache, DecisionKey, LruTtlCache
from .clock import Clock, SystemClock
from .config import CacheSettings, GateConfig, PolicySettings, load_config
from .decision import Decision
from .engine import PolicyEngine
from .errors import ConfigError
from .full_check import admit, full_check
from .gate_reloader import gate_reloader
from .identity import JurisdictionUser
from .loading import load_engine
from .regions import subdivisions
from .responses import decision_problem, refuse, with_decision_id
from .startup import StartupFailure, fails_at_startup, startup_problems
from .tiers import DecisionTiers
from .tokens import TokenPolicy, TrustedIssuer
from .warm import WarmRequests, request_key

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
    ``jurisgate.middleware.metrics.GateMetrics``, defaults to none).

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
        # The reloader fingerprints the policy before it is loaded, so a change made in between
        # is seen by its first check rather than missed until the next one.
        self.reloader = gate_reloader(self, config) if engine is None else None
        try:
            # What `jurisgate lint --config` checks too; every problem at once.
            loaded, problems = startup_problems(
                config,
                engine=engine,
                shared_tier=shared_cache is None,
                audit_file=audit.sink is None,
            )
            if problems or loaded is None:
                raise ConfigError("\n".join(f"{config.origin}: {p}" for p in problems))
            self.engine = loaded
            self.authenticator = Authenticator(
                config.issuers,
                config.tokens,
                max_entries=config.cache.local_max_entries,
                ttl=config.cache.ttl,
            )
            self.verifier = self.authenticator.verifier
        except BaseException:
            if self.reloader is not None:
                self.reloader.stop()  # releases the store connection it may hold
            raise
        self.clock = clock or SystemClock()
        self.audit = audit
        if shared_cache is None and config.cache.redis_url is not None:
            from jurisgate.adapters.redis_cache import RedisDecisionCache

            shared_cache = RedisDecisionCache.from_settings(config.cache, clock=self.clock)
        self.tiers = DecisionTiers(
            local_max_entries=config.cache.local_max_entries,
            ttl=config.cache.ttl,
            shared=shared_cache,
        )
        self.shared_cache = shared_cache
        self.decisions: LruTtlCache[DecisionKey, Decision] = self.tiers.local
        self.tokens = self.authenticator.tokens
        self.warm = WarmRequests(config.cache.local_max_entries)
        self._audit_refusals = 0  # requests refused because their record could not be kept
        self._audit_warned = -math.inf
        for observer in self.audit.observers:  # GateMetrics also reports cache/reload state
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
        try:
            now = self._now()
            key = request_key(scope) if kind == "http" else None
            remembered = None if key is None else self.warm.get(key, self.engine, now)
            if remembered is not None:
                self.audit.replay(remembered, decision_id, started)
                refusal = admit(
                    scope,
                    remembered.principal,
                    remembered.decision,
                    decision_id,
                    self.config.blocked_by,
                )
            else:
                refusal = await full_check(self, scope, decision_id, started, now, key)
        except AuditUnavailable as exc:  # a request that cannot be recorded is not served
            self._audit_refusals += 1
            if self._audit_refusals == 1 or time.monotonic() - self._audit_warned >= 10.0:
                self._audit_warned = time.monotonic()  # one line per 10 s, not per request
                logger.error("refusing requests: %s (%d so far)", exc, self._audit_refusals)
            denied = Decision("deny", 403, None, None, self.engine.version)
            refusal = decision_problem(denied, decision_id, code="audit_unavailable")
        except Exception:  # a bug on the gate's path denies; it never lets the request through
            logger.exception("jurisgate failed while deciding; denying")
            denied = Decision("deny", 403, None, None, self.engine.version)
            refusal = decision_problem(denied, decision_id, code="gate_error")
        if refusal is not None:
            await refuse(scope, send, refusal, decision_id)
            return
        # Straight into the app, not through a coroutine of ours: each await layer costs on
        # every request.
        await self.app(
            scope, receive, with_decision_id(send, decision_id) if kind == "http" else send
        )

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
        from .health import gate_health

        return gate_health(self)
