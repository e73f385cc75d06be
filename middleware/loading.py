"""Build a policy engine from wherever the configuration says the policy lives: files, a
PostgreSQL store, or (when nothing is configured) the bundled settlement pack.

``load_engine`` reads the files as they are (what the admin commands check);
``load_enforced_engine`` is what the gate applies: when ``[policy]`` requires a manifest, only
files whose digests the published manifest records (see policy_manifest.py)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from .config import PolicySettings
from .engine import PolicyEngine
from .errors import PolicyError
from .policy_source import PolicySource
from .store import PolicyStore, load_from_store, open_store

__all__ = [
    "PolicyFiles",
    "engine_for",
    "engine_from_text",
    "load_enforced_engine",
    "load_engine",
    "policy_files",
]


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
    model, policy = pack_files()
    return PolicyFiles(
        model, policy, f"bundled:{DEFAULT_PACK}/model.conf", f"bundled:{DEFAULT_PACK}/policy.csv"
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


def load_enforced_engine(
    settings: PolicySettings, *, store: PolicyStore | None = None
) -> PolicyEngine:
    """The engine the gate may apply: as ``load_engine``, but with ``manifest_required`` built
    only from files that match the published manifest (PolicyNotPublished otherwise)."""
    manifest = settings.manifest_path
    if not settings.manifest_required or manifest is None or settings.model is None:
        return load_engine(settings, store=store)
    from .policy_manifest import read_published

    model = settings.model
    if settings.policy is not None:
        texts = read_published(manifest, (model, settings.policy))
        return engine_from_text(
            texts[model], str(model), texts[settings.policy], str(settings.policy)
        )
    model_text = read_published(manifest, (model,))[model]
    if store is not None:
        return PolicyEngine(PolicySource(model_text, store.load_rows(), str(model), store.origin))
    with contextlib.closing(open_store(settings)) as opened:
        rows = opened.load_rows()
        return PolicyEngine(PolicySource(model_text, rows, str(model), opened.origin))


def engine_from_text(
    model_text: str, model_origin: str, policy_text: str, policy_origin: str
) -> PolicyEngine:
    """Compile a model and a policy CSV already read: what the gate does with the bytes it
    verified, and ``policy publish`` with the bytes it records (they must agree)."""
    from jurisgate.adapters.policy_files import read_policy_csv

    rows = read_policy_csv(policy_text, policy_origin)
    return PolicyEngine(PolicySource(model_text, rows, model_origin, policy_origin))
