"""Which policy files the configuration names (or the bundled settlement pack when it names
none), and the engine compiled from them. A policy kept in a store is loaded by
``jurisgate.adapters.factory.load_engine``.

``load_engine`` reads the files as they are (what the admin commands check);
``load_enforced_engine`` (in the factory too) is what the gate applies: when ``[policy]``
requires a manifest, only files whose digests the published manifest records (see
policy_manifest.py). ``engine_from_text`` compiles bytes already read and verified."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from ..decision.engine import PolicyEngine
from ..decision.policy_files import load_policy_files, read_policy_csv
from ..decision.policy_source import PolicyRow, PolicySource
from ..errors import PolicyError
from ..results.item_policy import ItemPolicy
from ..results.packs import ItemSettings, item_policy_for
from .gate_config import PolicySettings

__all__ = ["PolicyFiles", "engine_for", "engine_from_text", "item_policy_of", "policy_files"]


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
    return PolicyEngine(
        load_policy_files(
            files.model,
            files.policy,
            model_origin=files.model_origin,
            policy_origin=files.policy_origin,
        )
    )


def engine_from_text(
    model_text: str, model_origin: str, policy_text: str, policy_origin: str
) -> PolicyEngine:
    """Compile a model and a policy CSV already read: what the gate does with the bytes it
    verified, and ``policy publish`` with the bytes it records (they must agree)."""
    rows = read_policy_csv(policy_text, policy_origin)
    return PolicyEngine(PolicySource(model_text, rows, model_origin, policy_origin))


def item_policy_of(policy: PolicySettings, items: ItemSettings) -> ItemPolicy:
    """The item rules of ``[items]`` packs and files and the p2 rows of the configured policy
    files, read once, as they are now (no publish-manifest check). With a ``[policy] store``
    it reads NO p2 rows (the core opens no store), so a store's item rules are missing.
    Crawlers use ``jurisgate.adapters.IngestCheck`` instead: the rules a gate would apply
    (store included), followed as they change."""
    rows = () if policy.store is not None else _rows(policy_files(policy))
    return item_policy_for(items, rows)


def _rows(files: PolicyFiles) -> tuple[PolicyRow, ...]:
    source = load_policy_files(
        files.model,
        files.policy,
        model_origin=files.model_origin,
        policy_origin=files.policy_origin,
    )
    return source.rows
