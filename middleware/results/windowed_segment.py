"""The item rules of a time segment in which one has a collection window (``ItemRule.collected``):
an entry collected outside the window is not that rule's business, one whose ``collected_at``
cannot tell is unknown provenance to it. Judged entry by entry, rule by rule; the segments
without such a rule (every bundled pack's) keep item_policy.py's remembered-places path.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .collection_window import collected_instant
from .item_rules import ItemRule
from .place_judgement import judge_place
from .verdicts import ADMIT, MAX_REMEMBERED_PLACES, FilterOutcome, ItemFields, Verdict, attributes

__all__ = ["WindowedSegment"]


class WindowedSegment:
    """The rules in force in a segment where one has a collection window: each entry is
    judged rule by rule, in order (Kleene "and" of place, or listed id, and collection time:
    a rule that cannot apply is skipped, one that may apply is unknown provenance). The
    verdict is remembered per (place, listed?, collection slice between two window bounds)."""

    __slots__ = ("_bounds", "_memo", "_rules")

    def __init__(self, active: tuple[ItemRule, ...]) -> None:
        self._rules = active
        windows = [rule.collected for rule in active if rule.collected is not None]
        self._bounds = sorted({b for window in windows for b in window if math.isfinite(b)})
        self._memo: dict[tuple[object, ...], Verdict] = {}

    def verdict(
        self, item: object, suppressed: Collection[str], fields: ItemFields, refuse_unknown: bool
    ) -> Verdict:
        get = item.get if isinstance(item, Mapping) else attributes(item)
        region = get(fields.region)
        country = get(fields.country) if fields.country else None
        collected = collected_instant(get(fields.collected_at)) if fields.collected_at else None
        entry_id = get(fields.id)
        listed = (
            str(entry_id) in suppressed if type(entry_id) is str or type(entry_id) is int else None
        )
        # Every instant between two window bounds is judged alike: remember the slice.
        slot = -1 if collected is None else bisect.bisect_right(self._bounds, collected)
        key = (region, country, listed, slot, refuse_unknown)
        try:
            return self._memo[key]
        except (KeyError, TypeError):  # TypeError: an unhashable value, judged each time
            found = self._judge(region, country, listed, collected, refuse_unknown)
        try:
            if len(self._memo) >= MAX_REMEMBERED_PLACES:
                self._memo.clear()
            self._memo[key] = found
        except TypeError:
            pass
        return found

    def _judge(
        self,
        region: object,
        country: object,
        listed: bool | None,
        collected: float | None,
        refuse_unknown: bool,
    ) -> Verdict:
        admitted: list[str] = []
        for rule in self._rules:
            applies: bool | None
            if rule.test == "opted_out":
                applies = listed
            else:
                _, found, unknown, _ = judge_place([(0, rule)], region, country, True)
                applies = None if unknown else found is not None
            if applies is False:
                continue
            if rule.collected is not None:
                if collected is None:
                    applies = None
                elif not rule.collected_within(collected):
                    continue
            if applies:
                return Verdict(True, rule, False, tuple(admitted))
            if refuse_unknown or rule.unknown == "refuse":
                return Verdict(True, rule, True, tuple(admitted))
            admitted.append(rule.id)
        return Verdict(False, None, False, tuple(admitted)) if admitted else ADMIT

    def filter(
        self,
        items: Iterable[object],
        suppressed: Collection[str],
        fields: ItemFields,
        refuse_unknown: bool,
    ) -> FilterOutcome:
        kept: list[Any] = []
        removed: dict[str, int] = {}
        unknown: dict[str, int] = {}
        for item in items:
            verdict = self.verdict(item, suppressed, fields, refuse_unknown)
            for rule_id in verdict.admitted_unknown:
                unknown[rule_id] = unknown.get(rule_id, 0) + 1
            rule = verdict.rule
            if rule is None:
                kept.append(item)
                continue
            removed[rule.id] = removed.get(rule.id, 0) + 1
            if verdict.unknown:
                unknown[rule.id] = unknown.get(rule.id, 0) + 1
        return FilterOutcome(kept, removed, unknown)
