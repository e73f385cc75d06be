"""Decide, per entry of a result, which item rule (if any) suppresses it at an instant.

One engine for everything that filters: the app's own call (:func:`filter_items`), the
result-filter middleware and ``jurisgate explain --item``. The rules in force are grouped once
per time segment (between two consecutive rule starts or ends); an entry's place is judged
once per distinct (region, country) in a segment and remembered, so filtering costs a few
dictionary look-ups per entry.

Unknown provenance is an outcome, never a silent allow: an entry whose fields cannot tell
whether a rule applies (no region, an unknown code, a region and a country that disagree, no
id) is refused by a rule whose ``unknown`` is ``refuse`` and counted by one that admits it.

A rule with a collection window (``ItemRule.collected``) also needs the entry's collection
instant: an entry collected outside the window is not its business, one whose ``collected_at``
cannot tell is unknown provenance to it. Segments where such a rule is in force are judged
entry by entry, rule by rule (``WindowedSegment``); the others, every bundled pack's
included, keep the remembered-places path and never read ``collected_at``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .item_rules import ItemRule
from .place_judgement import judge_place
from .verdicts import (
    ADMIT,
    DEFAULT_FIELDS,
    MAX_REMEMBERED_PLACES,
    FilterOutcome,
    ItemFields,
    Verdict,
    attributes,
)
from .windowed_segment import WindowedSegment

# The shared types are defined in verdicts.py and kept importable from here.
__all__ = ["DEFAULT_FIELDS", "FilterOutcome", "ItemFields", "ItemPolicy", "Verdict"]

# (position of the deciding rule or inf, the verdict)
_Place = tuple[float, Verdict]
# An entry's verdict by its region alone: (when its string id is not listed, when it is)
_ByRegion = dict[object, tuple[Verdict, Verdict]]


class ItemPolicy:
    """An immutable set of item rules (in precedence order: the first that suppresses decides)."""

    def __init__(self, rules: Iterable[ItemRule], *, version: str = "") -> None:
        self.rules: tuple[ItemRule, ...] = tuple(rules)
        self.version = version
        bounds = {b for r in self.rules for b in (r.start, r.end) if math.isfinite(b)}
        self.boundaries: tuple[float, ...] = tuple(sorted(bounds))
        self._segments: dict[int, _Segment] = {}
        self._by_id = {rule.id: rule for rule in self.rules}
        # Only policies with a collection window ever look at these.
        self._has_windows = any(rule.collected is not None for rule in self.rules)
        self._windowed: dict[int, WindowedSegment | None] = {}

    def rule(self, rule_id: str) -> ItemRule | None:
        return self._by_id.get(rule_id)

    def span(self, at: float) -> tuple[float, float]:
        """The instants around ``at`` between which no item rule starts or ends: [from, until)."""
        index = bisect.bisect_right(self.boundaries, at)
        return (
            self.boundaries[index - 1] if index > 0 else -math.inf,
            self.boundaries[index] if index < len(self.boundaries) else math.inf,
        )

    def _index(self, at: float) -> int:
        if at != at:  # NaN: no rule is in force at it, and it would land in the last segment
            raise ValueError("the instant to filter at is NaN")
        return bisect.bisect_right(self.boundaries, at)

    def _since(self, index: int) -> float:
        """The instant a segment is built at: its own start, not the instant that meets it
        first (an infinite one would leave out the rules that never end, for every later call)."""
        return self.boundaries[index - 1] if index else -math.inf

    def _segment(self, at: float) -> _Segment:
        index = self._index(at)
        segment = self._segments.get(index)
        if segment is None:
            segment = self._segments[index] = _Segment(self.rules, self._since(index))
        return segment

    def verdict(
        self,
        item: object,
        *,
        at: float,
        suppressed: Collection[str],
        fields: ItemFields = DEFAULT_FIELDS,
        refuse_unknown: bool = False,
    ) -> Verdict:
        """Which rule in force at ``at`` suppresses ``item`` (``suppressed``: the entry ids on
        the replica's suppression list); ``refuse_unknown`` makes every rule refuse unknowns."""
        if self._has_windows and (windowed := self._windowed_segment(at)) is not None:
            return windowed.verdict(item, suppressed, fields, refuse_unknown)
        return self._segment(at).verdict(item, suppressed, fields, refuse_unknown)

    def filter(
        self,
        items: Iterable[object],
        *,
        at: float,
        suppressed: Collection[str],
        fields: ItemFields = DEFAULT_FIELDS,
        refuse_unknown: bool = False,
    ) -> FilterOutcome:
        """The entries no rule suppresses at ``at``, in order, with per-rule counts."""
        if self._has_windows and (windowed := self._windowed_segment(at)) is not None:
            return windowed.filter(items, suppressed, fields, refuse_unknown)
        return self._segment(at).filter(items, suppressed, fields, refuse_unknown)

    def _windowed_segment(self, at: float) -> WindowedSegment | None:
        """The segment around ``at`` when a rule in force in it has a collection window."""
        index = self._index(at)
        try:
            return self._windowed[index]
        except KeyError:
            since = self._since(index)
            active = tuple(rule for rule in self.rules if rule.active(since))
            found = (
                WindowedSegment(active)
                if any(rule.collected is not None for rule in active)
                else None
            )
            self._windowed[index] = found
            return found


class _Segment:
    """The rules in force between two consecutive boundaries, and the places judged so far
    (each with its ready-made Verdict, so a common entry allocates nothing)."""

    __slots__ = ("_by_region", "_opt_outs", "_place_rules", "_places")

    def __init__(self, rules: tuple[ItemRule, ...], at: float) -> None:
        active = [(n, r) for n, r in enumerate(rules) if r.active(at)]
        # (position, rule, its verdict for a listed id, for an unknown id when it refuses)
        self._opt_outs = [
            (n, r, Verdict(True, r, False), Verdict(True, r, True))
            for n, r in active
            if r.test == "opted_out"
        ]
        self._place_rules = [(n, r) for n, r in active if r.test == "collected_in"]
        self._places: dict[tuple[object, object, bool], _Place] = {}
        # filter()'s fast lane, per refuse_unknown: for an entry without a country, its region
        # -> (its verdict when its string id is not listed, when it is).
        self._by_region: tuple[_ByRegion, _ByRegion] = ({}, {})

    def verdict(
        self, item: object, suppressed: Collection[str], fields: ItemFields, refuse_unknown: bool
    ) -> Verdict:
        get = item.get if isinstance(item, Mapping) else attributes(item)
        key = (get(fields.region), get(fields.country) if fields.country else None, refuse_unknown)
        try:
            index, found = self._places[key]
        except (KeyError, TypeError):  # TypeError: an unhashable value, judged unknown
            index, found = self._place(key)
        if self._opt_outs and self._opt_outs[0][0] < index:
            return self._opt_out(get(fields.id), index, found, suppressed, refuse_unknown)
        return found

    def filter(
        self,
        items: Iterable[object],
        suppressed: Collection[str],
        fields: ItemFields,
        refuse_unknown: bool,
    ) -> FilterOutcome:
        # verdict() for every entry of every answer. The common entry (a dict without a
        # country, its region met before, its id a string) takes a lane of a few look-ups;
        # any other entry is decided by verdict() itself.
        by_region = self._by_region[refuse_unknown]
        region_key, id_key = fields.region, fields.id
        country_key = fields.country or ""
        countryless = not country_key
        kept: list[Any] = []
        keep = kept.append
        removed: dict[str, int] = {}
        unknown: dict[str, int] = {}
        for item in items:
            if type(item) is dict and (
                countryless or country_key not in item or item[country_key] is None
            ):
                try:
                    clear, listed = by_region[item[region_key]]
                    if type(entry_id := item[id_key]) is str:
                        verdict = listed if entry_id in suppressed else clear
                    elif clear is listed:  # the id decides nothing here
                        verdict = clear
                    else:
                        verdict = self.verdict(item, suppressed, fields, refuse_unknown)
                except (KeyError, TypeError):  # no such key, a region not met yet, unhashable
                    verdict = self.verdict(item, suppressed, fields, refuse_unknown)
            else:
                verdict = self.verdict(item, suppressed, fields, refuse_unknown)
            if verdict is ADMIT:
                keep(item)
                continue
            for rule_id in verdict.admitted_unknown:
                unknown[rule_id] = unknown.get(rule_id, 0) + 1
            rule = verdict.rule
            if rule is None:
                keep(item)
                continue
            removed[rule.id] = removed.get(rule.id, 0) + 1
            if verdict.unknown:
                unknown[rule.id] = unknown.get(rule.id, 0) + 1
        return FilterOutcome(kept, removed, unknown)

    def _opt_out(
        self,
        entry_id: object,
        index: float,
        found: Verdict,
        suppressed: Collection[str],
        refuse_unknown: bool,
    ) -> Verdict:
        """The opt-out rules before the place's deciding rule (at ``index``), in order."""
        admitted: tuple[str, ...] = ()
        for number, rule, listed, refused in self._opt_outs:
            if number > index:
                break
            if type(entry_id) is str or type(entry_id) is int:
                if str(entry_id) in suppressed:
                    return listed if not admitted else Verdict(True, rule, False, admitted)
            elif refuse_unknown or rule.unknown == "refuse":
                return refused if not admitted else Verdict(True, rule, True, admitted)
            else:
                admitted = (*admitted, rule.id)
        if not admitted:
            return found
        return Verdict(
            found.suppressed, found.rule, found.unknown, (*admitted, *found.admitted_unknown)
        )

    def _place(self, key: tuple[object, object, bool]) -> _Place:
        index, rule, unknown, admitted = judge_place(self._place_rules, *key)
        if rule is None:
            verdict = ADMIT if not admitted else Verdict(False, None, False, admitted)
        else:
            verdict = Verdict(True, rule, unknown, admitted)
        place = (index, verdict)
        try:
            if len(self._places) >= MAX_REMEMBERED_PLACES:
                self._places.clear()
                self._by_region[0].clear()
                self._by_region[1].clear()
            self._places[key] = place
        except TypeError:
            return place  # an unhashable value: judged, not remembered
        region, country, refuse_unknown = key
        if country is None:
            # A string id on the suppression list is decided by the first opt-out rule, when
            # it comes before the place's own deciding rule (as _opt_out finds).
            opt_outs = self._opt_outs
            listed = opt_outs[0][2] if opt_outs and opt_outs[0][0] < index else verdict
            self._by_region[refuse_unknown][region] = (verdict, listed)
        return place
