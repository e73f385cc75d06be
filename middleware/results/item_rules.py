"""Turn ``p2`` policy rows into validated item rules, or say which row is wrong and why.

An item rule names a test on a result's entry (``opted_out``: its id is on the replica's
suppression list; ``collected_in``: its photo was taken or uploaded in one of the ``where``
codes), the period in which it applies to answers (start inclusive, end exclusive, UTC unless an
offset is given), what to do with an entry whose provenance cannot tell (``admit`` or
``refuse``), the data-subject test in the regulator's words, its citation, and optionally (an
11th column, ``collected``) the window in which the entries it removes were collected
(collection_window.py). Rows of 10 columns are rules without a window.
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
from .collection_window import CollectionWindow, parse_window

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
    "collected",
)  # fmt: skip
# The columns a row must have; ``collected`` may be left off (no window).
_REQUIRED_FIELDS: Final = len(ITEM_RULE_FIELDS) - 1
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
    collected: CollectionWindow | None = None  # None: whenever the entry was collected

    def active(self, at: float) -> bool:
        return self.start <= at < self.end

    def collected_within(self, at: float) -> bool:
        """Whether an entry collected at ``at`` is one this rule may remove."""
        return self.collected is None or self.collected[0] <= at < self.collected[1]


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

    if len(row.values) not in (_REQUIRED_FIELDS, len(ITEM_RULE_FIELDS)):
        raise fail(
            f"expected {_REQUIRED_FIELDS} or {len(ITEM_RULE_FIELDS)} fields after 'p2', "
            f"found {len(row.values)}"
        )
    values = dict(zip(ITEM_RULE_FIELDS, row.values, strict=False))
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
    try:
        collected = parse_window(values.get("collected", ""))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if collected is not None and test == "opted_out":
        # Narrowing an opt-out by collection time would show some of an opted-out person's
        # photos again: the opt-out covers them all.
        raise fail(
            "an opted_out rule follows the person, whenever a photo was collected: "
            "leave collected empty"
        )
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
        collected,
    )
