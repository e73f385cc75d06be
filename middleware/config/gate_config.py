"""Read and validate jurisgate.toml once, at start-up.

Every key is known: an unknown key or a wrong value stops the app with a message that names
the key and the file, because a misspelt ``audiance`` silently ignored is a hole.

The ``[[issuers]]``, ``[cache]`` and ``[audit]`` tables have modules of their own
(``issuers.py``, ``cache_config.py``, ``audit/table.py``); ``[policy]`` and the top level are
read here.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast, get_args

from ..audit.settings import AuditSettings
from ..audit.table import parse_audit
from ..errors import ConfigError
from ..results.packs import ItemSettings
from ..results.routes import ResultRoute
from ..subjects.settings import SubjectsSettings
from ..token.verifier import TokenPolicy, TrustedIssuer
from .cache_config import CacheSettings, parse_cache
from .issuers import parse_issuer, production_marks
from .request_limits import RequestLimits, parse_requests
from .results_table import parse_items, parse_results
from .store import connect_timeout
from .subjects_table import parse_subjects
from .table import Table, build, is_link_target, resolve_path

__all__ = ["CONFIG_ENV", "CacheSettings", "GateConfig", "PolicySettings", "load_config"]

CONFIG_ENV: Final = "JURISGATE_CONFIG"
MANIFEST_NAME: Final = "policy-manifest.json"
_TABLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MAX_STALENESS_LIMIT: Final = 86400.0  # a day: past that, a bound protects nobody
# The default max_staleness, in checks of the store: two may fail at their full deadline (a
# restart, a fail-over) before a replica stops deciding on the third.
_CHECKS_BEFORE_STALE: Final = 3
T = TypeVar("T")
BundledReading = Literal["strict", "decree_text"]


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
    # Client-side deadline of one store call (connect, query, reading the answer), in seconds.
    store_timeout: float = 5.0
    # Which reading of the consent decree the bundled pack enforces (jurisgate.policies).
    bundled_reading: BundledReading = "strict"
    # The published-set manifest (policy_manifest.py); defaults to policy-manifest.json beside
    # the policy file (with a store: beside the model file).
    manifest: Path | None = None
    # Apply only a published policy set; None = required whenever the files are watched.
    require_manifest: bool | None = None
    # Seconds a replica may decide with a stored policy the store has not confirmed as
    # current; None = the default (see staleness_bound). A policy store only.
    max_staleness: float | None = None

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

    @property
    def store_check_bound(self) -> float:
        """The longest one check of a store can take, from the previous one: the poll
        interval, libpq's connect timeout and the call's own deadline (README, "A store that
        stops answering")."""
        return self.watch_interval + connect_timeout(self.store_timeout) + self.store_timeout

    @property
    def staleness_bound(self) -> float | None:
        """Seconds a replica may decide with a stored policy not confirmed as current (then
        503): ``max_staleness``, by default three checks of the store. None when nothing is
        bounded: policy files, the bundled pack, or a store read only at start-up."""
        if self.store is None or self.watch_interval == 0:
            return None
        if self.max_staleness is not None:
            return self.max_staleness
        return _CHECKS_BEFORE_STALE * self.store_check_bound

    def __post_init__(self) -> None:
        if self.bundled_reading not in get_args(BundledReading):
            raise ValueError("bundled_reading must be 'strict' or 'decree_text'")
        if self.bundled_reading != "strict" and (self.model is not None or self.store):
            # A reading of the bundled pack says nothing about your own files: refuse, so a
            # setting that would be ignored is never mistaken for one in force.
            raise ValueError("bundled_reading applies to the bundled pack only (no model)")
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
        if not 0.1 <= self.store_timeout <= 300:
            raise ValueError("store_timeout must be between 0.1 and 300 seconds")
        if self.model is None and (self.require_manifest or self.manifest is not None):
            raise ValueError("manifest and require_manifest need policy files or a store")
        if self.max_staleness is not None:
            self._check_max_staleness(self.max_staleness)

    def _check_max_staleness(self, seconds: float) -> None:
        if self.store is None:
            # Files are read where the gate runs; a bound that would be ignored is refused.
            raise ValueError("max_staleness applies to a policy store only (store = ...)")
        if self.watch_interval == 0:
            raise ValueError(
                "max_staleness needs watch_interval > 0 (a store read only at start-up is "
                "never confirmed again)"
            )
        lowest = self.store_check_bound
        if not (math.isfinite(seconds) and lowest < seconds <= _MAX_STALENESS_LIMIT):
            raise ValueError(
                "max_staleness must be more than one check of the store can take (watch_interval"
                f" + {connect_timeout(self.store_timeout)} + store_timeout = {lowest:g} s) and at"
                f" most {_MAX_STALENESS_LIMIT:g} seconds"
            )


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
    requests: RequestLimits = field(default_factory=RequestLimits)
    subjects: SubjectsSettings | None = None  # [subjects]: the data-subject registry, if any
    results: tuple[ResultRoute, ...] = ()  # [[results]]: routes whose answers list people
    items: ItemSettings = field(default_factory=ItemSettings)  # [items]: item rules in force


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
        data,
        "(top level)",
        file,
        (
            "issuers",
            "tokens",
            "policy",
            "cache",
            "responses",
            "audit",
            "requests",
            "subjects",
            "results",
            "items",
        ),
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
            "store_timeout",
            "manifest",
            "require_manifest",
            "bundled_reading",
            "max_staleness",
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
    reading = policy_table.get("bundled_reading", str, "strict")
    if reading not in get_args(BundledReading):
        raise policy_table.error("bundled_reading", "must be 'strict' or 'decree_text'")
    if reading != "strict" and (model is not None or store is not None):
        raise policy_table.error("bundled_reading", "applies to the bundled pack only (no model)")
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
            store_timeout=policy_table.get("store_timeout", float, 5.0),
            manifest=resolve_path(base, manifest) if manifest is not None else None,
            require_manifest=policy_table.get("require_manifest", bool),
            bundled_reading=cast(BundledReading, reading),
            max_staleness=policy_table.get("max_staleness", float),
        ),
    )

    cache_settings = parse_cache(root.get("cache", dict, {}), file)

    responses = Table(root.get("responses", dict, {}), "responses", file, ("blocked_by",))
    blocked_by = responses.get("blocked_by", str)
    if blocked_by is not None:
        responses.check("blocked_by", blocked_by, is_link_target, "must be an http(s) URL")
    responses.finish()
    audit = parse_audit(root.get("audit", dict, {}), base, file)
    requests = parse_requests(root.get("requests", dict, {}), file)
    raw_subjects = root.get("subjects", dict)
    subjects = parse_subjects(raw_subjects, base, file) if raw_subjects is not None else None
    results = parse_results(root.get("results", list, []), file)
    items = parse_items(root.get("items", dict, {}), base, file)
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
        requests,
        subjects,
        results,
        items,
    )
