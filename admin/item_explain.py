"""``jurisgate explain --item ITEM.json``: which item rule removes an entry, as the app returns
it, at an instant; the same engine the result filter runs (``ItemPolicy.verdict``). With a
``[[results]] collected_at`` configured, the answer says what collection instant it read."""

from __future__ import annotations

import os
from typing import Any

from jurisgate.adapters.factory import load_engine
from jurisgate.middleware.config.gate_config import CONFIG_ENV, GateConfig, load_config
from jurisgate.middleware.config.loading import item_policy_of
from jurisgate.middleware.config.policy_in_force import policy_in_force
from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.results import ItemFields, ItemPolicy, ItemSettings
from jurisgate.middleware.results.collection_window import collected_instant
from jurisgate.middleware.results.item_policy import DEFAULT_FIELDS
from jurisgate.middleware.results.route_paths import ResultPaths

from .files import format_instant, policy_settings_for, read_json_object

__all__ = ["explain_item", "item_fields_for", "item_policy_for_config"]


def _config(config: str | None) -> GateConfig | None:
    if config is None and not os.environ.get(CONFIG_ENV):
        return None
    return load_config(config)


def item_policy_for_config(config: str | None) -> ItemPolicy:
    """The item rules ``--config`` (else $JURISGATE_CONFIG, else the defaults) puts in force."""
    loaded = _config(config)
    items = loaded.items if loaded is not None else ItemSettings()
    settings = policy_settings_for(config)
    if settings.store is not None:  # the store's p2 rows, read as the gate reads them
        return policy_in_force(load_engine(settings), items).items
    return item_policy_of(settings, items)


def item_fields_for(config: str | None, route: str | None) -> ItemFields:
    """The entry fields of the ``[[results]]`` table for ``route`` (or the only one), else the
    defaults (``id``, ``source_region``, ``source_country``)."""
    loaded = _config(config)
    routes = loaded.results if loaded is not None else ()
    if route is not None:
        chosen = ResultPaths(routes).find(route)  # the table the filter would apply
        if chosen is None:
            raise JurisgateError(f"--route: no [[results]] table matches {route!r}")
        return chosen.fields
    if len(routes) == 1:
        return routes[0].fields
    if len(routes) > 1:
        raise JurisgateError("several [[results]] tables: say which with --route PATH")
    return DEFAULT_FIELDS


def explain_item(
    config: str | None, source: str, at: float, suppressed: bool, route: str | None
) -> dict[str, Any]:
    item = read_json_object(source, "the item")
    policy = item_policy_for_config(config)
    fields = item_fields_for(config, route)
    # Offline there is no replica's suppression list: --suppressed puts the entry's id on it.
    listed = frozenset({str(item.get(fields.id))}) if suppressed else frozenset()
    verdict = policy.verdict(item, at=at, suppressed=listed, fields=fields)
    answer = verdict.as_dict()
    if fields.collected_at is not None:
        # What a rule with a collection window read (None: it could not tell).
        collected = collected_instant(item.get(fields.collected_at))
        answer["collected_at"] = format_instant(collected) if collected is not None else None
    answer["at"] = format_instant(at)
    answer["item_rules_version"] = policy.version
    return answer


def print_item(answer: dict[str, Any]) -> None:
    if answer["suppressed"]:
        print(f"SUPPRESSED by {answer['rule']} at {answer['at']}")
        if answer["unknown_provenance"]:
            print("  because its provenance cannot tell (the rule refuses unknowns)")
        citation = answer["citation"]
        if citation:
            print(f"  citation: {citation['text']}")
            print(f"            {citation['url']}")
    else:
        print(f"shown at {answer['at']}: no item rule suppresses it")
    if "collected_at" in answer:
        collected = answer["collected_at"]
        print(f"  collected at {collected}" if collected else "  collection time unknown")
    if answer["admitted_unknown"]:
        print(f"  provenance unknown to (admitted by): {', '.join(answer['admitted_unknown'])}")
    print(f"  item rules version: {answer['item_rules_version']}")
