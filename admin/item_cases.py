"""Item cases of ``jurisgate test``: an entry as the app returns it, instead of claims::

    - name: a photo uploaded in Illinois is filtered until the settlement's term ends
      item: {id: face-0004, source_region: US-IL}
      suppressed: false                  # optional: is its id on the suppression list?
      at: "2027-05-11T04:59:59Z"         # optional; defaults to now
      collected_at: "2024-01-01T00:00:00Z"   # optional: when the photo was collected
      expect: {suppressed: true, rule: il-photos-five-years}   # rule optional (null: none)

Decided by ``ItemPolicy.verdict``, the engine of the result filter, with the fields of the
config's ``[[results]]`` table (``route:`` picks one when there are several). The entry may
carry its collection instant in the table's ``collected_at`` field, or the case says it with
``collected_at:`` (an ISO 8601 date-time with ``Z`` or an offset, or epoch seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.results import ItemFields, ItemPolicy
from jurisgate.middleware.results.collection_window import collected_instant

__all__ = ["ItemCase", "ItemOutcome", "item_case", "run_item_cases"]

_KEYS: Final = frozenset({"name", "item", "suppressed", "route", "at", "collected_at", "expect"})
_COLLECTED_AT: Final = "collected_at"  # the entry's field when the config names none
_EXPECT_KEYS: Final = frozenset({"suppressed", "rule"})
UNSET: Final = object()


@dataclass(frozen=True, slots=True)
class ItemCase:
    name: str
    item: Mapping[str, Any]
    suppressed: bool
    route: str | None
    at: float | None
    expect_suppressed: bool
    rule: object  # a rule id, None for "no rule", or UNSET when the case does not say
    collected_at: float | None = None  # the case's own collection instant, when it gives one


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    case: ItemCase
    suppressed: bool
    rule: str | None

    @property
    def passed(self) -> bool:
        return self.suppressed == self.case.expect_suppressed and self.case.rule in (
            UNSET,
            self.rule,
        )

    def __str__(self) -> str:
        if self.passed:
            return f"PASS  {self.case.name}"
        expected = _answer(self.case.expect_suppressed, self.case.rule)
        got = _answer(self.suppressed, self.rule)
        return f"FAIL  {self.case.name}: expected {expected}, got {got}"


def item_case(
    item: dict[str, Any], where: str, at: Callable[[object, str], float | None]
) -> ItemCase:
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise JurisgateError(f"{where}: unknown key {unknown[0]!r} (an item case has no claims)")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise JurisgateError(f"{where}: name must be a non-empty string")
    where = f"{where} ({name})"
    entry = item["item"]
    if not isinstance(entry, dict):
        raise JurisgateError(f"{where}: item must be a mapping (the entry as the app returns it)")
    suppressed = item.get("suppressed", False)
    route = item.get("route")
    if not isinstance(suppressed, bool) or (route is not None and not isinstance(route, str)):
        raise JurisgateError(f"{where}: suppressed must be true or false, route a path")
    expect = item.get("expect")
    if not isinstance(expect, dict) or not isinstance(expect.get("suppressed"), bool):
        raise JurisgateError(f"{where}: expect must be a mapping with suppressed: true or false")
    extra = sorted(set(expect) - _EXPECT_KEYS)
    if extra:
        raise JurisgateError(f"{where}: unknown key expect.{extra[0]}")
    rule = expect.get("rule", UNSET)
    if rule is not UNSET and rule is not None and not isinstance(rule, str):
        raise JurisgateError(f"{where}: expect.rule must be a rule id or null")
    collected_at = None
    if item.get("collected_at") is not None:
        collected_at = collected_instant(item["collected_at"])
        if collected_at is None:
            raise JurisgateError(
                f"{where}: collected_at must be an ISO 8601 date-time with Z or an offset, "
                "or epoch seconds"
            )
    return ItemCase(
        name,
        entry,
        suppressed,
        route,
        at(item.get("at"), where),
        expect["suppressed"],
        rule,
        collected_at,
    )


def run_item_cases(
    policy: ItemPolicy,
    cases: list[ItemCase],
    *,
    now: float,
    fields_for: Callable[[str | None], ItemFields],
) -> list[ItemOutcome]:
    outcomes = []
    for case in cases:
        fields = fields_for(case.route)
        entry = case.item
        if case.collected_at is not None:
            name = fields.collected_at or _COLLECTED_AT
            entry = {**entry, name: case.collected_at}
            fields = replace(fields, collected_at=name)
        listed = frozenset({str(case.item.get(fields.id))}) if case.suppressed else frozenset()
        at = case.at if case.at is not None else now
        verdict = policy.verdict(entry, at=at, suppressed=listed, fields=fields)
        rule = verdict.rule.id if verdict.rule is not None else None
        outcomes.append(ItemOutcome(case, verdict.suppressed, rule))
    return outcomes


def _answer(suppressed: bool, rule: object) -> str:
    shown = "suppressed" if suppressed else "shown"
    if rule is UNSET:
        return shown
    return f"{shown} (rule {rule})" if rule is not None else f"{shown} (no rule)"
