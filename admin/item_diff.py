"""What a change of item rules does: for every place the rules name (and an entry of unknown
provenance, and an opted-out one), over every period between two rule starts or ends, which
rule removes its entries before and after. Used by ``jurisgate diff`` (item lines) and
``jurisgate matrix`` (the item table)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from jurisgate.middleware.config.gate_config import CONFIG_ENV, load_config
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.results import ItemPolicy, ItemSettings
from jurisgate.middleware.results.packs import item_policy_for

from .files import format_instant

__all__ = [
    "ItemChange",
    "item_changes",
    "item_matrix_cells",
    "item_places",
    "item_policy_beside",
    "place_verdict",
]

OPTED_OUT = "(opted out)"
UNKNOWN = "(unknown provenance)"


def item_policy_beside(argument: str, engine: PolicyEngine, config: str | None) -> ItemPolicy:
    """The item rules in force with ``engine``'s policy rows: a config's ``[items]`` (the
    argument's when it is a .toml, else ``--config``'s, else the defaults)."""
    chosen = argument if argument.endswith(".toml") else config
    if chosen is None and os.environ.get(CONFIG_ENV):
        chosen = os.environ[CONFIG_ENV]
    settings = load_config(chosen).items if chosen is not None else ItemSettings()
    return item_policy_for(settings, engine.source.rows)


@dataclass(frozen=True, slots=True)
class ItemChange:
    place: str
    old: str | None  # the rule that removed such entries, None: shown
    new: str | None
    start: float
    end: float

    def __str__(self) -> str:
        def shown(rule: str | None) -> str:
            return f"removed ({rule})" if rule else "shown"

        where = (
            self.place if "-" in self.place or "(" in self.place else f"{self.place} (no region)"
        )
        return (
            f"entries from {where}: {shown(self.old)} -> {shown(self.new)} "
            f"from {format_instant(self.start)} until {format_instant(self.end)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "place": self.place, "old_rule": self.old, "new_rule": self.new,
            "start": None if math.isinf(self.start) else format_instant(self.start),
            "end": None if math.isinf(self.end) else format_instant(self.end),
        }  # fmt: skip


def item_places(*policies: ItemPolicy) -> list[str]:
    """Every place a rule names (and each subdivision's country), then the two special rows."""
    codes = {code for p in policies for r in p.rules for code in r.where}
    codes |= {code.split("-", 1)[0] for code in codes}
    return [*sorted(codes), UNKNOWN, OPTED_OUT]


def place_verdict(policy: ItemPolicy, place: str, at: float) -> str | None:
    """The rule that removes an entry from ``place`` at ``at`` (None: shown)."""
    if place == OPTED_OUT:
        # Only the opt-out rules: an opted-out entry is removed whatever its place.
        opt = [r for r in policy.rules if r.test == "opted_out" and r.active(at)]
        return opt[0].id if opt else None
    entry: dict[str, str] = {"id": "entry"}
    if place != UNKNOWN:
        entry["source_region" if "-" in place else "source_country"] = place
    verdict = policy.verdict(entry, at=at, suppressed=frozenset())
    return verdict.rule.id if verdict.rule is not None else None


def item_changes(old: ItemPolicy, new: ItemPolicy) -> list[ItemChange]:
    bounds = sorted({*old.boundaries, *new.boundaries})
    periods = list(zip([-math.inf, *bounds], [*bounds, math.inf], strict=True))
    changes: list[ItemChange] = []
    for place in item_places(old, new):
        run: ItemChange | None = None
        for start, end in periods:
            probe = start if math.isfinite(start) else (end - 1 if math.isfinite(end) else 0.0)
            before, after = place_verdict(old, place, probe), place_verdict(new, place, probe)
            if before == after:
                run = None
                continue
            if run is not None and (run.old, run.new) == (before, after) and run.end == start:
                run = ItemChange(place, before, after, run.start, end)
                changes[-1] = run
            else:
                run = ItemChange(place, before, after, start, end)
                changes.append(run)
    return changes


def item_periods(policy: ItemPolicy) -> list[tuple[float, float]]:
    bounds = list(policy.boundaries)
    return list(zip([-math.inf, *bounds], [*bounds, math.inf], strict=True))


def item_matrix_cells(
    policy: ItemPolicy,
) -> tuple[list[str], list[str], list[list[tuple[int, str | None, str | None]]]]:
    """(places, period labels, cells): for ``jurisgate matrix --items``, each place's entries
    in each period between two item-rule starts or ends: 451 removed (by which rule) or 200."""
    periods = item_periods(policy)
    labels = [f"from {format_instant(a)} until {format_instant(b)}" for a, b in periods]
    places = item_places(policy)
    cells = []
    for place in places:
        row = []
        for start, end in periods:
            probe = start if math.isfinite(start) else (end - 1 if math.isfinite(end) else 0.0)
            rule_id = place_verdict(policy, place, probe)
            rule = policy.rule(rule_id) if rule_id else None
            citation = rule.citation.text if rule is not None and rule.citation else None
            row.append((451 if rule_id else 200, rule_id, citation))
        cells.append(row)
    return places, labels, cells
