"""Turn policy rows into validated Rule values, or say which row is wrong and why.

A policy that names an entity type, country or region we do not know would silently never
match (or match the wrong client), so it is refused at load time rather than enforced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from functools import cache

from ..claims.entity_types import ANONYMOUS, ENTITY_TYPES, GOVERNMENT_TYPES
from ..claims.regions import US_TERRITORIES, known_countries, subdivisions
from ..errors import PolicyError
from .matchers import alternatives, instant
from .policy_source import PolicyRow
from .values import Citation, Effect, Rule

__all__ = [
    "AGENCY_FIELDS",
    "CAPACITIES",
    "RULE_FIELDS",
    "agency_region_codes",
    "cited",
    "effective_period",
    "parse_rule",
    "parse_rules",
    "row_values",
]

# The fields every jurisgate policy row carries, in the bundled model's order.
RULE_FIELDS = (
    "id",
    "eft",
    "entity",
    "country",
    "region",
    "agency_type",
    "agency_region",
    "capacity",
    "path",
    "method",
    "start",
    "end",
    "citation",
    "url",
)

# Added with the consent decree's structure: a model written before them (no such columns)
# still loads, and its rules match any agency and capacity ('*').
AGENCY_FIELDS = ("agency_type", "agency_region", "capacity")
CAPACITIES = frozenset({"official", "personal"})

_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_METHOD = re.compile(r"[A-Z]{3,10}")


def parse_rules(rows: Sequence[PolicyRow], fields: Sequence[str]) -> tuple[Rule, ...]:
    """Parse every ``p`` row; ``fields`` are the model's policy tokens without the ``p_`` prefix."""
    missing = [name for name in RULE_FIELDS if name not in fields and name not in AGENCY_FIELDS]
    if missing:
        raise PolicyError(f"the model's policy_definition lacks {', '.join(missing)}")
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for row in rows:
        if row.ptype != "p":
            continue
        if len(row.values) != len(fields):
            rule_id = row.values[0] if row.values else ""
            raise PolicyError(
                f"{row.source}: rule {rule_id!r}: expected {len(fields)} fields after 'p', "
                f"found {len(row.values)}"
            )
        rule = parse_rule(row_values(fields, row.values), row.source)
        if rule.id in seen:
            raise PolicyError(f"{row.source}: rule id {rule.id!r} already used at {seen[rule.id]}")
        seen[rule.id] = row.source
        rules.append(rule)
    return tuple(rules)


def row_values(fields: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    """A row's values by field name; the agency columns are '*' when the model has none."""
    named = dict.fromkeys(AGENCY_FIELDS, "*")
    named.update(zip(fields, values, strict=True))
    return named


def parse_rule(values: dict[str, str], source: str) -> Rule:
    def fail(message: str) -> PolicyError:
        return PolicyError(f"{source}: rule {values.get('id', '')!r}: {message}")

    rule_id = values["id"]
    if not _RULE_ID.fullmatch(rule_id):
        raise fail("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
    effect = values["eft"]
    if effect not in ("allow", "deny"):
        raise fail(f"effect must be 'allow' or 'deny', not {effect!r}")
    _check_set(values["entity"], ENTITY_TYPES | {ANONYMOUS}, "entity type", fail)
    _check_set(values["country"], known_countries(), "country", fail)
    _check_set(values["region"], subdivisions().keys(), "region", fail)
    _check_regions_in_countries(values["region"], values["country"], fail)
    agency_type, agency_region = values["agency_type"], values["agency_region"]
    capacity = values["capacity"]
    _check_set(agency_type, GOVERNMENT_TYPES, "agency type", fail)
    _check_set(agency_region, agency_region_codes(), "agency region", fail)
    _check_set(capacity, CAPACITIES, "capacity", fail)
    path = values["path"]
    if "|" in path:  # '|' joins entity types and methods, never paths: refuse, not read literally
        raise fail(f"'|' joins no paths: write one row per path: {path!r}")
    subtree = path.endswith("/*")
    if path != "*" and (
        not path.startswith("/") or "*" in (path[:-2] if subtree else path) or "//" in path
    ):
        raise fail(f"path must be '*', an exact path, or a subtree ending in '/*': {path!r}")
    methods = values["method"]
    if methods != "*" and not all(_METHOD.fullmatch(m) for m in alternatives(methods)):
        raise fail(f"method must be '*' or upper-case methods joined by '|': {methods!r}")
    start, end = effective_period(values, fail)
    text, url = cited(values, fail)
    if url and not text:
        raise fail("a citation url needs citation text")
    citation = Citation(text, url) if text else None
    decided: Effect = "allow" if effect == "allow" else "deny"
    return Rule(
        rule_id,
        decided,
        values["entity"],
        values["country"],
        values["region"],
        path,
        methods,
        start,
        end,
        citation,
        source,
        agency_type,
        agency_region,
        capacity,
    )


def effective_period(
    values: dict[str, str], fail: Callable[[str], PolicyError]
) -> tuple[float, float]:
    """A row's ``start`` (inclusive) and ``end`` (exclusive), open when empty; client and item
    rules alike."""
    try:
        start = instant(values["start"], open_value=-math.inf)
        end = instant(values["end"], open_value=math.inf)
    except ValueError as exc:
        raise fail(f"start/end must be ISO 8601 dates or date-times ({exc})") from exc
    if start >= end:
        raise fail("its effective period ends before it starts")
    return start, end


def cited(values: dict[str, str], fail: Callable[[str], PolicyError]) -> tuple[str, str]:
    """A row's citation text and URL, the URL http(s) when given; client and item rules alike."""
    text, url = values["citation"], values["url"]
    if url and not url.startswith(("https://", "http://")):
        raise fail(f"citation url must be http(s): {url!r}")
    return text, url


@cache
def agency_region_codes() -> frozenset[str]:
    """What a normalized agency_region can be: a country (never a US territory's own code,
    which normalizes to US-PR and so on) or an ISO 3166-2 code."""
    return frozenset((known_countries() - US_TERRITORIES) | subdivisions().keys())


def _check_set(
    pattern: str, known: Collection[str], what: str, fail: Callable[[str], PolicyError]
) -> None:
    if pattern == "*":
        return
    unknown = sorted(value for value in alternatives(pattern) if value not in known)
    if unknown:
        raise fail(f"unknown {what} {', '.join(map(repr, unknown))}")


def _check_regions_in_countries(
    regions: str, countries: str, fail: Callable[[str], PolicyError]
) -> None:
    """A region outside every country of its rule can never match: refuse it."""
    if regions == "*" or countries == "*":
        return
    allowed = alternatives(countries)
    stray = sorted(r for r in alternatives(regions) if r.split("-", 1)[0] not in allowed)
    if stray:
        raise fail(f"region {', '.join(stray)} is not in country {countries}")
