"""Build a policy engine from wherever the configuration says the policy lives."""

from __future__ import annotations

import contextlib

from .config import PolicySettings
from .engine import PolicyEngine
from .errors import PolicyError
from .store import PolicyStore, load_from_store, open_store

__all__ = ["load_engine"]


def load_engine(settings: PolicySettings, *, store: PolicyStore | None = None) -> PolicyEngine:
    """Build an engine from configured policy files, a PostgreSQL store (``store`` reuses an
    open one, else one is opened and closed), or the bundled settlement pack."""
    # Imported here: jurisgate.adapters imports jurisgate.middleware, not the other way round.
    from jurisgate.adapters.policy_files import load_policy_files
    from jurisgate.policies import DEFAULT_PACK, pack_files

    if settings.store is not None and settings.model is not None:
        if store is not None:
            return PolicyEngine(load_from_store(settings.model, store))
        with contextlib.closing(open_store(settings)) as opened:
            return PolicyEngine(load_from_store(settings.model, opened))
    if settings.model is not None and settings.policy is not None:
        return PolicyEngine(load_policy_files(settings.model, settings.policy))
    if settings.model is not None or settings.policy is not None or settings.store is not None:
        raise PolicyError("the policy settings name part of a policy; refusing to guess the rest")
    model, policy = pack_files()
    return PolicyEngine(
        load_policy_files(
            model,
            policy,
            model_origin=f"bundled:{DEFAULT_PACK}/model.conf",
            policy_origin=f"bundled:{DEFAULT_PACK}/policy.csv",
        )
    )
