"""Build a policy engine from wherever the configuration says the policy lives: files, a
PostgreSQL store, or (when nothing is configured) the bundled settlement pack."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from .config import PolicySettings
from .engine import PolicyEngine
from .errors import PolicyError
from .store import PolicyStore, load_from_store, open_store

__all__ = ["PolicyFiles", "engine_for", "load_engine", "policy_files"]


@dataclass(frozen=True, slots=True)
class PolicyFiles:
    """A model and a policy file, with the names admins see in messages (``file:line``)."""

    model: Path | Traversable
    policy: Path | Traversable
    model_origin: str
    policy_origin: str


def policy_files(settings: PolicySettings) -> PolicyFiles:
    """The files ``settings`` name, or the bundled settlement pack when they name nothing.
    Raises PolicyError for a store (its rows are no file) or for half a policy: neither may
    quietly become the bundled pack."""
    from jurisgate.policies import DEFAULT_PACK, pack_files

    if settings.store is not None:
        raise PolicyError("the policy is kept in a [policy] store, not in a file")
    if settings.model is not None and settings.policy is not None:
        return PolicyFiles(
            settings.model, settings.policy, str(settings.model), str(settings.policy)
        )
    if settings.model is not None or settings.policy is not None:
        raise PolicyError("the policy settings name part of a policy; refusing to guess the rest")
    model, policy = pack_files(reading=settings.bundled_reading)
    return PolicyFiles(
        model, policy, f"bundled:{DEFAULT_PACK}/model.conf", f"bundled:{DEFAULT_PACK}/{policy.name}"
    )


def engine_for(files: PolicyFiles) -> PolicyEngine:
    """Load and compile a policy from files; raises PolicyError at the first problem."""
    # Imported here: jurisgate.adapters imports jurisgate.middleware, not the other way round.
    from jurisgate.adapters.policy_files import load_policy_files

    return PolicyEngine(
        load_policy_files(
            files.model,
            files.policy,
            model_origin=files.model_origin,
            policy_origin=files.policy_origin,
        )
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
