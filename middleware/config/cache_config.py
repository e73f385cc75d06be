"""``[cache]``: the in-process tier's size and ttl, and the shared Redis tier (one server, a
cluster, or a Sentinel-managed primary; redis_topology.py), read into a CacheSettings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .redis_topology import topology_problem
from .table import Table, build

__all__ = ["CACHE_KEYS", "CacheSettings", "parse_cache"]

CACHE_KEYS: Final = (
    "redis_url",
    "local_max_entries",
    "local_max_bytes",
    "ttl",
    "key_prefix",
    "secret",
    "secret_env",
    "socket_timeout",
    "breaker_failures",
    "breaker_cooldown",
    "cluster",
    "sentinels",
    "sentinel_service",
    "username",
    "password_env",
    "sentinel_username",
    "sentinel_password_env",
)


@dataclass(frozen=True, slots=True)
class CacheSettings:
    redis_url: str | None = field(default=None, repr=False)  # the URL may hold a password
    local_max_entries: int = 10_000
    # Accounted bytes each in-process memory (decisions, public answers, verified tokens,
    # remembered requests) may hold, besides its entry count; see cache/lru.py.
    local_max_bytes: int = 16 * 1024 * 1024
    ttl: float = 300.0
    # The shared (Redis) tier; see adapters/redis_cache.py and the README.
    key_prefix: str = "jurisgate:"
    secret: str | None = field(default=None, repr=False)  # MAC key shared by the replicas
    secret_env: str = "JURISGATE_CACHE_SECRET"  # noqa: S105 - a variable name; read when no secret
    socket_timeout: float = 0.05
    breaker_failures: int = 3
    breaker_cooldown: float = 5.0
    # Beyond one Redis (redis_topology.py): redis_url is any node of a cluster, or Sentinel
    # names the primary instead; the credentials for Sentinel come from environment variables.
    cluster: bool = False
    sentinels: tuple[str, ...] = ()  # "host:port" of each sentinel
    sentinel_service: str | None = None
    username: str | None = None  # the primary's ACL user (with sentinels)
    password_env: str | None = None  # variable holding the primary's password
    sentinel_username: str | None = None
    sentinel_password_env: str | None = None  # variable holding the sentinels' password

    @property
    def uses_redis(self) -> bool:
        """True when the shared tier, the reload channel and their secret are configured."""
        return self.redis_url is not None or bool(self.sentinels)

    def sentinel_credentials(self) -> tuple[tuple[str, str | None], ...]:
        """The keys that only mean something with Sentinel, with their values."""
        return (
            ("username", self.username),
            ("password_env", self.password_env),
            ("sentinel_username", self.sentinel_username),
            ("sentinel_password_env", self.sentinel_password_env),
        )

    def __post_init__(self) -> None:
        if not isinstance(self.sentinels, tuple):  # a list given in code
            object.__setattr__(self, "sentinels", tuple(self.sentinels))
        problem = topology_problem(
            redis_url=self.redis_url,
            cluster=self.cluster,
            sentinels=self.sentinels,
            sentinel_service=self.sentinel_service,
            sentinel_credentials=self.sentinel_credentials(),
        )
        if problem is not None:
            raise ValueError(" ".join(problem))
        for key in ("password_env", "sentinel_password_env"):
            if getattr(self, key) == "":
                raise ValueError(f"{key} must name an environment variable")
        if not 0 <= self.local_max_entries <= 10_000_000:
            raise ValueError("local_max_entries must be between 0 and 10000000")
        if not 65_536 <= self.local_max_bytes <= 1 << 36:
            raise ValueError("local_max_bytes must be between 65536 and 68719476736")
        if not 0 < self.ttl <= 86_400:
            raise ValueError("ttl must be between 0 and 86400 seconds")
        if not (0 < len(self.key_prefix) <= 64 and self.key_prefix.isascii()) or any(
            not c.isprintable() or c.isspace() for c in self.key_prefix
        ):
            raise ValueError("key_prefix must be 1 to 64 printable ASCII characters, no spaces")
        if self.secret is not None and len(self.secret.encode()) < 16:
            raise ValueError("secret must be at least 16 bytes")
        if not self.secret_env:
            raise ValueError("secret_env must name an environment variable")
        if not 0 < self.socket_timeout <= 5:
            raise ValueError("socket_timeout must be between 0 and 5 seconds")
        if not 1 <= self.breaker_failures <= 1000:
            raise ValueError("breaker_failures must be between 1 and 1000")
        if not 0 < self.breaker_cooldown <= 3600:
            raise ValueError("breaker_cooldown must be between 0 and 3600 seconds")


def parse_cache(data: object, file: Path) -> CacheSettings:
    """``[cache]`` of ``file``; a refused combination names the key (``cache.sentinels``)."""
    cache = Table(data, "cache", file, CACHE_KEYS)
    redis_url = cache.get("redis_url", str)
    if redis_url is not None:
        cache.check(
            "redis_url",
            redis_url,
            lambda u: u.startswith(("redis://", "rediss://", "unix://")),
            "must start with redis://, rediss:// or unix://",
        )
    sentinels = tuple(cache.get("sentinels", list, []))
    if "sentinels" in cache.data and not (sentinels and all(isinstance(e, str) for e in sentinels)):
        raise cache.error("sentinels", 'must be a non-empty list of "host:port" strings')
    cluster = cache.get("cluster", bool, False)
    service = cache.get("sentinel_service", str)
    username, password_env = cache.get("username", str), cache.get("password_env", str)
    sentinel_username = cache.get("sentinel_username", str)
    sentinel_password_env = cache.get("sentinel_password_env", str)
    problem = topology_problem(
        redis_url=redis_url,
        cluster=cluster,
        sentinels=sentinels,
        sentinel_service=service,
        sentinel_credentials=(
            ("username", username),
            ("password_env", password_env),
            ("sentinel_username", sentinel_username),
            ("sentinel_password_env", sentinel_password_env),
        ),
    )
    if problem is not None:
        raise cache.error(*problem)
    return build(
        cache,
        lambda: CacheSettings(
            redis_url=redis_url,
            local_max_entries=cache.get("local_max_entries", int, 10_000),
            local_max_bytes=cache.get("local_max_bytes", int, 16 * 1024 * 1024),
            ttl=cache.get("ttl", float, 300.0),
            key_prefix=cache.get("key_prefix", str, "jurisgate:"),
            secret=cache.get("secret", str),
            secret_env=cache.get("secret_env", str, "JURISGATE_CACHE_SECRET"),
            socket_timeout=cache.get("socket_timeout", float, 0.05),
            breaker_failures=cache.get("breaker_failures", int, 3),
            breaker_cooldown=cache.get("breaker_cooldown", float, 5.0),
            cluster=cluster,
            sentinels=sentinels,
            sentinel_service=service,
            username=username,
            password_env=password_env,
            sentinel_username=sentinel_username,
            sentinel_password_env=sentinel_password_env,
        ),
    )
