"""The truth table of a policy: the gate's answer for every cell of its input space.

Cells are client classes x routes x periods (policy_space). Each is decided with the real
engine the way the gate answers: a public path first, then no token (401), then the policy.
``jurisgate diff`` (policy_diff) compares two tables; ``jurisgate matrix`` draws one instant.
"""

from __future__ import annotations

import math
from typing import Any

from jurisgate.middleware.claims.principal import ANONYMOUS
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.values import Decision

from .files import format_instant
from .policy_space import Client, PolicySpace, Route, policy_space

__all__ = ["Answer", "Table", "compare", "gate_answer", "table_rows", "truth_table"]

Answer = tuple[int, str | None]  # (status, deciding rule)
Table = dict[tuple[Client, Route], list[Answer]]  # client class, route -> answer per period


def gate_answer(engine: PolicyEngine, client: Client, route: Route, at: float) -> Answer:
    """The status and rule the gate answers this client class with (its token being valid)."""
    return _answer(engine, client, route, at, engine.decide_anonymous(route.method, route.path, at))


def _answer(
    engine: PolicyEngine, client: Client, route: Route, at: float, public: Decision
) -> Answer:
    if public.allowed:
        return (200, public.rule)
    if client.entity == ANONYMOUS:
        return (401, None)
    decision = engine.decide_view(client.view, route.method, route.path, at)
    return (decision.status, decision.rule)


def truth_table(
    engine: PolicyEngine, space: PolicySpace
) -> dict[tuple[Client, Route], list[Answer]]:
    """Every client class and route of ``space`` -> the answer in each of its periods."""
    public = {
        (route, at): engine.decide_anonymous(route.method, route.path, at)
        for route in space.routes
        for at in space.instants
    }
    return {
        (client, route): [
            _answer(engine, client, route, at, public[(route, at)]) for at in space.instants
        ]
        for client in space.clients
        for route in space.routes
    }


def compare(
    old: PolicyEngine, new: PolicyEngine, *, start: float | None = None, end: float | None = None
) -> tuple[PolicySpace, Table, Table]:
    """The common space of both policies and each one's truth table over it."""
    space = policy_space([old.rules, new.rules], start=start, end=end)
    return space, truth_table(old, space), truth_table(new, space)


def table_rows(
    space: PolicySpace, before: Table, after: Table, *, open_start: bool
) -> list[dict[str, Any]]:
    """The full truth table of both versions, one row per client class, route and period."""
    rows = []
    for (client, route), old_answers in before.items():
        for index, at in enumerate(space.instants):
            o, n = old_answers[index], after[(client, route)][index]
            end = space.ends[index]
            rows.append(
                {
                    "entity_type": client.entity,
                    "agency_type": client.agency_type or None,
                    "agency_region": client.agency_region or None,
                    "capacity": client.capacity if client.entity != ANONYMOUS else None,
                    "location": client.label,
                    "regions": list(client.regions),
                    "method": route.method,
                    "path": route.path,
                    "from": None if index == 0 and open_start else format_instant(at),
                    "until": None if math.isinf(end) else format_instant(end),
                    "old": {"status": o[0], "rule": o[1]},
                    "new": {"status": n[0], "rule": n[1]},
                }
            )
    return rows
