"""``jurisgate policy push``: a policy file validated (client rules and ``p2`` item rules, as the
gates will load them), then stored whole in the configured PostgreSQL store in one
transaction."""

from __future__ import annotations

from pathlib import Path

from jurisgate.adapters.factory import open_store
from jurisgate.middleware.config.gate_config import PolicySettings
from jurisgate.middleware.config.policy_in_force import policy_in_force
from jurisgate.middleware.config.store import read_model
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_files import read_policy_csv
from jurisgate.middleware.decision.policy_source import PolicyRow, PolicySource
from jurisgate.middleware.errors import PolicyError
from jurisgate.middleware.results.packs import ItemSettings

__all__ = ["push_policy"]


def push_policy(
    settings: PolicySettings, policy_file: Path, items: ItemSettings | None = None
) -> PolicyEngine:
    """Validate ``policy_file`` against the configured model, its ``p2`` rows as item rules
    with ``items`` (``[items]``; defaults to the bundled packs), then replace the store's rows
    with it in one transaction (re-validated as stored). Returns the engine of the pushed
    policy; raises PolicyError and leaves the store unchanged when anything is wrong."""
    if settings.model is None or settings.store is None:
        raise PolicyError("the configuration has no [policy] store to push to")
    model, model_text = str(settings.model), read_model(settings.model)
    try:
        text = policy_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy file: {exc}") from exc
    rows = read_policy_csv(text, str(policy_file))
    if not rows:
        raise PolicyError(f"{policy_file}: no policy rows; refusing to empty the store")
    # Checked from the file first, so errors name its lines; then as stored, inside the push.
    engine = PolicyEngine(PolicySource(model_text, rows, model, str(policy_file)))
    policy_in_force(engine, items if items is not None else ItemSettings())  # as the gates will
    store = open_store(settings)

    def check(stored: tuple[PolicyRow, ...]) -> None:
        as_stored = PolicyEngine(PolicySource(model_text, stored, model, store.origin))
        if as_stored.version != engine.version:
            raise PolicyError(f"{store.origin}: the rows changed on their way into the store")

    try:
        store.replace(rows, check=check)
    finally:
        store.close()
    return engine
