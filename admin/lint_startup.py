"""``jurisgate lint --config``: the gate's own start-up checks, reported as lint findings.

Lint runs the loader the gate runs (``load_config``, then
``jurisgate.adapters.factory.check_startup``), so whatever would stop the gate at start-up is a
finding (code ``cannot_start``, exit 1) that names the
file and key: an unknown key, a private or mismatched key, a missing file, ``redis_url``
without a secret, an audit file in a missing directory, a policy that does not load.
"""

from __future__ import annotations

import os
from typing import Final

from jurisgate.adapters.factory import check_startup
from jurisgate.middleware.config.gate_config import CONFIG_ENV, PolicySettings, load_config
from jurisgate.middleware.errors import ConfigError

from .lint_coverage import Finding

__all__ = ["CANNOT_START", "startup_findings"]

CANNOT_START: Final = "cannot_start"


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
    _, problems = check_startup(loaded)
    return loaded.policy, [Finding(loaded.origin, None, CANNOT_START, p) for p in problems]
