"""The factory: the one place that turns a configuration into concrete adapters.

The core (``jurisgate.middleware``) defines the interfaces (``DecisionCache``, ``PolicyStore``,
``Announcer``) and never imports an adapter module. ``jurisgate.middleware.gate`` is the
composition root: its config path calls this module for the shared decision tier (Redis), the
policy store (PostgreSQL), the reload announcer (Redis pub/sub) and the policy reloader; the
admin commands call it for theirs. ``[cache]`` becomes a RedisTarget (one server, a cluster,
or the primary Sentinel names) here only; ``redis_connect`` turns a target into redis-py
clients. Optional drivers are imported only when configured, so psycopg stays an extra and an
app without Redis never imports redis.asyncio.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jurisgate.middleware.cache.lru import DecisionCache
from jurisgate.middleware.clock import Clock
from jurisgate.middleware.config.cache_config import CacheSettings
from jurisgate.middleware.config.gate_config import GateConfig, PolicySettings
from jurisgate.middleware.config.loading import engine_for, engine_from_text, policy_files
from jurisgate.middleware.config.policy_in_force import PolicyInForce, policy_in_force
from jurisgate.middleware.config.policy_manifest import read_published
from jurisgate.middleware.config.redis_topology import sentinel_address
from jurisgate.middleware.config.reload import PolicyReloader, file_fingerprint
from jurisgate.middleware.config.store import PolicyStore, connect_timeout, load_from_store
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.errors import ConfigError, PolicyError
from jurisgate.middleware.results.packs import ItemSettings
from jurisgate.middleware.startup import startup_problems

if TYPE_CHECKING:
    from .redis_connect import RedisTarget
    from .redis_pubsub import RedisAnnouncer

__all__ = [
    "PolicyWatch",
    "announcer",
    "check_startup",
    "load_enforced_engine",
    "load_enforced_policy",
    "load_engine",
    "open_store",
    "policy_reloader",
    "policy_watch",
    "redis_target",
    "shared_cache",
]

logger = logging.getLogger("jurisgate.reload")


def open_store(settings: PolicySettings) -> PolicyStore:
    """The store that ``[policy] store`` names (connections are opened on first use)."""
    if settings.store is None:
        raise PolicyError("no policy store is configured ([policy] store)")
    try:
        from .postgres_store import PostgresPolicyStore
    except ImportError as exc:
        raise PolicyError(
            f"[policy] store needs the PostgreSQL driver: pip install 'jurisgate[postgres]' ({exc})"
        ) from exc
    return PostgresPolicyStore(
        settings.store, table=settings.store_table, timeout=settings.store_timeout
    )


def load_engine(settings: PolicySettings, *, store: PolicyStore | None = None) -> PolicyEngine:
    """Build an engine from configured policy files, a PostgreSQL store (``store`` reuses an
    open one, else one is opened and closed), or the bundled settlement pack."""
    if settings.store is not None and settings.model is not None:
        if store is not None:
            return PolicyEngine(load_from_store(settings.model, store))
        with contextlib.closing(open_store(settings)) as opened:
            return PolicyEngine(load_from_store(settings.model, opened))
    return engine_for(policy_files(settings))


def load_enforced_engine(
    settings: PolicySettings, *, store: PolicyStore | None = None
) -> PolicyEngine:
    """The engine the gate may apply: as ``load_engine``, but with ``manifest_required`` built
    only from files that match the published manifest (PolicyNotPublished otherwise)."""
    return _enforced(settings, (), store)[0]


def load_enforced_policy(
    settings: PolicySettings, items: ItemSettings, *, store: PolicyStore | None = None
) -> PolicyInForce:
    """What the gate puts in force, at start-up and on each reload: the enforced engine and the
    item rules of its rows and ``[items]``, from one read (with a manifest, the ``[items]
    files`` must be published with the policy files). PolicyError when either is invalid."""
    engine, texts = _enforced(settings, items.files, store)
    return policy_in_force(engine, items, texts=texts)


def _enforced(
    settings: PolicySettings, extra: Sequence[Path], store: PolicyStore | None
) -> tuple[PolicyEngine, dict[Path, str] | None]:
    """The enforced engine, and the texts of ``extra`` files read and checked against the same
    manifest (None without one: they are read when used)."""
    manifest = settings.manifest_path
    if not settings.manifest_required or manifest is None or settings.model is None:
        return load_engine(settings, store=store), None
    model, policy = settings.model, settings.policy
    texts = read_published(manifest, (model, *(() if policy is None else (policy,)), *extra))
    extra_texts = {file: texts[file] for file in extra}
    if policy is not None:
        engine = engine_from_text(texts[model], str(model), texts[policy], str(policy))
        return engine, extra_texts
    if store is not None:
        rows = store.load_rows()
        return PolicyEngine(PolicySource(texts[model], rows, str(model), store.origin)), extra_texts
    with contextlib.closing(open_store(settings)) as opened:
        rows = opened.load_rows()
        source = PolicySource(texts[model], rows, str(model), opened.origin)
        return PolicyEngine(source), extra_texts


def redis_target(settings: CacheSettings) -> RedisTarget | None:
    """Where ``[cache]`` says Redis is (one server, a cluster, or the primary its sentinels
    name); None without Redis. ConfigError when a named password variable is unset."""
    if not settings.uses_redis:
        return None
    from .redis_connect import RedisTarget

    return RedisTarget(
        url=settings.redis_url,
        cluster=settings.cluster,
        sentinels=tuple(sentinel_address(entry) for entry in settings.sentinels),
        service=settings.sentinel_service,
        username=settings.username,
        password=_from_env("password_env", settings.password_env),
        sentinel_username=settings.sentinel_username,
        sentinel_password=_from_env("sentinel_password_env", settings.sentinel_password_env),
    )


def check_startup(
    config: GateConfig,
    *,
    engine: PolicyEngine | None = None,
    shared_tier: bool = True,
    audit_file: bool = True,
) -> tuple[PolicyInForce | None, list[str]]:
    """The gate's start-up checks (middleware/startup.py) with the adapters the gate uses: the
    enforced policy and its item rules, the shared tier's secret and passwords. ``jurisgate
    lint --config`` runs exactly this too."""

    def check_shared_tier(settings: CacheSettings) -> None:
        if redis_target(settings) is not None:
            from .redis_cache import resolve_secret

            resolve_secret(settings)

    return startup_problems(
        config,
        engine=engine,
        load_policy=lambda loaded: load_enforced_policy(loaded.policy, loaded.items),
        check_shared_tier=check_shared_tier if shared_tier else None,
        audit_file=audit_file,
    )


def shared_cache(settings: CacheSettings, clock: Clock) -> DecisionCache | None:
    """The shared decision tier on the Redis ``[cache]`` names; None without one. ConfigError
    without the MAC secret or a named password."""
    target = redis_target(settings)
    if target is None:
        return None
    from .breaker import CircuitBreaker
    from .redis_cache import RedisDecisionCache, resolve_secret

    secret = resolve_secret(settings)
    return RedisDecisionCache(
        target.client(timeout=settings.socket_timeout),
        secret=secret,
        prefix=settings.key_prefix,
        timeout=settings.socket_timeout,
        max_ttl=settings.ttl,
        clock=clock,
        breaker=CircuitBreaker(
            "redis decision cache",
            failures=settings.breaker_failures,
            cooldown=settings.breaker_cooldown,
        ),
        reconnect=lambda: target.client(timeout=settings.socket_timeout),
    )


def announcer(settings: CacheSettings, *, timeout: float = 0.5) -> RedisAnnouncer | None:
    """Reload announcements on the ``<key_prefix>policy`` channel of the Redis ``[cache]``
    names; None without Redis (replicas then find a new policy at their next poll)."""
    target = redis_target(settings)
    if target is None:
        return None
    from .redis_pubsub import RedisAnnouncer

    return RedisAnnouncer(target, f"{settings.key_prefix}policy", timeout=timeout)


@dataclass(frozen=True, slots=True)
class PolicyWatch:
    """How the configured policy is followed: ``load`` reads what the gate puts in force
    (``load_enforced_policy``), ``fingerprint`` (blocking) changes when it may have, ``close``
    releases the store connection both share (None for files)."""

    load: Callable[[], PolicyInForce]
    fingerprint: Callable[[], Hashable]
    close: Callable[[], None] | None
    stalled_after: float  # seconds a poll may take before it counts as failing


def policy_watch(config: GateConfig) -> PolicyWatch | None:
    """How the gate's reloader (and ``IngestCheck``) follow the configured policy files or
    store and the ``[items] files``: with a manifest required, a publish is a change too.
    None for the bundled pack or when ``[policy] watch_interval`` is 0 (then the policy and
    the ``[items] files`` are read at start-up only)."""
    settings, items = config.policy, config.items
    model = settings.model
    if model is None or settings.watch_interval == 0:
        return None
    policy_file = settings.policy
    if policy_file is None and settings.store is None:
        return None
    # A publish (the manifest renamed into place) is a change to look at, like a file's.
    published = settings.manifest_path
    manifest = (published,) if published is not None and settings.manifest_required else ()
    if not manifest:
        logger.warning(
            "[policy] require_manifest = false: watched policy files are applied as read, so a "
            "file caught half-written can be applied; publish with `jurisgate policy publish`"
        )
    if policy_file is not None:
        watched = (model, policy_file, *items.files, *manifest)
        return PolicyWatch(
            load=lambda: load_enforced_policy(settings, items),
            fingerprint=lambda: file_fingerprint(watched),
            close=None,
            stalled_after=10.0,
        )
    store = open_store(settings)  # one connection for polling and loading, reopened on error
    return PolicyWatch(
        load=lambda: load_enforced_policy(settings, items, store=store),
        fingerprint=lambda: (
            file_fingerprint((model, *items.files, *manifest)),
            store.content_version(),
        ),
        close=store.close,
        # One poll is a connect (libpq: whole seconds, >= 2) and a query; longer is stuck.
        stalled_after=connect_timeout(settings.store_timeout) + settings.store_timeout + 1.0,
    )


def policy_reloader(
    config: GateConfig,
    *,
    current: Callable[[], PolicyInForce],
    swap: Callable[[PolicyInForce], None],
    confirm: Callable[[float], None] | None = None,
) -> PolicyReloader[PolicyInForce] | None:
    """The reloader for the configured policy files or store and the ``[items] files``
    (``policy_watch``), keeping ``current()`` in step through ``swap`` and telling ``confirm``
    when the store showed the policy current; None when nothing is watched."""
    watch = policy_watch(config)
    if watch is None:
        return None
    try:
        announcing = announcer(config.cache, timeout=1.0)
    except BaseException:
        if watch.close is not None:
            watch.close()
        raise
    return PolicyReloader(
        load=watch.load,
        current=current,
        swap=swap,
        fingerprint=watch.fingerprint,
        close=watch.close,
        interval=config.policy.watch_interval,
        stalled_after=watch.stalled_after,
        announcer=announcing,
        # Files are read where the gate runs: only a store's answers bound staleness.
        confirm=confirm if config.policy.store is not None else None,
    )


def _from_env(key: str, variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable, "")
    if not value:
        raise ConfigError(f"[cache] {key} names ${variable}, which is not set")
    return value
