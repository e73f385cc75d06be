"""Turn ``p2`` policy rows into validated item rules, or say which row is wrong and why.

An item rule names a test on a result's entry (``opted_out``: its id is on the replica's
suppression list; ``collected_in``: its photo was taken or uploaded in one of the ``where``
codes), the period in which it applies to answers (start inclusive, end exclusive, UTC unless an
offset is given), what to do with an entry whose provenance cannot tell (``admit`` or
``refuse``), the data-subject test in the regulator's words, and its citation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ..claims.regions import known_countries, subdivisions
from ..decision.matchers import alternatives
from ..decision.policy_source import PolicyRow
from ..decision.rules import cited, effective_period
from ..decision.values import Citation
from ..errors import PolicyError

__all__ = [
    "ITEM_PTYPE",
    "ITEM_RULE_FIELDS",
    "ItemRule",
    "ItemTest",
    "Unknown",
    "parse_item_row",
    "parse_item_rules",
]

ITEM_PTYPE: Final = "p2"
ITEM_RULE_FIELDS: Final = (
    "id", "eft", "test", "where", "start", "end", "unknown", "subject", "citation", "url",
)  # fmt: skip
ItemTest = Literal["opted_out", "collected_in"]
Unknown = Literal["admit", "refuse"]
_RULE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


@dataclass(frozen=True, slots=True)
class ItemRule:
    """One item rule. ``where`` holds ISO 3166-1 countries and ISO 3166-2 subdivisions."""

    id: str
    test: ItemTest
    where: frozenset[str]
    start: float
    end: float
    unknown: Unknown
    subject: str
    citation: Citation | None
    source: str

    def active(self, at: float) -> bool:
        return self.start <= at < self.end


def parse_item_rules(rows: Sequence[PolicyRow]) -> tuple[ItemRule, ...]:
    """Every ``p2`` row, in order; a repeated id is refused (overrides go through packs.py)."""
    rules: list[ItemRule] = []
    seen: dict[str, str] = {}
    for row in rows:
        if row.ptype != ITEM_PTYPE:
            continue
        rule = parse_item_row(row)
        if rule.id in seen:
            raise PolicyError(
                f"{row.source}: item rule id {rule.id!r} already used at {seen[rule.id]}"
            )
        seen[rule.id] = row.source
        rules.append(rule)
    return tuple(rules)


def parse_item_row(row: PolicyRow) -> ItemRule:
    rule_id = row.values[0] if row.values else ""

    def fail(message: str) -> PolicyError:
        return PolicyError(f"{row.source}: item rule {rule_id!r}: {message}")

    if len(row.values) != len(ITEM_RULE_FIELDS):
        raise fail(f"expected {len(ITEM_RULE_FIELDS)} fields after 'p2', found {len(row.values)}")
    values = dict(zip(ITEM_RULE_FIELDS, row.values, strict=True))
    if not _RULE_ID.fullmatch(rule_id):
        raise fail("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
    if values["eft"] != "suppress":
        raise fail(f"effect must be 'suppress', not {values['eft']!r}")
    test = values["test"]
    where = values["where"]
    if test == "opted_out":
        if where != "*":
            raise fail("an opted_out rule applies wherever the entry comes from: where must be '*'")
        codes: frozenset[str] = frozenset()
    elif test == "collected_in":
        codes = alternatives(where) if where != "*" else frozenset()
        unknown_codes = sorted(
            c for c in codes if c not in known_countries() and c not in subdivisions()
        )
        if not codes or unknown_codes:
            raise fail(f"where must name ISO 3166-1 or 3166-2 codes joined by '|': {where!r}")
    else:
        raise fail(f"test must be 'opted_out' or 'collected_in', not {test!r}")
    unknown = values["unknown"]
    if unknown not in ("admit", "refuse"):
        raise fail(f"unknown must be 'admit' or 'refuse', not {unknown!r}")
    start, end = effective_period(values, fail)
    text, url = cited(values, fail)
    if not text:
        raise fail("an item rule needs its citation: it removes people from every answer")
    return ItemRule(
        rule_id,
        "opted_out" if test == "opted_out" else "collected_in",
        codes,
        start,
        end,
        "admit" if unknown == "admit" else "refuse",
        values["subject"],
        Citation(text, url),
        row.source,
    )
