"""Judge an entry's place (its region and country codes) against the place rules in force."""

from __future__ import annotations

import math

from ..claims.regions import known_countries, subdivisions
from .item_rules import ItemRule

__all__ = ["Judged", "judge_place"]

# (position of the deciding rule or inf, the rule, unknown?, ids of rules that admitted unknown)
Judged = tuple[float, ItemRule | None, bool, tuple[str, ...]]


def judge_place(
    rules: list[tuple[int, ItemRule]], region: object, country: object, refuse_unknown: bool
) -> Judged:
    """The first place rule that suppresses an entry from (region, country)."""
    region_code = region if isinstance(region, str) and region in subdivisions() else None
    country_code = country if isinstance(country, str) and country in known_countries() else None
    conflict = (region is not None and region_code is None) or (
        country is not None and country_code is None
    )
    if region_code is not None:
        derived = region_code.split("-", 1)[0]
        if country_code is not None and country_code != derived:
            conflict = True
        country_code = derived
    admitted: list[str] = []
    for number, rule in rules:
        where = rule.where
        if not conflict and region_code is not None:
            if region_code in where or country_code in where:
                return (number, rule, False, tuple(admitted))
            continue
        if not conflict and country_code is not None:
            if country_code in where:
                return (number, rule, False, tuple(admitted))
            if not any(code.startswith(country_code + "-") for code in where):
                continue
        # The entry's place cannot tell whether this rule applies.
        if refuse_unknown or rule.unknown == "refuse":
            return (number, rule, True, tuple(admitted))
        admitted.append(rule.id)
    return (math.inf, None, False, tuple(admitted))
