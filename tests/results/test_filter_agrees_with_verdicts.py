"""``ItemPolicy.filter`` takes shortcuts over whole answers (issue #16's speed target); whatever
the entries, rules and instant, it must keep, remove and count exactly as deciding each entry
on its own with ``ItemPolicy.verdict`` does."""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import FixedClock, ItemFields, filter_items
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.results import FilterOutcome, ItemPolicy, bundled_item_policy
from jurisgate.middleware.results.packs import item_policy_from_rows, pack_item_rows

IDS = ["a", "b", "c", "7", "face-1", "US-IL"]
PLACES = ["US-IL", "US-NY", "US-TX", "FR", "FR-75C", "IT-RM", "CA-BC", "CA-ON", "GB", "BR-SP"]
COUNTRIES = ["US", "FR", "IT", "CA", "BR", "GB"]
WHERE = ["US-IL", "US-IL|US-NY", "FR", "IT", "CA-BC", "CA", "GB|FR", "US"]
# Instants around the rules' own boundaries (each rule starts or ends on one of these days).
DAYS = ["2020-01-01", "2022-05-11", "2024-01-01", "2027-05-11"]
AT = [FixedClock(day).now() + shift for day in DAYS for shift in (-1.0, 0.0)] + [math.inf]


class Tag(str):
    """A str subclass: the engine reads only exact str ids and codes as known."""


@dataclass
class Face:
    id: object = None
    source_region: object = None
    source_country: object = None


class Record(Mapping[str, object]):
    """A mapping that is not a dict."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Rewritten(dict[str, object]):
    """A dict whose own ``get`` says something else than its contents."""

    def get(self, key: str, default: object = None) -> object:
        return "US-IL" if key == "source_region" else super().get(key, default)


ids = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from([7, 8, True, None, 7.0, Tag("a"), ["a"]]),
)
places = st.one_of(
    st.sampled_from(PLACES),
    st.sampled_from(["Illinois", "us-il", "", "XX-99", None, 3, True, Tag("US-IL"), ["US-IL"]]),
)
countries = st.one_of(st.sampled_from(COUNTRIES), st.sampled_from(["", "ZZ", None, ["US"]]))
dicts = st.fixed_dictionaries(
    {},
    optional={"id": ids, "source_region": places, "source_country": countries, "n": st.integers()},
)


def wrap(kind: str, values: dict[str, object]) -> object:
    if kind == "object":
        return Face(**{k: v for k, v in values.items() if k != "n"})
    if kind == "mapping":
        return Record(values)
    if kind == "ordered":
        return OrderedDict(values)
    if kind == "defaultdict":
        return defaultdict(lambda: "US-IL", values)
    if kind == "rewritten":
        return Rewritten(values)
    return values


entry = st.builds(
    wrap,
    st.sampled_from(["dict"] * 12 + ["object", "mapping", "ordered", "defaultdict", "rewritten"]),
    dicts,
)
# Most answers are all plain dicts (the shortcut's case); some hold other kinds too.
answers: st.SearchStrategy[list[Any]] = st.one_of(
    st.lists(st.builds(dict, dicts), max_size=25), st.lists(entry, max_size=25)
)


@st.composite
def policies(draw: st.DrawFn) -> ItemPolicy:
    """1-6 rules in any order: opt-outs and place rules, each admitting or refusing unknowns,
    with periods that start and end on the days above."""
    count = draw(st.integers(1, 6))
    rows = []
    for number in range(count):
        opted_out = draw(st.booleans())
        start = draw(st.sampled_from(["", *DAYS]))
        end = draw(st.sampled_from(["", *(day for day in DAYS if day > start)]))
        values = (
            f"r{number}",
            "suppress",
            "opted_out" if opted_out else "collected_in",
            "*" if opted_out else draw(st.sampled_from(WHERE)),
            start,
            end,
            draw(st.sampled_from(["admit", "refuse"])),
            "subject",
            "citation",
            "",
        )
        rows.append(PolicyRow("p2", values, f"t.csv:{number}"))
    return item_policy_from_rows([rows])


fields = st.sampled_from(
    [ItemFields(), ItemFields(country=None), ItemFields(id="n", region="source_country")]
)
suppressions = st.builds(
    lambda kind, found: kind(found),
    st.sampled_from([frozenset, set, tuple, list]),
    st.lists(st.sampled_from(IDS), max_size=4),
)


def by_verdicts(
    policy: ItemPolicy,
    entries: list[Any],
    *,
    at: float,
    suppressed: Any,
    fields: ItemFields,
    refuse_unknown: bool,
) -> FilterOutcome:
    """The reference: one verdict per entry, counted the way FilterOutcome documents."""
    kept, removed, unknown = [], Counter[str](), Counter[str]()
    for item in entries:
        verdict = policy.verdict(
            item, at=at, suppressed=suppressed, fields=fields, refuse_unknown=refuse_unknown
        )
        unknown.update(verdict.admitted_unknown)
        if verdict.rule is None:
            kept.append(item)
            continue
        removed[verdict.rule.id] += 1
        if verdict.unknown:
            unknown[verdict.rule.id] += 1
    return FilterOutcome(kept, dict(removed), dict(unknown))


def assert_same(got: FilterOutcome, want: FilterOutcome) -> None:
    assert [id(item) for item in got.items] == [id(item) for item in want.items]
    assert got.removed == want.removed
    assert got.unknown == want.unknown


@settings(max_examples=600, deadline=None)
@given(
    policies(),
    answers,
    st.sampled_from(AT),
    suppressions,
    fields,
    st.booleans(),
)
def test_filter_agrees_with_one_verdict_per_entry(
    policy: ItemPolicy,
    entries: list[Any],
    at: float,
    suppressed: Any,
    fields: ItemFields,
    refuse_unknown: bool,
) -> None:
    options = {"suppressed": suppressed, "fields": fields, "refuse_unknown": refuse_unknown}
    want = by_verdicts(policy, entries, at=at, **options)
    assert_same(policy.filter(entries, at=at, **options), want)
    # Twice: the second answer meets the places the first one judged and remembered.
    assert_same(policy.filter(iter(entries), at=at, **options), want)


@settings(max_examples=300, deadline=None)
@given(answers, st.sampled_from(AT), suppressions, st.booleans())
def test_the_bundled_packs_agree_with_one_verdict_per_entry(
    entries: list[Any], at: float, suppressed: Any, refuse_unknown: bool
) -> None:
    policy = bundled_item_policy()
    want = by_verdicts(
        policy,
        entries,
        at=at,
        suppressed=suppressed,
        fields=ItemFields(),
        refuse_unknown=refuse_unknown,
    )
    got = filter_items(
        entries, at=at, suppressed=suppressed, policy=policy, refuse_unknown=refuse_unknown
    )
    assert_same(got, want)


@pytest.mark.parametrize("at", [1_779_000_000.0, 1_779_000_000, "2026-05-17T06:40:00Z"])
def test_an_instant_as_float_int_or_text_decides_alike(at: float | str) -> None:
    entries = [{"id": "a", "source_region": "US-IL"}, {"id": "b", "source_region": "US-NY"}]
    outcome = filter_items(entries, at=at, suppressed={"b"})
    assert outcome.items == []
    assert outcome.removed == {"il-photos-five-years": 1, "il-opt-out": 1}


def test_the_kept_list_is_a_new_list_even_when_nothing_is_removed() -> None:
    entries = [{"id": "a", "source_region": "US-NY"}]
    outcome = filter_items(entries, at=1_779_000_000.0, suppressed=())
    assert outcome.items == entries
    assert outcome.items is not entries


def test_an_infinite_instant_leaves_the_rules_in_force_for_later_calls() -> None:
    policy = item_policy_from_rows([pack_item_rows("clearview_settlement")])
    entry = {"id": "a", "source_region": "US-NY"}
    policy.filter([entry], at=math.inf, suppressed={"a"})  # first into the last segment
    later = policy.filter([entry], at=FixedClock("2099-01-01").now(), suppressed={"a"})
    assert later.removed == {"il-opt-out": 1}


def test_a_nan_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        bundled_item_policy().filter([{"id": "a"}], at=math.nan, suppressed=())


def test_an_infinite_instant_leaves_a_collection_window_in_force_for_later_calls() -> None:
    windowed = PolicyRow(
        "p2",
        (
            "il-window",
            "suppress",
            "collected_in",
            "US-IL",
            "2022-05-11",
            "",
            "refuse",
            "s",
            "c",
            "",
            "2022-05-11..2027-05-11",
        ),  # citation, no URL, the collection window
        "t.csv:1",
    )
    policy = item_policy_from_rows([[windowed]])
    fields = ItemFields(collected_at="collected_at")
    after_the_window = {"id": "a", "source_region": "US-IL", "collected_at": "2028-01-01T00:00:00Z"}
    policy.filter([after_the_window], at=math.inf, suppressed=(), fields=fields)
    later = policy.filter(
        [after_the_window], at=FixedClock("2030-01-01").now(), suppressed=(), fields=fields
    )
    assert later.items == [after_the_window]
