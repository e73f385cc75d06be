"""Which rules can still decide something: the semantic half of ``jurisgate lint``.

The rows that passed the field checks are compiled with the real engine. For each rule, the
cells of the policy's input space (policy_space) that the rule matches are decided from
``now`` on; a rule that decides none of them is dead: shadowed by a deny, or covered by
another rule that Casbin reports instead. A rule is done as soon as it decides one cell, and
each cell is decided once, so this stays fast on policies admins write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.matchers import client_match, path_match, set_match
from jurisgate.middleware.decision.policy_source import PolicyRow, PolicySource
from jurisgate.middleware.decision.values import Rule
from jurisgate.middleware.errors import JurisgateError

from .policy_space import Client, Route, policy_space

__all__ = ["Finding", "dead_rules"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where (``file:line``), which rule, a short code and a sentence."""

    source: str
    rule: str | None
    code: str
    message: str

    def __str__(self) -> str:
        rule = f"rule {self.rule!r}: " if self.rule else ""
        return f"{self.source}: {self.code}: {rule}{self.message}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source,
            "rule": self.rule,
            "code": self.code,
            "message": self.message,
        }


def dead_rules(
    model_text: str,
    good: Sequence[tuple[PolicyRow, Rule]],
    model_origin: str,
    policy_origin: str,
    now: float,
) -> list[Finding]:
    """Rules that decide no request from ``now`` on: wherever they match, another rule decides."""
    if not good:
        return []
    source = PolicySource(model_text, tuple(row for row, _ in good), model_origin, policy_origin)
    try:
        return _undecided(PolicyEngine(source), now)
    except JurisgateError as exc:
        return [Finding(policy_origin, None, "not_loadable", str(exc))]


def _undecided(engine: PolicyEngine, now: float) -> list[Finding]:
    space = policy_space([engine.rules], start=now)
    decided: dict[tuple[Client, Route, float], str] = {}

    def decider(client: Client, route: Route, at: float) -> str:
        key = (client, route, at)
        if key not in decided:
            decision = engine.decide_view(client.view, route.method, route.path, at)
            decided[key] = decision.rule or "(default deny)"
        return decided[key]

    found: list[Finding] = []
    for rule in engine.rules:
        if rule.end <= now:
            continue  # reported as expired
        others: set[str] = set()
        cells = (
            (client, route, at)
            for client in space.clients
            if client_match(client.view, rule)
            for route in space.routes
            if path_match(route.path, rule.path) and set_match(route.method, rule.methods)
            for at in space.instants
            if rule.active_at(at)
        )
        for cell in cells:
            winner = decider(*cell)
            if winner == rule.id:
                break
            others.add(winner)
        else:
            found.append(Finding(rule.source, rule.id, "never_decides", _why_dead(engine, others)))
    return found


def _why_dead(engine: PolicyEngine, others: set[str]) -> str:
    if not others:
        return "it matches no request from now on"
    names = sorted(others)
    denies = [name for name in names if (rule := engine.rule(name)) and rule.effect == "deny"]
    how = "shadowed by deny" if denies == names else "covered by"
    return f"it decides no request from now on: {how} {', '.join(names)}"
