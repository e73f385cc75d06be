"""``jurisgate diff OLD NEW``: what a policy change does to every client, route and period.

Both versions' truth tables are computed over their common input space and the cells whose
answer differs are merged into readable lines: first the entity types that change alike at a
location, route and period, then their routes::

    federal_agency, federal_law_enforcement of US in US-IL on GET /search: 451 -> 200 from
    2022-05-11 until 2027-05-11T05:00:00Z (rule il-located-five-years removed; ...)

Entity types merge only within one agency class and capacity, which the line names. Over 250
lines: the Change value and its wording, and the merging of cells into readable runs, serve
one output and are read together.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jurisgate.middleware.claims.principal import ANONYMOUS, ENTITY_TYPES
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import JurisgateError

from .files import (
    PolicyFiles,
    add_config_option,
    engine_for,
    engine_for_config,
    format_instant,
    instant_option,
    policy_files,
    policy_settings_for,
)
from .policy_space import Client, PolicySpace, Route
from .truth_table import Answer, Table, compare, table_rows

__all__ = ["Change", "diff_engines", "register"]


@dataclass(frozen=True, slots=True)
class Change:
    """Clients of ``entities`` at one location, on ``routes``, answered ``old`` then ``new``
    from ``start`` until ``end`` (``open_start``: since before any rule began).
    ``all_routes`` is every route of the compared space, to say "every route but ..."."""

    entities: tuple[str, ...]
    client: Client
    routes: tuple[Route, ...]
    all_routes: tuple[Route, ...]
    old: Answer
    new: Answer
    start: float
    end: float
    open_start: bool
    why: str
    all_entities: tuple[str, ...] = ()  # the entity types of the space in this agency class

    def __str__(self) -> str:
        return (
            f"{self._who()} on {self._where()}: "
            f"{self.old[0]} -> {self.new[0]} {self._when()} ({self.why})"
        )

    def _who(self) -> str:
        if self.client.entity == ANONYMOUS:
            return "a client without a token"
        universe = self.all_entities or tuple(sorted(ENTITY_TYPES))
        missing = [entity for entity in universe if entity not in self.entities]
        if not missing and set(universe) == ENTITY_TYPES:
            who = "every entity type"
        elif missing and len(missing) < len(self.entities):
            who = f"every entity type but {', '.join(missing)}"
        else:
            who = ", ".join(self.entities)
        return f"{who}{self.client.who()} in {self.client.label}"

    def _where(self) -> str:
        missing = [route.describe() for route in self.all_routes if route not in self.routes]
        if not missing:
            return "every route"
        if len(missing) < len(self.routes):
            return f"every route but {', '.join(missing)}"
        return ", ".join(route.describe() for route in self.routes)

    def _when(self) -> str:
        if self.start == self.end:
            return f"at {format_instant(self.start)}"
        since = "" if self.open_start else f"from {format_instant(self.start)}"
        until = "" if math.isinf(self.end) else f"until {format_instant(self.end)}"
        return " ".join(part for part in (since, until) if part) or "at all times"

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_types": list(self.entities),
            "location": self.client.label,
            "country": self.client.country or None,
            "regions": list(self.client.regions),
            "agency_type": self.client.agency_type or None,
            "agency_region": self.client.agency_region or None,
            "capacity": self.client.capacity if self.client.entity != ANONYMOUS else None,
            "routes": [{"method": r.method, "path": r.path} for r in self.routes],
            "old": {"status": self.old[0], "rule": self.old[1]},
            "new": {"status": self.new[0], "rule": self.new[1]},
            "from": None if self.open_start else format_instant(self.start),
            "until": None if math.isinf(self.end) else format_instant(self.end),
            "why": self.why,
            "text": str(self),
        }


def register(commands: Any) -> None:
    """Add ``diff`` to the ``jurisgate`` command line."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "diff",
        help="what changes between two policy versions, for every client, route and period",
        description="Decide every client class, route and period with both policies and list "
        "what changed. OLD and NEW are two config files (.toml), or two policy files (.csv) "
        "that use the model of --config (or the bundled one). Exit 0: no change; 1: changes; "
        "2: cannot load.",
    )
    parser.add_argument("old", metavar="OLD", help="the current config or policy file")
    parser.add_argument("new", metavar="NEW", help="the proposed config or policy file")
    add_config_option(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--at", help="compare at this instant only")
    when.add_argument("--between", nargs=2, metavar=("A", "B"), help="compare from A until B")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    old, new = _engine(args.old, args.config), _engine(args.new, args.config)
    start = end = None
    if args.at is not None:
        start = end = instant_option(args.at)
    elif args.between is not None:
        start = instant_option(args.between[0], name="--between")
        end = instant_option(args.between[1], name="--between")
        if end <= start:
            raise JurisgateError("--between: B must be after A")
    space, before, after = compare(old, new, start=start, end=end)
    changes = _changes(old, new, space, before, after, open_start=start is None)
    if args.json:
        report = {
            "old": {"file": args.old, "policy_version": old.version},
            "new": {"file": args.new, "policy_version": new.version},
            "changes": [change.as_dict() for change in changes],
            "truth_table": table_rows(space, before, after, open_start=start is None),
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"old: {args.old} (policy version {old.version})")
        print(f"new: {args.new} (policy version {new.version})")
        for change in changes:
            print(change)
        print(f"{len(changes)} change{'' if len(changes) == 1 else 's'}")
    return 1 if changes else 0


def _engine(argument: str, config: str | None) -> PolicyEngine:
    """A config file's policy (files, store or pack), or a policy file with the model of
    ``--config`` (its model file, also when its rows live in a store)."""
    if argument.endswith(".toml"):
        return engine_for_config(argument)
    settings = policy_settings_for(config)
    if settings.model is not None:
        model = str(settings.model)
        return engine_for(PolicyFiles(settings.model, Path(argument), model, argument))
    base = policy_files(settings)
    return engine_for(PolicyFiles(base.model, Path(argument), base.model_origin, argument))


def diff_engines(
    old: PolicyEngine, new: PolicyEngine, *, start: float | None = None, end: float | None = None
) -> list[Change]:
    """Every difference between the two policies' answers, merged into readable changes:
    first the entity types that change alike at a location and route, then their routes."""
    space, before, after = compare(old, new, start=start, end=end)
    return _changes(old, new, space, before, after, open_start=start is None)


def _changes(
    old: PolicyEngine,
    new: PolicyEngine,
    space: PolicySpace,
    before: Table,
    after: Table,
    *,
    open_start: bool,
) -> list[Change]:
    universe: dict[Client, list[str]] = {}
    for client in space.clients:
        universe.setdefault(_location(client), []).append(client.entity)
    # (location client, route, old, new, first period, last period, why) -> entity types
    by_route: dict[tuple[Any, ...], list[str]] = {}
    for (client, route), old_answers in before.items():
        new_answers = after[(client, route)]
        for first, last in _runs(old_answers, new_answers):
            o, n = old_answers[first], new_answers[first]
            where = _location(client)
            key = (where, route, o, n, first, last, _why(old, new, o[1], n[1]))
            by_route.setdefault(key, []).append(client.entity)
    # (entity types, location client, old, new, first, last, why) -> routes
    merged: dict[tuple[Any, ...], list[Route]] = {}
    for (where, route, o, n, first, last, why), entities in by_route.items():
        merged.setdefault((tuple(entities), where, o, n, first, last, why), []).append(route)
    return [
        Change(
            entities,
            where,
            tuple(routes),
            space.routes,
            o,
            n,
            space.instants[first],
            space.ends[last],
            first == 0 and open_start,
            why,
            tuple(universe.get(where, ())),
        )
        for (entities, where, o, n, first, last, why), routes in merged.items()
    ]


def _location(client: Client) -> Client:
    """The client class with its entity type blanked: what changes share when merged."""
    if client.entity == ANONYMOUS:
        return client
    return replace(client, entity="")


def _runs(old: Sequence[Answer], new: Sequence[Answer]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive periods with the same (old, new) pair, where they differ."""
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(old):
        if old[index] == new[index]:
            index += 1
            continue
        last = index
        while last + 1 < len(old) and (old[last + 1], new[last + 1]) == (old[index], new[index]):
            last += 1
        runs.append((index, last))
        index = last + 1
    return runs


def _why(old: PolicyEngine, new: PolicyEngine, was: str | None, now: str | None) -> str:
    parts: list[str] = []
    for rule_id, here, there, gone, came in (
        (was, old, new, "removed", "no longer decides"),
        (now, new, old, "added", "decides now"),
    ):
        if rule_id is None or (parts and rule_id == was):
            continue
        mine, theirs = here.rule(rule_id), there.rule(rule_id)
        if theirs is None:
            parts.append(f"rule {rule_id} {gone}")
        elif mine != theirs:
            parts.append(f"rule {rule_id} changed")
        else:
            parts.append(f"rule {rule_id} {came}")
    return "; ".join(parts) or "no rule decides"
