"""Redis clients for one server, a cluster, or the primary that a group of sentinels names:
the one place that builds redis-py clients (``factory.redis_target`` reads ``[cache]`` into a
RedisTarget).

- One server: ``redis_url`` (``redis://``, ``rediss://``, ``unix://``; credentials in the URL).
- A cluster: ``redis_url`` is any node, ``cluster = true``; redis-py's RedisCluster finds the
  others, follows MOVED/ASK and re-reads the topology after a failover. The URL's credentials
  and TLS apply to every node.
- Sentinel: ``sentinels`` and ``sentinel_service``; redis-py asks the sentinels for the primary
  before each new connection and drops connections to a primary that was demoted. Passwords
  come from the environment variables that ``password_env`` (the primary) and
  ``sentinel_password_env`` (the sentinels) name, never from the file.

Async clients never retry (a failure is a miss for the decision tier) and time out after the
given seconds; the sync clients (audit stream) keep redis-py's own retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelConnectionPool as AsyncSentinelPool
from redis.backoff import NoBackoff
from redis.exceptions import ClusterDownError
from redis.sentinel import Sentinel, SentinelConnectionPool

__all__ = ["AsyncClient", "RedisTarget", "SyncClient", "ping", "redis_client"]

AsyncClient: TypeAlias = aioredis.Redis | AsyncRedisCluster
SyncClient: TypeAlias = redis.Redis | redis.RedisCluster


def redis_client(url: str, *, timeout: float | None) -> aioredis.Redis:
    """A client for one server's URL, whose calls time out after ``timeout`` seconds and are
    never retried."""
    return aioredis.Redis.from_url(url, **_async_options(timeout))


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Where Redis is: ``url`` (with ``cluster``: any node of the cluster), or ``sentinels``
    (``(host, port)`` pairs) and the ``service`` they monitor."""

    url: str | None = field(default=None, repr=False)  # may hold a password
    cluster: bool = False
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_username: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.url is None) == (not self.sentinels):
            raise ValueError("pass either url or sentinels")
        if self.sentinels and not self.service:
            raise ValueError("sentinels need a service name")

    def client(self, *, timeout: float | None) -> AsyncClient:
        """An asyncio client; calls time out after ``timeout`` seconds, never retried."""
        options = _async_options(timeout)
        if self.url is None:  # Sentinel (__post_init__)
            sentinel = AsyncSentinel(self.sentinels, sentinel_kwargs=self._sentinel_auth(options))
            primary: aioredis.Redis = sentinel.master_for(
                self.service or "", redis_class=_AsyncPrimary, **options, **self._primary_auth()
            )
            return primary
        if self.cluster:
            return AsyncRedisCluster.from_url(self.url, **options)
        return aioredis.Redis.from_url(self.url, **options)

    def sync_client(self, *, timeout: float) -> SyncClient:
        """A blocking client (for threads); calls time out after ``timeout`` seconds."""
        options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if self.url is None:
            sentinel = Sentinel(self.sentinels, sentinel_kwargs=self._sentinel_auth(options))
            primary: redis.Redis = sentinel.master_for(
                self.service or "", redis_class=_SyncPrimary, **options, **self._primary_auth()
            )
            return primary
        if self.cluster:
            return redis.RedisCluster.from_url(self.url, **options)
        return redis.Redis.from_url(self.url, **options)

    def _sentinel_auth(self, options: dict[str, Any]) -> dict[str, Any]:
        return {**options, "username": self.sentinel_username, "password": self.sentinel_password}

    def _primary_auth(self) -> dict[str, Any]:
        return {"username": self.username, "password": self.password}


async def ping(client: AsyncClient) -> None:
    """Raises unless Redis answers; in a cluster, unless every primary answers (each holds a
    share of the keys; a plain PING would only ask one node, which answers even while the
    cluster is down) and a node says the cluster is ``ok`` (a refreshed view of the nodes may
    already leave out a dead primary whose keys no one serves)."""
    if isinstance(client, AsyncRedisCluster):
        await client.ping(target_nodes=AsyncRedisCluster.PRIMARIES)
        info = await client.cluster_info(target_nodes=AsyncRedisCluster.RANDOM)
        if info.get("cluster_state") != "ok":
            raise ClusterDownError(f"cluster_state is {info.get('cluster_state')!r}")
    else:
        await client.ping()


class _AsyncPrimary(aioredis.Redis):
    """The primary's client, which also closes its connections to the sentinels."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = self.connection_pool
        if isinstance(pool, AsyncSentinelPool):
            for sentinel in pool.sentinel_manager.sentinels:
                await sentinel.aclose()


class _SyncPrimary(redis.Redis):
    def close(self) -> None:
        super().close()
        pool = self.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            for sentinel in pool.sentinel_manager.sentinels:
                sentinel.close()


def _async_options(timeout: float | None) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "client_name": "jurisgate",
    }
