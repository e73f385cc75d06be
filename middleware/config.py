"""Read and validate jurisgate.toml once, at start-up.

Every key is known: an unknown key or a wrong value stops the app with a message that names
the key and the file, because a misspelt ``audiance`` silently ignored is a hole.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from .audit_config import parse_audit
from .audit_subjects import AuditSettings
from .config_table import Table, build, is_link_target, resolve_path
from .errors import ConfigError
from .issuer_config import parse_issuer, production_marks
from .tokens import TokenPolicy, TrustedIssuer

__all__ = ["CONFIG_ENV", "CacheSettings", "GateConfig", "PolicySettings", "load_config"]

CONFIG_ENV: Final = "JURISGATE_CONFIG"
MANIFEST_NAME: Final = "policy-manifest.json"
_TABLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Where the policy lives: model and policy files, or a model file and a PostgreSQL store
    (``store`` is a libpq DSN); all None means the bundled settlement pack."""

    model: Path | None = None
    policy: Path | None = None
    # Seconds between checks of the policy files (or store) for a change; 0 stops watching.
    watch_interval: float = 1.0
    store: str | None = field(default=None, repr=False)  # the DSN may hold a password
    store_table: str = "jurisgate_policy"
    # The published-set manifest (policy_manifest.py); defaults to policy-manifest.json beside
    # the policy file (with a store: beside the model file).
    manifest: Path | None = None
    # Apply only a published policy set; None = required whenever the files are watched.
    require_manifest: bool | None = None

    @property
    def manifest_path(self) -> Path | None:
        """Where the manifest is (None for the bundled pack)."""
        if self.manifest is not None:
            return self.manifest
        beside = self.policy if self.policy is not None else self.model
        return beside.parent / MANIFEST_NAME if beside is not None else None

    @property
    def manifest_required(self) -> bool:
        """Whether the gate applies only files that a manifest records (at start-up too)."""
        if self.require_manifest is not None:
            return self.require_manifest
        return self.model is not None and self.watch_interval > 0

    def __post_init__(self) -> None:
        if not (self.watch_interval == 0 or 0.05 <= self.watch_interval <= 3600):
            raise ValueError("watch_interval must be 0 (off) or between 0.05 and 3600 seconds")
        if self.store is not None:
            if not self.store.startswith(("postgresql://", "postgres://")):
                raise ValueError("store must be a postgresql:// URL")
            if self.model is None or self.policy is not None:
                raise ValueError("store needs model (a file) and no policy file")
        elif (self.model is None) != (self.policy is None):
            # Half a policy must not quietly become the bundled pack.
            raise ValueError("model and policy go together (neither means the bundled pack)")
        if not _TABLE_NAME.fullmatch(self.store_table):
            raise ValueError("store_table must be 1-63 lower-case letters, digits or '_'")
        if self.model is None and (self.require_manifest or self.manifest is not None):
            raise ValueError("manifest and require_manifest need policy files or a store")


@dataclass(frozen=True, slots=True)
class CacheSettings:
    redis_url: str | None = None
    local_max_entries: int = 10_000
    ttl: float = 300.0
    # The shared (Redis) tier; see adapters/redis_cache.py and the README.
    key_prefix: str = "jurisgate:"
    secret: str | None = field(default=None, repr=False)  # MAC key shared by the replicas
    secret_env: str = "JURISGATE_CACHE_SECRET"  # noqa: S105 - a variable name; read when no secret
    socket_timeout: float = 0.05
    breaker_failures: int = 3
    breaker_cooldown: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.local_max_entries <= 10_000_000:
            raise ValueError("local_max_entries must be between 0 and 10000000")
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


@dataclass(frozen=True, slots=True)
class GateConfig:
    issuers: tuple[TrustedIssuer, ...]
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    policy: PolicySettings = field(default_factory=PolicySettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    blocked_by: str | None = None
    origin: str = "<keyword options>"
    audit: AuditSettings = field(default_factory=AuditSettings)
    production_issuers: frozenset[str] = frozenset()  # `token mint` refuses these and their keys


def load_config(path: str | os.PathLike[str] | None = None) -> GateConfig:
    """Load ``path``, or the file named by $JURISGATE_CONFIG. Raises ConfigError."""
    if path is None:
        path = os.environ.get(CONFIG_ENV)
        if not path:
            raise ConfigError(f"no configuration: pass config=... or set ${CONFIG_ENV}")
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
    return _parse(data, file)


def _parse(data: dict[str, Any], file: Path) -> GateConfig:
    root = Table(
        data, "(top level)", file, ("issuers", "tokens", "policy", "cache", "responses", "audit")
    )
    base = file.parent
    raw_issuers = root.get("issuers", list, required=True)
    if not raw_issuers:
        raise root.error("issuers", "needs at least one [[issuers]] table")
    production = production_marks(raw_issuers, file)
    issuers = tuple(parse_issuer(item, i, base, file) for i, item in enumerate(raw_issuers))
    if len({issuer.issuer for issuer in issuers}) != len(issuers):
        raise ConfigError(f"{file}: the same issuer appears twice in [[issuers]]")

    tokens = Table(
        root.get("tokens", dict, {}), "tokens", file, ("leeway", "max_bytes", "max_lifetime")
    )
    token_policy = build(
        tokens,
        lambda: TokenPolicy(
            leeway=tokens.get("leeway", float, 30.0),
            max_bytes=tokens.get("max_bytes", int, 8192),
            max_lifetime=tokens.get("max_lifetime", float, 86400.0),
        ),
    )

    policy_table = Table(
        root.get("policy", dict, {}),
        "policy",
        file,
        (
            "model",
            "policy",
            "watch_interval",
            "store",
            "store_table",
            "manifest",
            "require_manifest",
        ),
    )
    model = policy_table.get("model", str)
    policy = policy_table.get("policy", str)
    store = policy_table.get("store", str)
    if store is not None:
        if policy is not None:
            raise policy_table.error("policy", "cannot be set with store (the rows live there)")
        if model is None:
            raise policy_table.error("model", "is required with store (the model stays a file)")
    elif (model is None) != (policy is None):
        raise policy_table.error(
            "model" if model is None else "policy", "is required when the other one is set"
        )
    manifest = policy_table.get("manifest", str)
    for key, value in (("model", model), ("policy", policy), ("manifest", manifest)):
        if value is not None and not value.strip():
            raise policy_table.error(key, "must not be empty (omit [policy] for the bundled pack)")
    policy_settings = build(
        policy_table,
        lambda: PolicySettings(
            model=resolve_path(base, model) if model is not None else None,
            policy=resolve_path(base, policy) if policy is not None else None,
            watch_interval=policy_table.get("watch_interval", float, 1.0),
            store=store,
            store_table=policy_table.get("store_table", str, "jurisgate_policy"),
            manifest=resolve_path(base, manifest) if manifest is not None else None,
            require_manifest=policy_table.get("require_manifest", bool),
        ),
    )

    cache = Table(
        root.get("cache", dict, {}),
        "cache",
        file,
        (
            "redis_url",
            "local_max_entries",
            "ttl",
            "key_prefix",
            "secret",
            "secret_env",
            "socket_timeout",
            "breaker_failures",
            "breaker_cooldown",
        ),
    )
    redis_url = cache.get("redis_url", str)
    if redis_url is not None:
        cache.check(
            "redis_url",
            redis_url,
            lambda u: u.startswith(("redis://", "rediss://", "unix://")),
            "must start with redis://, rediss:// or unix://",
        )
    cache_settings = build(
        cache,
        lambda: CacheSettings(
            redis_url=redis_url,
            local_max_entries=cache.get("local_max_entries", int, 10_000),
            ttl=cache.get("ttl", float, 300.0),
            key_prefix=cache.get("key_prefix", str, "jurisgate:"),
            secret=cache.get("secret", str),
            secret_env=cache.get("secret_env", str, "JURISGATE_CACHE_SECRET"),
            socket_timeout=cache.get("socket_timeout", float, 0.05),
            breaker_failures=cache.get("breaker_failures", int, 3),
            breaker_cooldown=cache.get("breaker_cooldown", float, 5.0),
        ),
    )

    responses = Table(root.get("responses", dict, {}), "responses", file, ("blocked_by",))
    blocked_by = responses.get("blocked_by", str)
    if blocked_by is not None:
        responses.check("blocked_by", blocked_by, is_link_target, "must be an http(s) URL")
    responses.finish()
    audit = parse_audit(root.get("audit", dict, {}), base, file)
    root.finish()
    return GateConfig(
        issuers,
        token_policy,
        policy_settings,
        cache_settings,
        blocked_by,
        str(file),
        audit,
        production,
    )
