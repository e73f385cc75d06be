"""The item engine: unknown provenance, precedence, and entries as mappings or objects."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jurisgate.middleware import ItemFields, filter_items
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.results.packs import item_policy_from_rows

NOW = "2026-06-01T00:00:00Z"


def test_unknown_provenance_is_refused_by_a_refusing_rule_and_recorded() -> None:
    entries = [
        {"id": "a"},  # no place at all
        {"id": "b", "source_region": "Illinois"},  # not an ISO code
        {"id": "c", "source_region": "US-NY", "source_country": "FR"},  # they disagree
        {"id": "d", "source_country": "US"},  # a US entry could be from Illinois
        {"id": "e", "source_region": "US-NY"},
    ]
    outcome = filter_items(entries, at=NOW, suppressed=())
    assert outcome.items == [entries[4]]
    assert outcome.removed == {"il-photos-five-years": 4}
    assert outcome.unknown == {"il-photos-five-years": 4}


def test_a_country_only_entry_outside_every_rule_is_kept() -> None:
    entries = [{"id": "a", "source_country": "BR"}, {"id": "b", "source_country": "CA"}]
    # Canada: the provincial orders name subdivisions, so a Canadian entry without a
    # province cannot be told apart from a British Columbian one: refused, counted unknown.
    outcome = filter_items(entries, at=NOW, suppressed=())
    assert outcome.items == [entries[0]]
    assert outcome.removed == {"ca-bc-oipc-2021": 1}


def test_an_admitting_rule_counts_the_unknown_and_keeps_the_entry() -> None:
    rows = [
        PolicyRow(
            "p2",
            ("x", "suppress", "collected_in", "US-IL", "", "", "admit", "s", "c", ""),
            "t:1",
        )
    ]
    policy = item_policy_from_rows([rows])
    entry = {"id": "a"}
    outcome = filter_items([entry], at=NOW, suppressed=(), policy=policy)
    assert outcome.items == [entry]
    assert outcome.unknown == {"x": 1}
    assert not outcome.removed
    refused = filter_items([entry], at=NOW, suppressed=(), policy=policy, refuse_unknown=True)
    assert refused.items == []
    assert refused.removed == {"x": 1}


def test_an_entry_without_an_id_cannot_be_cleared_of_an_opt_out() -> None:
    outcome = filter_items(
        [{"source_region": "US-NY"}, {"id": 7, "source_region": "US-NY"}], at=NOW, suppressed={"7"}
    )
    assert outcome.items == []
    assert outcome.removed == {"il-opt-out": 2}
    assert outcome.unknown == {"il-opt-out": 1}


@dataclass
class Face:
    key: str
    where: str


def test_the_apps_own_objects_with_configured_field_names() -> None:
    faces = [Face("1", "US-IL"), Face("2", "US-TX"), Face("3", "US-TX")]
    fields = ItemFields(id="key", region="where", country=None)
    outcome = filter_items(faces, at=NOW, suppressed={"3"}, fields=fields)
    assert outcome.items == [faces[1]]
    assert outcome.removed == {"il-photos-five-years": 1, "il-opt-out": 1}


def test_the_first_rule_in_order_decides() -> None:
    # Suppressed and from Illinois: the opt-out comes first in the pack.
    outcome = filter_items([{"id": "a", "source_region": "US-IL"}], at=NOW, suppressed={"a"})
    assert outcome.removed == {"il-opt-out": 1}


REGIONS = ["US-IL", "US-NY", "US-TX", "FR-75C", "IT-RM", "GB-LND", "CA-BC", "CA-ON", "BR-SP"]
entry = st.fixed_dictionaries(
    {"id": st.sampled_from([f"e{n}" for n in range(12)])},
    optional={"source_region": st.sampled_from(REGIONS)},
)


@given(st.lists(entry, max_size=30), st.frozensets(st.sampled_from([f"e{n}" for n in range(12)])))
def test_filtering_agrees_with_entry_by_entry_verdicts(
    entries: list[dict[str, str]], suppressed: frozenset[str]
) -> None:
    from jurisgate.middleware.results import bundled_item_policy

    policy = bundled_item_policy()
    outcome = filter_items(entries, at=NOW, suppressed=suppressed, policy=policy)
    verdicts = [policy.verdict(e, at=outcome_at(), suppressed=suppressed) for e in entries]
    assert outcome.items == [e for e, v in zip(entries, verdicts, strict=True) if not v.suppressed]
    assert not any(e["id"] in suppressed for e in outcome.items)
    assert sum(outcome.removed.values()) == len(entries) - len(outcome.items)


def outcome_at() -> float:
    from jurisgate.middleware import FixedClock

    return FixedClock(NOW).now()


@pytest.mark.parametrize("value", [["US-IL"], {"r": 1}, 3.5, True])
def test_odd_values_are_unknown_never_an_error(value: object) -> None:
    outcome = filter_items([{"id": "a", "source_region": value}], at=NOW, suppressed=())
    assert outcome.items == []
    assert outcome.unknown == {"il-photos-five-years": 1}
