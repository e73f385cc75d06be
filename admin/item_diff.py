"""What a change of item rules does: for every place the rules name (and an entry of unknown
provenance, and an opted-out one), over every period between two rule starts or ends, which
rule removes its entries before and after. Used by ``jurisgate diff`` (item lines) and
``jurisgate matrix`` (the item table).

When a rule has a collection window, when an entry was collected matters too: each place is
then judged once per collection slice (between two window bounds of either policy) and once
with no collection time, and every line or row says which. Without windows nothing changes."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Final, Literal

from jurisgate.middleware.config.gate_config import CONFIG_ENV, load_config
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.results import ItemFields, ItemPolicy, ItemSettings
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
UNTOLD: Final = "untold"  # an entry that says nothing of when it was collected
# None: no rule has a window (no collection time asked); a slice [from, until); or UNTOLD
Collected = tuple[float, float] | Literal["untold"] | None
_PROBE_FIELDS: Final = ItemFields(collected_at="collected_at")


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
    collected: Collected = None

    def __str__(self) -> str:
        def shown(rule: str | None) -> str:
            return f"removed ({rule})" if rule else "shown"

        where = (
            self.place if "-" in self.place or "(" in self.place else f"{self.place} (no region)"
        )
        return (
            f"entries from {where}{collected_label(self.collected)}: {shown(self.old)} -> "
            f"{shown(self.new)} from {format_instant(self.start)} until {format_instant(self.end)}"
        )

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "place": self.place, "old_rule": self.old, "new_rule": self.new,
            "start": _bound(self.start), "end": _bound(self.end),
        }  # fmt: skip
        if self.collected == UNTOLD:
            found["collected"] = "unknown"
        elif self.collected is not None:
            found["collected"] = {
                "from": _bound(self.collected[0]),
                "until": _bound(self.collected[1]),
            }
        return found


def _bound(at: float) -> str | None:
    return None if math.isinf(at) else format_instant(at)


def collected_label(collected: Collected) -> str:
    """`` collected from X until Y`` (or ``before``, ``from``), `` with no collection time``,
    or nothing when no rule has a window."""
    if collected is None:
        return ""
    if collected == UNTOLD:
        return " with no collection time"
    since, until = collected
    if math.isinf(since):
        return f" collected before {format_instant(until)}"
    if math.isinf(until):
        return f" collected from {format_instant(since)}"
    return f" collected from {format_instant(since)} until {format_instant(until)}"


def collection_slices(*policies: ItemPolicy) -> list[Collected]:
    """``[None]`` when no rule has a collection window; else the slices between the windows'
    bounds, then an entry with no collection time."""
    windows = [r.collected for p in policies for r in p.rules if r.collected is not None]
    if not windows:
        return [None]
    bounds = sorted({b for window in windows for b in window if math.isfinite(b)})
    slices: list[Collected] = list(zip([-math.inf, *bounds], [*bounds, math.inf], strict=True))
    return [*slices, UNTOLD]


def _probes(policies: tuple[ItemPolicy, ...]) -> list[tuple[str, Collected]]:
    slices = collection_slices(*policies)
    return [
        (place, collected)
        for place in item_places(*policies)
        for collected in (slices if place != OPTED_OUT else [None])
    ]


def _within(period: tuple[float, float]) -> float:
    """An instant of ``period`` (each period is judged the same throughout)."""
    start, end = period
    return start if math.isfinite(start) else (end - 1 if math.isfinite(end) else 0.0)


def item_places(*policies: ItemPolicy) -> list[str]:
    """Every place a rule names (and each subdivision's country), then the two special rows."""
    codes = {code for p in policies for r in p.rules for code in r.where}
    codes |= {code.split("-", 1)[0] for code in codes}
    return [*sorted(codes), UNKNOWN, OPTED_OUT]


def place_verdict(
    policy: ItemPolicy, place: str, at: float, collected: Collected = None
) -> str | None:
    """The rule that removes an entry from ``place``, collected in ``collected``, at ``at``
    (None: shown)."""
    if place == OPTED_OUT:
        # Only the opt-out rules: an opted-out entry is removed whatever its place.
        opt = [r for r in policy.rules if r.test == "opted_out" and r.active(at)]
        return opt[0].id if opt else None
    entry: dict[str, object] = {"id": "entry"}
    if place != UNKNOWN:
        entry["source_region" if "-" in place else "source_country"] = place
    if collected is not None and collected != UNTOLD:
        entry["collected_at"] = _within(collected)
    verdict = policy.verdict(entry, at=at, suppressed=frozenset(), fields=_PROBE_FIELDS)
    return verdict.rule.id if verdict.rule is not None else None


def item_changes(old: ItemPolicy, new: ItemPolicy) -> list[ItemChange]:
    bounds = sorted({*old.boundaries, *new.boundaries})
    periods = list(zip([-math.inf, *bounds], [*bounds, math.inf], strict=True))
    changes: list[ItemChange] = []
    for place, collected in _probes((old, new)):
        run: ItemChange | None = None
        for start, end in periods:
            probe = _within((start, end))
            before = place_verdict(old, place, probe, collected)
            after = place_verdict(new, place, probe, collected)
            if before == after:
                run = None
                continue
            if run is not None and (run.old, run.new) == (before, after) and run.end == start:
                run = ItemChange(place, before, after, run.start, end, collected)
                changes[-1] = run
            else:
                run = ItemChange(place, before, after, start, end, collected)
                changes.append(run)
    return changes


def item_periods(policy: ItemPolicy) -> list[tuple[float, float]]:
    bounds = list(policy.boundaries)
    return list(zip([-math.inf, *bounds], [*bounds, math.inf], strict=True))


def item_matrix_cells(
    policy: ItemPolicy,
) -> tuple[list[str], list[str], list[list[tuple[int, str | None, str | None]]]]:
    """(places, period labels, cells): for ``jurisgate matrix --items``, each place's entries
    (with a collection slice when a rule has a window) in each period between two item-rule
    starts or ends: 451 removed (by which rule) or 200."""
    periods = item_periods(policy)
    labels = [f"from {format_instant(a)} until {format_instant(b)}" for a, b in periods]
    probes = _probes((policy,))
    places = [f"{place}{collected_label(collected)}" for place, collected in probes]
    cells = []
    for place, collected in probes:
        row = []
        for period in periods:
            rule_id = place_verdict(policy, place, _within(period), collected)
            rule = policy.rule(rule_id) if rule_id else None
            citation = rule.citation.text if rule is not None and rule.citation else None
            row.append((451 if rule_id else 200, rule_id, citation))
        cells.append(row)
    return places, labels, cells
