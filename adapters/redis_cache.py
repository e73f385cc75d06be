"""The shared decision tier: a DecisionCache on Redis that costs speed when Redis fails, never
correctness.

- Keys are hashed canonical encodings of every input the decision reads (redis_codec.py),
  under a prefix (``jurisgate:`` by default); entries are MACed and refused when they do not
  verify, name another key or version, or have expired. A refused entry is a miss, logged.
- Every call is bounded by a short timeout (``socket_timeout``, 50 ms by default) and is not
  retried: a slow or dead Redis is a miss. A failure is never an answer.
- An entry never outlives the expiry the gate gives it (the policy's next rule change or the
  configured ttl, whichever is first): it is checked on read and set as the Redis TTL.
- After ``breaker_failures`` failures in a row the tier is skipped; a background task probes
  Redis every ``breaker_cooldown`` seconds and resumes using it once it answers (in a
  cluster: once every primary does).
- Every operation reads or writes one key, so in a cluster none spans two hash slots.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Callable
from typing import Final

from jurisgate.middleware.cache.lru import DecisionKey
from jurisgate.middleware.clock import Clock, SystemClock
from jurisgate.middleware.config.cache_config import CacheSettings
from jurisgate.middleware.decision.values import Decision
from jurisgate.middleware.errors import ConfigError
from jurisgate.middleware.third_party import errors_of

from .breaker import CircuitBreaker
from .redis_codec import EntryRejected, open_entry, redis_key, seal_entry
from .redis_connect import AsyncClient, ping, redis_client

__all__ = ["REDIS_ERRORS", "RedisDecisionCache", "redis_client", "resolve_secret"]

logger = logging.getLogger("jurisgate.cache")

# What a Redis call may raise when Redis is down, slow or unreachable: all of it is a miss.
REDIS_ERRORS: Final = errors_of("redis")


def resolve_secret(settings: CacheSettings) -> bytes:
    """The MAC secret from ``[cache] secret`` or the environment variable ``secret_env``."""
    secret = settings.secret or os.environ.get(settings.secret_env, "")
    if len(secret.encode()) < 16:
        key = "sentinels" if settings.sentinels else "redis_url"
        raise ConfigError(
            f"[cache] {key} needs a MAC secret shared by the replicas (at least 16 bytes): "
            f"set [cache] secret or ${settings.secret_env}"
        )
    return secret.encode()


class RedisDecisionCache:
    """Implements jurisgate.middleware.cache.lru.DecisionCache on ``redis.asyncio``.

    ``clock`` must be the gate's clock: entry expiries are instants on it.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        secret: bytes,
        prefix: str = "jurisgate:",
        timeout: float = 0.05,
        max_ttl: float = 300.0,
        clock: Clock | None = None,
        breaker: CircuitBreaker | None = None,
        reconnect: Callable[[], AsyncClient] | None = None,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("secret must be at least 16 bytes")
        if not 0 < timeout <= 5:
            raise ValueError("timeout must be between 0 and 5 seconds")
        self.client = client
        # redis.asyncio connections belong to one event loop; ``reconnect`` makes a client for
        # a new loop (test clients that run each request in a fresh loop).
        self._reconnect = reconnect
        self._loop: asyncio.AbstractEventLoop | None = None
        self.prefix = prefix
        self.timeout = timeout
        self.max_ttl = max_ttl
        self.breaker = breaker or CircuitBreaker("redis decision cache")
        self._secret = secret
        self._clock: Clock = clock or SystemClock()
        self._probe: asyncio.Task[None] | None = None
        self.counts = dict.fromkeys(("hits", "misses", "rejected", "errors", "skipped"), 0)

    async def get(self, key: DecisionKey, now: float) -> Decision | None:
        if not self.breaker.is_closed:
            self.counts["skipped"] += 1
            self._ensure_probe()
            return None
        name = redis_key(self.prefix, key)
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self._client().get(name)
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return None
        self.breaker.record_success()
        if raw is None:
            self.counts["misses"] += 1
            return None
        try:
            raw = raw if isinstance(raw, bytes) else str(raw).encode()
            decision = open_entry(self._secret, name, key[0], raw, now)
        except EntryRejected as exc:
            self.counts["rejected"] += 1
            # Expired entries are normal around a rule change; anything else is tampering,
            # a replica with another secret, or a bug.
            level = logging.DEBUG if exc.reason == "expired" else logging.WARNING
            logger.log(level, "refused shared cache entry %s (%s); deciding locally", name, exc)
            return None
        self.counts["hits"] += 1
        return decision

    async def set(self, key: DecisionKey, decision: Decision, expires_at: float) -> None:
        if not self.breaker.is_closed or decision.policy_version != key[0]:
            return
        expires_at = min(expires_at, decision.valid_until)
        ttl = min(expires_at - self._clock.now(), self.max_ttl)
        if not (math.isfinite(expires_at) and ttl > 0):
            return
        name = redis_key(self.prefix, key)
        entry = seal_entry(self._secret, name, decision, expires_at)
        try:
            async with asyncio.timeout(self.timeout):
                await self._client().set(name, entry, px=max(1, math.floor(ttl * 1000)))
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return
        self.breaker.record_success()

    def health(self) -> dict[str, object]:
        """The tier's state for a health endpoint: breaker state, last error, counters."""
        return {"tier": "redis", "prefix": self.prefix, **self.breaker.snapshot(), **self.counts}

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        await self.client.aclose()

    def _client(self) -> AsyncClient:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None and self._reconnect is not None:
                self.client = self._reconnect()  # the old loop's connections cannot be reused
            self._loop = loop
        return self.client

    def _failed(self, exc: BaseException) -> None:
        self.counts["errors"] += 1
        if self.breaker.record_failure(exc):
            self._ensure_probe()

    def _ensure_probe(self) -> None:
        # Also restarts a probe whose event loop went away while the breaker was open.
        loop = asyncio.get_running_loop()
        if self._probe is None or self._probe.done() or self._probe.get_loop() is not loop:
            self._probe = loop.create_task(self._recover())

    async def _recover(self) -> None:
        """Probe Redis every cooldown seconds while the breaker is open; close it on success."""
        while not self.breaker.is_closed:
            await asyncio.sleep(self.breaker.cooldown)
            try:
                async with asyncio.timeout(max(self.timeout, 0.5)):
                    await ping(self._client())
            except REDIS_ERRORS as exc:
                logger.debug("redis decision cache still unavailable (%s)", exc)
                continue
            self.breaker.close()
