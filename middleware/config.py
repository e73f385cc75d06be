"""Read and validate jurisgate.toml once, at start-up.

Every key is known: an unknown key or a wrong value stops the app with a message that names
the key and the file, because a misspelt ``audiance`` silently ignored is a hole.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from .audit_subjects import SUBJECT_MODES, AuditSettings, SubjectMode
from .authority import IssuerAuthority
from .errors import ConfigError
from .keys import JwksKeys
from .tokens import TokenPolicy, TrustedIssuer

__all__ = ["CONFIG_ENV", "CacheSettings", "GateConfig", "PolicySettings", "load_config"]

CONFIG_ENV: Final = "JURISGATE_CONFIG"
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


class _Table:
    """One TOML table being read; remembers which keys were used so the rest can be refused."""

    def __init__(self, data: object, where: str, file: Path, keys: Collection[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: {where} must be a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.file = file
        self.used: set[str] = set()
        # Unknown keys first: a misspelt "audiance" must be named, not reported as a missing
        # "audience".
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise ConfigError(f"{file}: unknown key {where}.{unknown[0]}")

    def get(
        self, key: str, kind: type[T], default: T | None = None, *, required: bool = False
    ) -> T:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "is required")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(key, f"must be a {kind.__name__}, not {type(value).__name__}")
        return value

    def check(self, key: str, value: T, test: Callable[[T], bool], message: str) -> T:
        if not test(value):
            raise self.error(key, message)
        return value

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where}.{key} {message}")

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.file}: unknown key {self.where}.{unknown[0]}")


def _parse(data: dict[str, Any], file: Path) -> GateConfig:
    root = _Table(
        data, "(top level)", file, ("issuers", "tokens", "policy", "cache", "responses", "audit")
    )
    base = file.parent
    raw_issuers = root.get("issuers", list, required=True)
    if not raw_issuers:
        raise root.error("issuers", "needs at least one [[issuers]] table")
    production = _production_marks(raw_issuers, file)
    issuers = tuple(_issuer(item, i, base, file) for i, item in enumerate(raw_issuers))
    if len({issuer.issuer for issuer in issuers}) != len(issuers):
        raise ConfigError(f"{file}: the same issuer appears twice in [[issuers]]")

    tokens = _Table(
        root.get("tokens", dict, {}), "tokens", file, ("leeway", "max_bytes", "max_lifetime")
    )
    token_policy = _build(
        tokens,
        lambda: TokenPolicy(
            leeway=tokens.get("leeway", float, 30.0),
            max_bytes=tokens.get("max_bytes", int, 8192),
            max_lifetime=tokens.get("max_lifetime", float, 86400.0),
        ),
    )

    policy_table = _Table(
        root.get("policy", dict, {}),
        "policy",
        file,
        ("model", "policy", "watch_interval", "store", "store_table"),
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
    for key, value in (("model", model), ("policy", policy)):
        if value is not None and not value.strip():
            raise policy_table.error(key, "must not be empty (omit [policy] for the bundled pack)")
    policy_settings = _build(
        policy_table,
        lambda: PolicySettings(
            model=_path(base, model) if model is not None else None,
            policy=_path(base, policy) if policy is not None else None,
            watch_interval=policy_table.get("watch_interval", float, 1.0),
            store=store,
            store_table=policy_table.get("store_table", str, "jurisgate_policy"),
        ),
    )

    cache = _Table(
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
    cache_settings = _build(
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

    responses = _Table(root.get("responses", dict, {}), "responses", file, ("blocked_by",))
    blocked_by = responses.get("blocked_by", str)
    if blocked_by is not None:
        responses.check("blocked_by", blocked_by, _is_link_target, "must be an http(s) URL")
    responses.finish()
    audit_table = _Table(root.get("audit", dict, {}), "audit", file, _AUDIT_KEYS)
    audit = _audit(audit_table, base)
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


def _production_marks(raw_issuers: list[Any], file: Path) -> frozenset[str]:
    """Issuers marked ``production = true`` (``jurisgate token mint`` refuses them and their
    keys). Read and removed here: it says how a key may be used, not how tokens verify."""
    marked: set[str] = set()
    for index, item in enumerate(raw_issuers):
        if not isinstance(item, dict) or "production" not in item:
            continue
        value = item.pop("production")
        if not isinstance(value, bool):
            raise ConfigError(f"{file}: issuers[{index}].production must be true or false")
        if value and isinstance(item.get("issuer"), str):
            marked.add(item["issuer"])
    return frozenset(marked)


_AUDIT_KEYS: Final = ("subject", "subject_key_file")


def _audit(table: _Table, base: Path) -> AuditSettings:
    """``[audit]``: ``subject`` = raw (default), hash or omit; hash needs ``subject_key_file``."""
    mode = table.get("subject", str, "raw")
    key_name = table.get("subject_key_file", str)
    key = None
    if key_name is not None:
        key_file = _path(base, key_name)
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise table.error(
                "subject_key_file", f"cannot be read: {key_file} ({exc.strerror})"
            ) from exc
    if mode not in SUBJECT_MODES:
        raise table.error("subject", f"must be raw, hash or omit, not {mode!r}")
    return _build(table, lambda: AuditSettings(cast(SubjectMode, mode), key))


def _issuer(data: object, index: int, base: Path, file: Path) -> TrustedIssuer:
    table = _Table(
        data,
        f"issuers[{index}]",
        file,
        (
            "issuer",
            "audience",
            "algorithms",
            "public_key_file",
            "jwks_file",
            "jwks_url",
            "jwks_cache_ttl",
            "jwks_min_refresh",
            "required_typ",
            "entity_types",
            "countries",
            "regions",
        ),
    )
    issuer = table.get("issuer", str, required=True)
    audience = table.get("audience", str, required=True)
    algorithms = table.get("algorithms", list, required=True)
    if not algorithms or not all(isinstance(a, str) for a in algorithms):
        raise table.error("algorithms", "must be a non-empty list of algorithm names")
    sources = [k for k in ("public_key_file", "jwks_file", "jwks_url") if k in table.data]
    if len(sources) != 1:
        raise table.error("public_key_file", "or jwks_file or jwks_url: exactly one is required")
    key: bytes | None = None
    jwks: JwksKeys | None = None
    if sources[0] == "public_key_file":
        key = _read_key(table, base, algorithms)
    else:
        jwks = _jwks(table, base, tuple(algorithms))
    required_typ = table.get("required_typ", str)
    authority = _authority(table)
    return _build(
        table,
        lambda: TrustedIssuer(
            issuer,
            audience,
            tuple(algorithms),
            key,
            required_typ=required_typ,
            authority=authority,
            jwks=jwks,
        ),
    )


def _read_key(table: _Table, base: Path, algorithms: list[str]) -> bytes:
    key_file = _path(base, table.get("public_key_file", str, required=True))
    try:
        key = key_file.read_bytes()
    except OSError as exc:
        raise table.error(
            "public_key_file", f"cannot be read: {key_file} ({exc.strerror})"
        ) from exc
    if any(alg.startswith("HS") for alg in algorithms):
        key = key.strip()
    elif b"PRIVATE KEY" in key:
        raise table.error("public_key_file", "holds a private key; give the public key only")
    return key


def _jwks(table: _Table, base: Path, algorithms: tuple[str, ...]) -> JwksKeys:
    url = table.get("jwks_url", str)
    file = table.get("jwks_file", str)
    if url is not None:
        table.check("jwks_url", url, _is_link_target, "must be an http(s) URL")
    try:
        return JwksKeys(
            algorithms=algorithms,
            url=url,
            file=_path(base, file) if file is not None else None,
            cache_ttl=table.get("jwks_cache_ttl", float, 300.0),
            min_refresh_interval=table.get("jwks_min_refresh", float, 30.0),
        )
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc


def _authority(table: _Table) -> IssuerAuthority:
    limits: dict[str, list[str] | None] = {}
    for name in ("entity_types", "countries", "regions"):
        values = table.get(name, list)
        if values is not None and (not values or not all(isinstance(v, str) for v in values)):
            raise table.error(name, "must be a non-empty list of strings")
        limits[name] = values
    try:
        return IssuerAuthority.limit(**limits)
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc


def _build(table: _Table, make: Callable[[], T]) -> T:
    try:
        value = make()
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc
    table.finish()
    return value


def _path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _is_link_target(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(c in url for c in '<>" \t\r\n')
