"""Policy reload announcements on a Redis channel, with a subscriber that reconnects.

Our own small pub/sub on ``redis.asyncio`` rather than ``casbin-redis-watcher`` (issue #3: its
1.3 delivers a replica's own updates, runs callbacks on its own thread, and its subscriber
thread dies for good when the connection drops).

A message is JSON ``{"version": ..., "replica": ...}``. It is only a hint: a replica that
hears it re-reads its *own* policy store, so a message forged by someone with Redis access can
make replicas re-read their policy, never load another one. After every (re)subscription the
listener reports ``None`` so the replica checks for changes it may have missed meanwhile.

Anyone who can publish on the channel can send anything, so a message is checked for size
(``MAX_MESSAGE_BYTES``) and nesting depth before it is parsed, and anything that is not such an
object is logged (its size, never its content) and dropped; the subscription stays up. The
Redis server bounds what a subscriber buffers (``client-output-buffer-limit pubsub``).

In a Redis Cluster the channel is a shard channel (SPUBLISH/SSUBSCRIBE, Redis >= 7.0): it
lives on the primary that owns its hash slot, so an announcement never crosses the bus to every
node. When that slot moves (a failover), the server unsubscribes us and we subscribe again on
the new owner. With Sentinel, the channel is on the current primary; a demoted primary closes
our connection and we reconnect through the sentinels.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError

from jurisgate.middleware.token.strict_json import bounded_loads

from .redis_cache import REDIS_ERRORS
from .redis_connect import RedisTarget

__all__ = ["MAX_MESSAGE_BYTES", "RedisAnnouncer"]

logger = logging.getLogger("jurisgate.reload")

_POLL: Final = 0.5  # seconds a read waits for a message before checking liveness again
_MAX_BACKOFF: Final = 1.0  # reconnect at least every second: replicas catch up within ~2 s
# A real announcement is ~60 bytes: {"version": 16 hex digits, "replica": 16 hex digits}.
MAX_MESSAGE_BYTES: Final = 1024
_MAX_VERSION_CHARS: Final = 128


class RedisAnnouncer:
    """Publishes and listens on ``channel`` (by default ``<key_prefix>policy``) of ``target``
    (a RedisTarget, or one server's URL).

    ``connected`` is true once subscribed and caught up, false after the connection failed.
    """

    def __init__(self, target: str | RedisTarget, channel: str, *, timeout: float = 0.5) -> None:
        self.target = RedisTarget(url=target) if isinstance(target, str) else target
        self.channel = channel
        self.timeout = timeout
        self.replica = secrets.token_hex(8)
        self.connected = False
        self.published = 0
        self.heard = 0

    async def publish(self, version: str) -> None:
        """Announce a reload; failures are logged (the others still poll their files)."""
        message = json.dumps({"version": version, "replica": self.replica})
        client = self.target.client(timeout=self.timeout)
        try:
            async with asyncio.timeout(self.timeout):
                if isinstance(client, AsyncRedisCluster):
                    await client.spublish(self.channel, message)
                else:
                    await client.publish(self.channel, message)
            self.published += 1
        except REDIS_ERRORS as exc:
            logger.warning("could not announce policy version %s on Redis: %s", version, exc)
        finally:
            await client.aclose()

    async def listen(self, on_change: Callable[[str | None], Awaitable[None]]) -> None:
        """Subscribe and report announcements forever, reconnecting after any failure."""
        backoff = 0.1
        while True:
            # No socket timeout: an idle subscription is normal; reads are bounded by _POLL.
            client = self.target.client(timeout=None)
            # A cluster must let SUNSUBSCRIBE through (the slot moved); _checked_version skips it.
            pubsub = client.pubsub(ignore_subscribe_messages=not self.target.cluster)
            try:
                async with asyncio.timeout(max(self.timeout, 1.0)):
                    await _subscribe(pubsub, self.channel)
                await on_change(None)  # catch up on whatever was announced while away
                if not self.connected:
                    logger.info("listening for policy reloads on Redis channel %s", self.channel)
                self.connected = True
                backoff = 0.1
                while True:
                    message = await _next_message(pubsub)
                    version = self._checked_version(message)
                    if version is not None:
                        self.heard += 1
                        await on_change(version)
            except REDIS_ERRORS as exc:
                if self.connected:
                    logger.warning("policy reload channel lost (%s); reconnecting", exc)
                self.connected = False
            finally:
                with contextlib.suppress(*REDIS_ERRORS):  # already broken: nothing to release
                    await pubsub.aclose()
                with contextlib.suppress(*REDIS_ERRORS):
                    await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)

    def health(self) -> dict[str, object]:
        return {"channel": self.channel, "subscribed": self.connected, "heard": self.heard}

    def _checked_version(self, message: object) -> str | None:
        """The version another replica announced; None for our own, a non-message, or a
        message that is not an announcement (logged and dropped: never fatal to the listener)."""
        if not isinstance(message, dict) or message.get("type") not in ("message", "smessage"):
            return None
        data = message.get("data")
        size = len(data) if isinstance(data, bytes | str) else -1
        try:
            if not isinstance(data, bytes | str):
                raise ValueError("not a string")
            body = bounded_loads(data, max_bytes=MAX_MESSAGE_BYTES, max_depth=1)
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
            version, replica = body.get("version"), body.get("replica")
            if not isinstance(version, str) or not 0 < len(version) <= _MAX_VERSION_CHARS:
                raise ValueError("no version string")
        except Exception as exc:
            logger.warning(
                "dropping a malformed policy announcement on %s (%d bytes): %s",
                self.channel,
                size,
                str(exc)[:100],
            )
            return None
        return None if replica == self.replica else version


async def _subscribe(pubsub: PubSub, channel: str) -> None:
    if isinstance(pubsub, ClusterPubSub):
        await pubsub.ssubscribe(channel)
    else:
        await pubsub.subscribe(channel)


async def _next_message(pubsub: PubSub) -> object:
    """The next message, None after ``_POLL`` seconds without one; raises when the server
    unsubscribed us (in a cluster: the channel's slot moved to another primary)."""
    if not isinstance(pubsub, ClusterPubSub):
        return await pubsub.get_message(timeout=_POLL)
    message = await pubsub.get_sharded_message(ignore_subscribe_messages=False, timeout=_POLL)
    if isinstance(message, dict) and message.get("type") == "sunsubscribe":
        raise RedisConnectionError("the shard channel's slot moved")
    return message
