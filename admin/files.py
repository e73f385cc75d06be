"""Shared plumbing for the admin commands: where the policy files are, how instants print, and
how a JSON input (claims, an item, facts) is read.

The commands read a policy the way the middleware does (``[policy]`` of the config file, else
the bundled settlement pack) so that what an admin checks is what the gate enforces.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jurisgate.adapters.factory import announcer as configured_announcer
from jurisgate.adapters.factory import load_engine
from jurisgate.middleware.authenticate import issuer_tables as tables_of
from jurisgate.middleware.claims.authority import IssuerAuthority
from jurisgate.middleware.claims.mapping import ClaimMapping
from jurisgate.middleware.clock import SystemClock, parse_instant
from jurisgate.middleware.config.gate_config import (
    CONFIG_ENV,
    GateConfig,
    PolicySettings,
    load_config,
)
from jurisgate.middleware.config.loading import PolicyFiles, engine_for, policy_files
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import JurisgateError

__all__ = [
    "PolicyFiles",
    "add_config_option",
    "announce",
    "config_for_command",
    "engine_for",
    "engine_for_config",
    "format_instant",
    "instant_option",
    "issuer_tables",
    "policy_files",
    "policy_files_for",
    "policy_settings_for",
    "read_json_object",
]


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="jurisgate.toml (default: $JURISGATE_CONFIG, else the bundled pack)",
    )


def policy_settings_for(config: str | None) -> PolicySettings:
    """``[policy]`` of ``--config``, else of $JURISGATE_CONFIG, else the bundled pack's."""
    if config is None and not os.environ.get(CONFIG_ENV):
        return PolicySettings()
    return load_config(config).policy


def config_for_command(config: str | None, command: str) -> GateConfig:
    """The config of ``--config`` (else $JURISGATE_CONFIG) for a command that needs one; without
    either, an error that names the command's option (the gate's own says ``config=``)."""
    if config is None and not os.environ.get(CONFIG_ENV):
        raise JurisgateError(f"{command} needs --config FILE (or ${CONFIG_ENV})")
    return load_config(config)


def policy_files_for(config: str | None) -> PolicyFiles:
    """The policy files of ``--config``, else of $JURISGATE_CONFIG, else the bundled pack."""
    return policy_files(policy_settings_for(config))


def engine_for_config(config: str | None) -> PolicyEngine:
    """The policy the gate would enforce with this config: files, a store, or the pack."""
    return load_engine(policy_settings_for(config))


def issuer_tables(
    config: str | None,
) -> tuple[dict[str, IssuerAuthority], dict[str, ClaimMapping]]:
    """What each issuer of ``--config`` (or $JURISGATE_CONFIG) may assert and where it puts the
    claims, so claims with that ``iss`` are read and limited as the gate reads its tokens (the
    gate's own tables); empty without a config."""
    if config is None and not os.environ.get(CONFIG_ENV):
        return {}, {}
    return tables_of(load_config(config).issuers)


def announce(config: GateConfig, version: str) -> None:
    """Tell the replicas on the Redis reload channel, when there is one, and say what happened.
    An announcement is only a hint: each replica re-reads and verifies its own policy."""
    announcer = configured_announcer(config.cache)
    if announcer is None:  # no Redis configured
        print("  replicas pick it up at their next check ([policy] watch_interval)")
        return
    asyncio.run(announcer.publish(version))
    if announcer.published:
        print(f"  announced on Redis channel {announcer.channel}")
    else:  # publish() logged why; the change itself is done and replicas still poll
        print("  not announced (Redis unreachable); replicas pick it up at their next check")


def instant_option(text: str | None, *, name: str = "--at") -> float:
    """``--at`` as epoch seconds (now when absent); a bad value is a usage error."""
    if text is None:
        return SystemClock().now()
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise JurisgateError(f"{name}: not an ISO 8601 date or date-time: {text!r}") from exc


def format_instant(at: float) -> str:
    """``2027-05-11`` for a UTC midnight, else ``2027-05-11T12:00:00Z``; infinities spelt out."""
    if math.isinf(at):
        return "forever" if at > 0 else "the beginning"
    moment = datetime.fromtimestamp(at, UTC)
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def read_json_object(source: str, what: str) -> dict[str, Any]:
    """The JSON object in file ``source`` (``-``: standard input); ``what`` names it in the
    errors ("claims", "the item", "facts")."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        found = json.loads(text)
    except (OSError, ValueError) as exc:
        raise JurisgateError(f"cannot read {what} from {source}: {exc}") from exc
    if not isinstance(found, dict):
        raise JurisgateError(f"{what} in {source} must be a JSON object")
    return found
