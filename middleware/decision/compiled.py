"""The bundled model's matcher, evaluated directly over pre-parsed rules.

pycasbin re-interprets the matcher expression (simpleeval) for every policy row on every
decision: about 7 us a row, so 1,000 rules cost 7 ms. When a model's matcher is exactly the
bundled one, its meaning is known, so the engine can evaluate it in plain Python over rules
parsed once, visiting only the rules that name the client (entity type, location, agency,
capacity).
Casbin's semantics are kept to the letter (rows in file order, a deny stops the scan, the last
matching allow explains an allow) and tests compare both on random policies and requests; any
other matcher is left to Casbin.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from typing import Final

from ..claims.principal import PolicyView
from .matchers import alternatives, client_match
from .values import Rule

__all__ = ["LEGACY_MATCHER", "STANDARD_MATCHER", "CompiledPolicy", "is_standard_matcher"]

# The bundled model.conf's matcher as Casbin stores it (``r.x`` becomes ``r_x``).
STANDARD_MATCHER: Final = (
    "setMatch(r_entity, p_entity) && setMatch(r_country, p_country) && "
    "setMatch(r_region, p_region) && setMatch(r_agency_type, p_agency_type) && "
    "setMatch(r_agency_region, p_agency_region) && setMatch(r_capacity, p_capacity) && "
    "pathMatch(r_path, p_path) && setMatch(r_method, p_method) && active(r_at, p_start, p_end)"
)
# The matcher bundled before agency and capacity were claims (a model copied then).
LEGACY_MATCHER: Final = (
    "setMatch(r_entity, p_entity) && setMatch(r_country, p_country) && "
    "setMatch(r_region, p_region) && pathMatch(r_path, p_path) && "
    "setMatch(r_method, p_method) && active(r_at, p_start, p_end)"
)
_SPACE = re.compile(r"\s+")
_MAX_CLIENT_CLASSES: Final = 4096


def is_standard_matcher(matcher: str, rules: Sequence[Rule]) -> bool:
    """The bundled matcher, or the legacy one over rules that name no agency or capacity (it
    ignores those columns, so compiling them would disagree with Casbin)."""
    matcher = _SPACE.sub(" ", matcher.strip())
    if matcher == STANDARD_MATCHER:
        return True
    return matcher == LEGACY_MATCHER and all(
        rule.agency_type == rule.agency_region == rule.capacity == "*" for rule in rules
    )


class _Row:
    """One rule with its path and method tests pre-digested; ``position`` is its file order."""

    __slots__ = ("any_method", "any_path", "base", "deny", "end", "exact", "methods",
                 "position", "rule", "start")  # fmt: skip

    def __init__(self, rule: Rule, position: int) -> None:
        self.rule = rule
        self.position = position
        self.deny = rule.effect == "deny"
        self.start, self.end = rule.start, rule.end
        subtree = rule.path.endswith("/*")
        self.any_path = rule.path == "*"
        self.exact = "" if subtree or self.any_path else rule.path
        self.base = rule.path[:-2] if subtree else ""
        self.any_method = rule.methods == "*"
        self.methods = alternatives(rule.methods)

    def matches(self, path: str, method: str, at: float) -> bool:
        if not self.start <= at < self.end:
            return False
        if not (self.any_method or method in self.methods):
            return False
        if self.any_path:
            return True
        if self.exact:
            return path == self.exact
        base = self.base
        return path == base or path.startswith(base + "/")


class _Bucket:
    """The rows of one client class in one time segment, findable by path."""

    __slots__ = ("anywhere", "base_lengths", "exact", "subtree")

    def __init__(self, rows: Sequence[_Row]) -> None:
        self.anywhere: list[_Row] = []
        self.exact: dict[str, list[_Row]] = {}
        self.subtree: dict[str, list[_Row]] = {}
        for row in rows:
            if row.any_path:
                self.anywhere.append(row)
            elif row.exact:
                self.exact.setdefault(row.exact, []).append(row)
            else:
                self.subtree.setdefault(row.base, []).append(row)
        # The lengths of the subtree bases, shortest first: a path is looked up only at these
        # cuts, so a decision's work depends on the policy, not on how many '/' a path has
        # (walking every '/' prefix was quadratic in the path's length: issue #12).
        self.base_lengths = sorted({len(base) for base in self.subtree})

    def rows_for(self, path: str) -> list[_Row]:
        """Every row whose path pattern can match ``path``, in file order."""
        found = [self.anywhere, self.exact.get(path, ())] if self.exact else [self.anywhere]
        if self.subtree:
            size = len(path)
            for length in self.base_lengths:  # base B covers B itself and B + "/..." below it
                if length > size:
                    break
                if length == size or path[length] == "/":
                    rows = self.subtree.get(path[:length])
                    if rows:
                        found.append(rows)
        lists = [rows for rows in found if rows]
        if len(lists) == 1:
            return list(lists[0])
        merged = [row for rows in lists for row in rows]
        merged.sort(key=_position)
        return merged


def _position(row: _Row) -> int:
    return row.position


class CompiledPolicy:
    """Rows are grouped once per client class (what the policy sees of a client) and time segment
    (the span between two consecutive rule starts or ends, in which no rule starts or ends),
    then indexed by path, so a decision visits only the rows that can concern the request.
    The groups are remembered (bounded): there are few classes and segments, not few clients."""

    def __init__(self, rules: Sequence[Rule], boundaries: Sequence[float]) -> None:
        self._rows = tuple(_Row(rule, i) for i, rule in enumerate(rules))
        self._boundaries = tuple(boundaries)
        self._buckets: dict[tuple[PolicyView, int], _Bucket] = {}

    def decide(
        self, view: PolicyView, path: str, method: str, at: float
    ) -> tuple[bool, Rule | None]:
        """(allowed, the rule Casbin's enforce_ex would name) for one request."""
        key = (view, bisect.bisect_right(self._boundaries, at))
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._bucket(key)
        allow: Rule | None = None
        for row in bucket.rows_for(path):
            if row.matches(path, method, at):
                if row.deny:
                    return False, row.rule
                allow = row.rule
        return allow is not None, allow

    def _bucket(self, key: tuple[PolicyView, int]) -> _Bucket:
        view, segment = key
        bounds = self._boundaries
        low = bounds[segment - 1] if segment > 0 else -math.inf
        high = bounds[segment] if segment < len(bounds) else math.inf
        # Rule bounds are segment bounds, so a row is in effect for all of a segment or none.
        bucket = _Bucket(
            [
                row
                for row in self._rows
                if row.start <= low and high <= row.end and client_match(view, row.rule)
            ]
        )
        if len(self._buckets) >= _MAX_CLIENT_CLASSES:  # bounded: claims are attacker-influenced
            self._buckets.clear()
        self._buckets[key] = bucket
        return bucket
