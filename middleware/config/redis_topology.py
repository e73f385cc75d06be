"""How ``[cache]`` reaches Redis: one server, a cluster, or a primary that Sentinel names.

Only the checks live here (no Redis import): CacheSettings runs them for options given in code
and the config loader for jurisgate.toml, so both refuse the same combinations with a message
that names the key. The adapters' factory reads the keys into a target and
jurisgate.adapters.redis_connect builds its clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

__all__ = ["sentinel_address", "topology_problem"]


def sentinel_address(entry: str) -> tuple[str, int]:
    """``"host:port"`` (``"[::1]:26379"`` for IPv6) as a pair; ValueError when it is not one."""
    host, sep, port = entry.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or any(c in host for c in "/@ \t"):
        raise ValueError(f"{entry!r} is not host:port")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"{entry!r} has no valid port")
    return host, number


def topology_problem(
    *,
    redis_url: str | None,
    cluster: bool,
    sentinels: Sequence[str],
    sentinel_service: str | None,
    sentinel_credentials: Sequence[tuple[str, str | None]] = (),
) -> tuple[str, str] | None:
    """The first refused combination as ``(key, why)``, or None when the keys fit together.

    ``sentinel_credentials`` are the ``(key, value)`` pairs that only mean something with
    Sentinel (user names, password variables): with ``redis_url`` the URL carries them.
    """
    if sentinels:
        if redis_url is not None:
            return "sentinels", "cannot be set with redis_url (Sentinel names the primary)"
        if cluster:
            return "cluster", "cannot be set with sentinels (a cluster fails over by itself)"
        if sentinel_service is None or not sentinel_service.strip():
            return "sentinel_service", "is required with sentinels (the name they monitor)"
        for entry in sentinels:
            try:
                sentinel_address(entry)
            except ValueError as exc:
                return "sentinels", f"entries must be host:port ({exc})"
        if len(set(sentinels)) != len(sentinels):
            return "sentinels", "lists the same sentinel twice"
        return None
    if sentinel_service is not None:
        return "sentinel_service", "needs sentinels"
    for key, value in sentinel_credentials:
        if value is not None:
            return key, "is only used with sentinels (put credentials in redis_url)"
    if cluster:
        if redis_url is None:
            return "cluster", "needs redis_url (any node of the cluster)"
        if not redis_url.startswith(("redis://", "rediss://")):
            return "redis_url", "must be redis:// or rediss:// with cluster (no unix sockets)"
        if _database(redis_url) not in ("", "0"):
            return "redis_url", "must name database 0 (or none) with cluster"
    return None


def _database(url: str) -> str:
    """The database a redis:// URL selects, as redis-py reads it (query ``db`` wins)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query).get("db")
    return query[0] if query else parts.path.strip("/")
