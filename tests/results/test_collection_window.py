"""Collection windows: a ``p2`` rule's optional 11th column ``collected`` (FROM..UNTIL) limits
it to entries collected in that window; the entry says when through ``collected_at``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import FixedClock, ItemFields, PolicyError, filter_items
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.results import ItemPolicy, bundled_item_policy
from jurisgate.middleware.results.item_rules import parse_item_rules
from jurisgate.middleware.results.packs import item_policy_from_rows, pack_item_rows

CITED = ("a regulator's order", "https://example.org/order")
WINDOW = "2022-05-11..2027-05-11T05:00:00Z"
FIELDS = ItemFields(collected_at="collected_at")
LATER = "2030-01-01T00:00:00Z"  # the rule below is in force: it has no end


def values(**changes: str) -> tuple[str, ...]:
    found = {
        "id": "il-collected-during-ban",
        "eft": "suppress",
        "test": "collected_in",
        "where": "US-IL",
        "start": "2022-05-11",
        "end": "",
        "unknown": "refuse",
        "subject": "photos collected in Illinois during the ban",
        "citation": CITED[0],
        "url": CITED[1],
        "collected": WINDOW,
    }
    found.update(changes)
    return tuple(found.values())


def row(*values: str) -> PolicyRow:
    return PolicyRow("p2", values, "mine.csv:7")


def policy(**changes: str) -> ItemPolicy:
    return item_policy_from_rows([[row(*values(**changes))]])


def epoch(text: str, seconds: int = 0) -> float:
    return (
        datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    ).timestamp()


class NoOffset(tzinfo):
    """A zone that cannot say its offset: Python takes such a datetime as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


# Parsing ---------------------------------------------------------------------------------


def test_ten_and_eleven_columns_with_no_window_parse_alike() -> None:
    ten, eleven = parse_item_rules([row(*values()[:-1]), row(*values(id="b", collected=""))])
    assert ten.collected is None
    assert eleven.collected is None


def test_a_window_parses_start_inclusive_end_exclusive() -> None:
    (rule,) = parse_item_rules([row(*values())])
    assert rule.collected == (epoch("2022-05-11T00:00:00Z"), epoch("2027-05-11T05:00:00Z"))
    (open_end,) = parse_item_rules([row(*values(collected="2022-05-11T00:00:00+02:00.."))])
    assert open_end.collected == (epoch("2022-05-10T22:00:00Z"), float("inf"))
    (open_start,) = parse_item_rules([row(*values(collected="..2027-05-11"))])
    assert open_start.collected == (float("-inf"), epoch("2027-05-11T00:00:00Z"))


@pytest.mark.parametrize(
    ("collected", "message"),
    [
        ("2022-05-11", "collected must be a window FROM..UNTIL"),
        ("2022-05-11..2023-01-01..2024-01-01", "collected must be a window FROM..UNTIL"),
        ("..", "open on both sides"),
        ("yesterday..", "ISO 8601"),
        ("2027-05-11..2022-05-11", "the collection window ends before it starts"),
        ("2027-05-11..2027-05-11", "the collection window ends before it starts"),
    ],
)
def test_a_bad_window_stops_loading_naming_file_row_and_column(
    collected: str, message: str
) -> None:
    with pytest.raises(
        PolicyError, match=r"mine\.csv:7: item rule 'il-collected-during-ban'"
    ) as caught:
        parse_item_rules([row(*values(collected=collected))])
    assert message in str(caught.value)


def test_an_opt_out_rule_takes_no_window() -> None:
    with pytest.raises(PolicyError, match="an opted_out rule follows the person"):
        parse_item_rules([row(*values(test="opted_out", where="*"))])
    (rule,) = parse_item_rules([row(*values(test="opted_out", where="*", collected=""))])
    assert rule.collected is None


def test_twelve_columns_are_refused() -> None:
    with pytest.raises(PolicyError, match="expected 10 or 11 fields after 'p2', found 12"):
        parse_item_rules([row(*values(), "extra")])


def test_the_bundled_packs_have_no_window() -> None:
    for pack in ("clearview_settlement", "foreign_orders"):
        assert all(rule.collected is None for rule in parse_item_rules(pack_item_rows(pack)))


# The engine ------------------------------------------------------------------------------


def removed_by(entry: dict[str, Any], *, at: str = LATER, **changes: str) -> str | None:
    verdict = policy(**changes).verdict(entry, at=epoch(at), suppressed=(), fields=FIELDS)
    return verdict.rule.id if verdict.rule is not None else None


def illinois(collected_at: object) -> dict[str, Any]:
    return {"id": "a", "source_region": "US-IL", "collected_at": collected_at}


def iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat().replace("+00:00", "Z")


START, END = epoch("2022-05-11T00:00:00Z"), epoch("2027-05-11T05:00:00Z")


@pytest.mark.parametrize(
    ("collected", "expected"),
    [
        (START - 1, None),
        (START, "il-collected-during-ban"),
        (START + 1, "il-collected-during-ban"),
        (END - 1, "il-collected-during-ban"),
        (END, None),
        (END + 1, None),
    ],
)
def test_window_boundaries(collected: float, expected: str | None) -> None:
    assert removed_by(illinois(iso(collected))) == expected
    assert removed_by(illinois(collected)) == expected  # epoch seconds
    assert removed_by(illinois(int(collected))) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-01-01T00:00:00Z",
        "2023-01-01T00:00:00+00:00",
        "2022-12-31T18:00:00-06:00",
        "2023-01-01T00:00:00.250Z",
        datetime(2023, 1, 1, tzinfo=UTC),
        datetime(2022, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_collected_at_forms_that_are_read(value: object) -> None:
    assert removed_by(illinois(value)) == "il-collected-during-ban"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "2023-01-01T00:00:00",  # naive: which zone? unknown
        "2023-01-01",  # a date has no zone either
        datetime(2023, 1, 1),
        "soon",
        "",
        True,
        float("nan"),
        float("inf"),
        ["2023-01-01T00:00:00Z"],
        {"at": 1},
        "2023-01-01T00:00:00Z" + " " * 100,  # longer than any instant: not parsed
        # No float holds it (the stdlib reads such a JSON integer exactly).
        pytest.param(10**400, id="huge-int"),
        pytest.param(-(10**400), id="huge-negative-int"),
        # A zone that cannot say its offset: naive after all.
        pytest.param(datetime(2023, 1, 1, tzinfo=NoOffset()), id="zone-without-offset"),
    ],
)
def test_unreadable_collected_at_is_unknown_provenance(value: object) -> None:
    entry = illinois(value)
    refused = filter_items([entry], at=LATER, suppressed=(), policy=policy(), fields=FIELDS)
    assert refused.items == []
    assert refused.removed == {"il-collected-during-ban": 1}
    assert refused.unknown == {"il-collected-during-ban": 1}
    admitted = filter_items(
        [entry], at=LATER, suppressed=(), policy=policy(unknown="admit"), fields=FIELDS
    )
    assert admitted.items == [entry]
    assert admitted.removed == {}
    assert admitted.unknown == {"il-collected-during-ban": 1}
    forced = filter_items(
        [entry],
        at=LATER,
        suppressed=(),
        policy=policy(unknown="admit"),
        fields=FIELDS,
        refuse_unknown=True,
    )
    assert forced.removed == {"il-collected-during-ban": 1}


def test_a_missing_field_or_no_configured_field_is_unknown_too() -> None:
    entry = {"id": "a", "source_region": "US-IL"}
    assert filter_items([entry], at=LATER, suppressed=(), policy=policy(), fields=FIELDS).unknown
    # Without a configured collected_at no entry can show it was collected outside the window.
    outcome = filter_items(
        [illinois("2019-01-01T00:00:00Z")], at=LATER, suppressed=(), policy=policy()
    )
    assert outcome.removed == {"il-collected-during-ban": 1}
    assert outcome.unknown == {"il-collected-during-ban": 1}


def test_a_place_the_rule_does_not_name_needs_no_collection_time() -> None:
    entry = {"id": "a", "source_region": "US-NY"}
    outcome = filter_items([entry], at=LATER, suppressed=(), policy=policy(), fields=FIELDS)
    assert outcome.items == [entry]
    assert outcome.unknown == {}


def test_unknown_place_and_known_collection_time_outside_the_window() -> None:
    # Collected before the window: the rule cannot apply, wherever the photo was taken.
    entry = {"id": "a", "collected_at": "2020-01-01T00:00:00Z"}
    outcome = filter_items([entry], at=LATER, suppressed=(), policy=policy(), fields=FIELDS)
    assert outcome.items == [entry]
    assert outcome.unknown == {}
    inside = {"id": "a", "collected_at": "2023-01-01T00:00:00Z"}
    outcome = filter_items([inside], at=LATER, suppressed=(), policy=policy(), fields=FIELDS)
    assert outcome.unknown == {"il-collected-during-ban": 1}


def test_the_rule_applies_only_while_in_force() -> None:
    entry = illinois("2023-01-01T00:00:00Z")
    ending = {"end": "2028-01-01"}
    assert removed_by(entry, at="2027-12-31T23:59:59Z", **ending) == "il-collected-during-ban"
    assert removed_by(entry, at="2028-01-01T00:00:00Z", **ending) is None


def test_a_windowed_rule_falls_through_to_the_next_rule_in_order() -> None:
    rows = [
        row(*values()),
        PolicyRow("p2", values(id="il-always", collected="")[:-1], "mine.csv:8"),
    ]
    both = item_policy_from_rows([rows])
    outside = illinois("2020-01-01T00:00:00Z")
    outcome = filter_items([outside], at=LATER, suppressed=(), policy=both, fields=FIELDS)
    assert outcome.removed == {"il-always": 1}
    opted = {"id": "x", "source_region": "US-NY", "collected_at": 1.0}
    with_packs = item_policy_from_rows([pack_item_rows("clearview_settlement"), rows])
    outcome = filter_items([opted], at=LATER, suppressed={"x"}, policy=with_packs, fields=FIELDS)
    assert outcome.removed == {"il-opt-out": 1}


@dataclass
class Photo:
    id: str
    source_region: str
    collected_at: datetime


def test_the_apps_own_objects_carry_a_datetime() -> None:
    photos = [
        Photo("a", "US-IL", datetime(2023, 1, 1, tzinfo=UTC)),
        Photo("b", "US-IL", datetime(2021, 1, 1, tzinfo=UTC)),
    ]
    outcome = filter_items(photos, at=LATER, suppressed=(), policy=policy(), fields=FIELDS)
    assert outcome.items == [photos[1]]


# Properties ------------------------------------------------------------------------------

REGIONS = ["US-IL", "US-NY", "FR-75C", "IT-RM", "GB-LND", "CA-BC", "BR-SP", "Illinois"]
IDS = [f"e{n}" for n in range(8)]
COLLECTED = st.one_of(
    st.none(),
    st.integers(min_value=1_500_000_000, max_value=1_900_000_000),
    st.sampled_from(["2021-01-01T00:00:00Z", "2024-01-01T00:00:00+01:00", "2024-01-01", "x"]),
)
entries = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(IDS)},
        optional={"source_region": st.sampled_from(REGIONS), "collected_at": COLLECTED},
    ),
    max_size=25,
)
instants = st.integers(min_value=1_600_000_000, max_value=1_900_000_000).map(float)


@settings(max_examples=200, deadline=None)
@given(entries, st.frozensets(st.sampled_from(IDS)), instants, st.booleans())
def test_without_windows_the_results_are_todays(
    found: list[dict[str, Any]], suppressed: frozenset[str], at: float, refuse: bool
) -> None:
    today = bundled_item_policy()
    eleven = item_policy_from_rows(
        [
            [PolicyRow(r.ptype, (*r.values, ""), r.source) for r in pack_item_rows(p)]
            for p in ("clearview_settlement", "foreign_orders")
        ]
    )
    expected = today.filter(found, at=at, suppressed=suppressed, refuse_unknown=refuse)
    for chosen, fields in ((today, FIELDS), (eleven, FIELDS), (eleven, ItemFields())):
        got = chosen.filter(
            found, at=at, suppressed=suppressed, fields=fields, refuse_unknown=refuse
        )
        assert (got.items, got.removed, got.unknown) == (
            expected.items,
            expected.removed,
            expected.unknown,
        )


@settings(max_examples=200, deadline=None)
@given(entries, st.frozensets(st.sampled_from(IDS)), instants, st.sampled_from(["refuse", "admit"]))
def test_with_a_window_filtering_agrees_with_entry_by_entry_verdicts(
    found: list[dict[str, Any]], suppressed: frozenset[str], at: float, unknown: str
) -> None:
    windowed = item_policy_from_rows(
        [pack_item_rows("clearview_settlement"), [row(*values(unknown=unknown))]]
    )
    outcome = windowed.filter(found, at=at, suppressed=suppressed, fields=FIELDS)
    # Each entry judged by a fresh policy: nothing remembered from another entry.
    verdicts = [
        ItemPolicy(windowed.rules).verdict(e, at=at, suppressed=suppressed, fields=FIELDS)
        for e in found
    ]
    assert outcome.items == [e for e, v in zip(found, verdicts, strict=True) if not v.suppressed]
    assert outcome.removed_total == len(found) - len(outcome.items)
    removed = Counter(v.rule.id for v in verdicts if v.rule is not None)
    unknowns = Counter(v.rule.id for v in verdicts if v.rule is not None and v.unknown)
    unknowns.update(rule_id for v in verdicts for rule_id in v.admitted_unknown)
    assert outcome.removed == dict(removed)
    assert outcome.unknown == dict(unknowns)
    for entry, verdict in zip(found, verdicts, strict=True):
        if verdict.rule is not None and verdict.rule.id == "il-collected-during-ban":
            assert entry.get("source_region") in (None, "US-IL", "Illinois")


def test_filter_items_at_accepts_the_usual_instants() -> None:
    entry = illinois("2023-01-01T00:00:00Z")
    clock = FixedClock(LATER)
    outcome = filter_items([entry], at=clock.now(), suppressed=(), policy=policy(), fields=FIELDS)
    assert outcome.removed == {"il-collected-during-ban": 1}


def test_the_example_apps_entries_say_when_they_were_collected(search_api: ModuleType) -> None:
    from jurisgate.middleware import load_config
    from jurisgate.middleware.results.collection_window import collected_instant

    from ..conftest import DEV_CONFIG

    (route,) = load_config(DEV_CONFIG).results
    assert route.fields == search_api.FIELDS
    assert route.fields.collected_at == "collected_at"
    instants = [collected_instant(entry["collected_at"]) for entry in search_api.INDEX]
    assert None not in instants
    assert len(set(instants)) > 1
    # The example's own call reads them: a windowed rule keeps the ones collected outside it.
    outcome = filter_items(
        search_api.INDEX, at=LATER, suppressed=(), policy=policy(), fields=search_api.FIELDS
    )
    chicago = [e for e in search_api.INDEX if e["source_region"] == "US-IL"]
    kept = [e for e in chicago if e in outcome.items]
    assert kept
    assert len(kept) < len(chicago)
