"""The finite input space of a policy: every distinct client, route and period it can tell apart.

A rule can only name values: entity types, countries, regions, paths, methods and the instants
where it starts or ends. Two inputs that no rule tells apart always get the same decision, so
one representative per class decides for the whole class:

- who: every entity type of the claims contract, with every agency region a rule names and one
  "any other" per kind of government (a contractor once per agency type), each in official
  and personal capacity; plus ``anonymous`` (no token);
- locations: every region a rule names, one "any other region" per country a rule names (US
  always), "no region" for non-US countries, and one "any other country";
- routes: every path and method a rule names, the subtree below a ``/x/*`` when another rule
  names something inside it, "any other path" and "any other method";
- instants: the start of every period between two consecutive rule boundaries.

Classes that no rule tells apart are merged, so the space stays small enough to decide every
cell with the real engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from jurisgate.middleware.decision.matchers import path_match
from jurisgate.middleware.decision.values import Rule

from .policy_clients import Client, clients, named_values

__all__ = ["Client", "PolicySpace", "Route", "policy_space"]

OTHER_METHOD = "(other)"
OTHER_PATH = "/*"
_BEFORE_FIRST = 86_400.0  # the representative of "before any rule starts": one day earlier


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str

    def describe(self) -> str:
        method = "(other method)" if self.method == OTHER_METHOD else self.method
        path = "(other path)" if self.path == OTHER_PATH else self.path
        return f"{method} {path}"


@dataclass(frozen=True, slots=True)
class PolicySpace:
    clients: tuple[Client, ...]
    routes: tuple[Route, ...]
    instants: tuple[float, ...]  # the start of each period, ascending
    ends: tuple[float, ...]  # the end of each period (the next start, or +inf)


def policy_space(
    rule_sets: Iterable[Sequence[Rule]],
    *,
    start: float | None = None,
    end: float | None = None,
    us_regions_each: bool = False,
) -> PolicySpace:
    """The space of all rules in ``rule_sets`` (one set, or old and new for a diff).

    ``start``/``end`` limit the periods to [start, end); ``us_regions_each`` lists every US
    region as its own client (for pictures), instead of one class for the unnamed ones.
    """
    rules = [rule for rules in rule_sets for rule in rules]
    return PolicySpace(
        clients(rules, us_regions_each),
        _routes(rules),
        *_periods(rules, start, end),
    )


def _routes(rules: Sequence[Rule]) -> tuple[Route, ...]:
    patterns = sorted({rule.path for rule in rules})
    candidates: list[str] = []
    for pattern in patterns:
        if pattern.endswith("/*"):
            candidates.append(pattern[:-2] or "/")
        elif pattern != "*":
            candidates.append(pattern)
    candidates += [p for p in patterns if p.endswith("/*") and p != OTHER_PATH]
    candidates.append(OTHER_PATH)
    paths = _distinct(
        candidates, lambda path: frozenset(p for p in patterns if path_match(path, p))
    )

    # Methods are few: every named one stays its own column, plus "any other method".
    methods = [*sorted(named_values(rules, "methods")), OTHER_METHOD]
    return tuple(Route(method, path) for path in paths for method in methods)


def _distinct(candidates: list[str], signature: Callable[[str], frozenset[str]]) -> list[str]:
    """Keep the first candidate of each class of candidates the rules cannot tell apart."""
    seen: set[frozenset[str]] = set()
    kept: list[str] = []
    for candidate in candidates:
        key = signature(candidate)
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _periods(
    rules: Sequence[Rule], start: float | None, end: float | None
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    bounds = sorted({b for rule in rules for b in (rule.start, rule.end) if math.isfinite(b)})
    low = start if start is not None else (bounds[0] - _BEFORE_FIRST if bounds else 0.0)
    high = end if end is not None else math.inf
    starts = [low, *(b for b in bounds if low < b < high)]
    return tuple(starts), (*starts[1:], high)
