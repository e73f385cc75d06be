"""Which policy reloader a gate gets: one that watches its policy files, or polls its
PostgreSQL store, swapping a new engine into the gate and clearing what the old one decided;
none for the bundled pack or with ``[policy] watch_interval = 0``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .config import GateConfig
from .engine import PolicyEngine
from .reload import Announcer, PolicyReloader, file_fingerprint

if TYPE_CHECKING:
    from .gate import JurisdictionMiddleware

__all__ = ["gate_reloader"]

logger = logging.getLogger("jurisgate.reload")


def gate_reloader(gate: JurisdictionMiddleware, config: GateConfig) -> PolicyReloader | None:
    """The reloader for a gate's configured policy files or store; None for the bundled pack or
    when ``[policy] watch_interval`` is 0."""
    settings = config.policy
    model = settings.model
    if model is None or settings.watch_interval == 0:
        return None
    policy_file = settings.policy
    if policy_file is None and settings.store is None:
        return None
    from .loading import load_enforced_engine

    announcer: Announcer | None = None
    if config.cache.redis_url is not None:
        from jurisgate.adapters.redis_pubsub import RedisAnnouncer

        channel = f"{config.cache.key_prefix}policy"
        announcer = RedisAnnouncer(config.cache.redis_url, channel, timeout=1.0)

    def swap(engine: PolicyEngine) -> None:
        gate.engine = engine
        gate.decisions.clear()  # old-version entries are unreachable anyway; free them
        gate.tiers.public.clear()
        gate.warm.clear()  # and the old engines they hold

    # A publish (the manifest renamed into place) is a change to look at, like a file's.
    published = settings.manifest_path
    manifest = (published,) if published is not None and settings.manifest_required else ()
    if not manifest:
        logger.warning(
            "[policy] require_manifest = false: watched policy files are applied as read, so a "
            "file caught half-written can be applied; publish with `jurisgate policy publish`"
        )
    if policy_file is not None:
        return PolicyReloader(
            load=lambda: load_enforced_engine(settings),
            current=lambda: gate.engine,
            swap=swap,
            paths=(model, policy_file, *manifest),
            interval=settings.watch_interval,
            announcer=announcer,
        )
    from .store import open_store

    store = open_store(settings)  # one connection for polling and loading, reopened on error
    return PolicyReloader(
        load=lambda: load_enforced_engine(settings, store=store),
        current=lambda: gate.engine,
        swap=swap,
        fingerprint=lambda: (file_fingerprint((model, *manifest)), store.content_version()),
        close=store.close,
        interval=settings.watch_interval,
        announcer=announcer,
    )
