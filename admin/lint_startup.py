"""``jurisgate lint --config``: the gate's own start-up checks, reported as lint findings.

Lint runs the loader the gate runs (``load_config``, then
``jurisgate.adapters.factory.check_startup``), so whatever would stop the gate at start-up is a
finding (code ``cannot_start``, exit 1) that names the
file and key: an unknown key, a private or mismatched key, a missing file, ``redis_url``
without a secret, an audit file in a missing directory, a policy that does not load.

One finding is not a stop but a trap: a ``[[results]]`` table that names no ``collected_at``
while an item rule has a collection window (``no_collected_at``): the gate starts, and every
entry of that route is unknown provenance to the rule (removed, if it refuses unknowns).
"""

from __future__ import annotations

import os
from typing import Final

from jurisgate.adapters.factory import check_startup
from jurisgate.middleware.config.gate_config import (
    CONFIG_ENV,
    GateConfig,
    PolicySettings,
    load_config,
)
from jurisgate.middleware.config.policy_in_force import PolicyInForce
from jurisgate.middleware.errors import ConfigError

from .lint_coverage import Finding

__all__ = ["CANNOT_START", "NO_COLLECTED_AT", "startup_findings"]

CANNOT_START: Final = "cannot_start"
NO_COLLECTED_AT: Final = "no_collected_at"


def startup_findings(config: str | None) -> tuple[PolicySettings | None, list[Finding]]:
    """The policy settings lint should check (None when the config file cannot be loaded) and a
    finding for each problem that would stop a gate given this config. Without ``config`` and
    $JURISGATE_CONFIG: the bundled pack, and no start-up checks."""
    if config is None and not os.environ.get(CONFIG_ENV):
        return PolicySettings(), []
    origin = config if config is not None else os.environ[CONFIG_ENV]
    try:
        loaded = load_config(origin)
    except ConfigError as exc:
        return None, [Finding(origin, None, CANNOT_START, str(exc).removeprefix(f"{origin}: "))]
    in_force, problems = check_startup(loaded)
    findings = [Finding(loaded.origin, None, CANNOT_START, p) for p in problems]
    return loaded.policy, findings + _collection_findings(loaded, in_force)


def _collection_findings(loaded: GateConfig, in_force: PolicyInForce | None) -> list[Finding]:
    """``in_force``: the item rules the gate would load (a store's p2 rows included), None
    when the policy does not load (the policy findings say why)."""
    untold = [route for route in loaded.results if route.collected_at is None]
    if not untold or in_force is None:
        return []
    rules = in_force.items.rules
    return [
        Finding(
            loaded.origin,
            rule.id,
            NO_COLLECTED_AT,
            f"[[results]] {route.path} names no collected_at: every entry there is unknown "
            "provenance to this rule's collection window",
        )
        for rule in rules
        if rule.collected is not None
        for route in untold
    ]
