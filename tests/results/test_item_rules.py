"""Item rules: parsing, the bundled packs, and each rule's boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jurisgate.middleware import PolicyError
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.results import ItemSettings, bundled_item_policy, filter_items
from jurisgate.middleware.results.item_rules import parse_item_rules
from jurisgate.middleware.results.packs import item_policy_for, pack_item_rows

CITED = ("a regulator's order", "https://example.org/order")


def row(*values: str) -> PolicyRow:
    return PolicyRow("p2", values, "test.csv:1")


def good(**changes: str) -> tuple[str, ...]:
    values = {
        "id": "x-1",
        "eft": "suppress",
        "test": "collected_in",
        "where": "FR",
        "start": "2022-01-01",
        "end": "",
        "unknown": "refuse",
        "subject": "people in France",
        "citation": CITED[0],
        "url": CITED[1],
    }
    values.update(changes)
    return tuple(values.values())


def test_a_good_row_parses() -> None:
    (rule,) = parse_item_rules([row(*good())])
    assert rule.where == {"FR"}
    assert rule.test == "collected_in"
    assert rule.unknown == "refuse"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"eft": "allow"}, "effect must be 'suppress'"),
        ({"test": "resident"}, "test must be"),
        ({"where": "FRANCE"}, "where must name ISO"),
        ({"where": "*"}, "where must name ISO"),
        ({"test": "opted_out"}, "where must be '*'"),
        ({"unknown": "maybe"}, "unknown must be"),
        ({"start": "2023-01-01", "end": "2022-01-01"}, "ends before it starts"),
        ({"start": "yesterday"}, "ISO 8601"),
        ({"citation": "", "url": ""}, "needs its citation"),
        ({"url": "ftp://x"}, "http(s)"),
        ({"id": "bad id"}, "id must be"),
    ],
)
def test_a_bad_row_is_refused_naming_the_row(changes: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=r"test\.csv:1") as caught:
        parse_item_rules([row(*good(**changes))])
    assert message in str(caught.value)


def test_a_short_row_and_a_repeated_id_are_refused() -> None:
    with pytest.raises(PolicyError, match="expected 10 or 11 fields"):
        parse_item_rules([row(*good()[:-1])])
    with pytest.raises(PolicyError, match="already used"):
        parse_item_rules([row(*good()), row(*good())])


EXPECTED_FOREIGN = {
    # id: (where, effective date): restated from the pack's README on purpose
    "it-garante-2022": ({"IT"}, "2022-02-10"),
    "fr-cnil-2021": ({"FR"}, "2021-11-26"),
    "gr-hdpa-2022": ({"GR"}, "2022-07-13"),
    "uk-ico-2022": ({"GB"}, "2022-05-18"),
    "au-oaic-2021": ({"AU"}, "2021-10-14"),
    "ca-bc-oipc-2021": ({"CA-BC"}, "2021-12-14"),
    # The order's own date (Slaw on 2025 ABKB 287: 7 December 2021); made public on the 14th.
    "ca-ab-oipc-2021": ({"CA-AB"}, "2021-12-07"),
    "ca-qc-cai-2021": ({"CA-QC"}, "2021-12-14"),
    # The decision's own date (GDPRhub: decided 16.05.2024); it was published 3 September 2024.
    "nl-ap-2024": ({"NL"}, "2024-05-16"),
}


def test_the_foreign_orders_pack_has_one_cited_rule_per_order() -> None:
    rules = parse_item_rules(pack_item_rows("foreign_orders"))
    assert {r.id: (set(r.where), r.start) for r in rules} == {
        rule_id: (where, datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
        for rule_id, (where, day) in EXPECTED_FOREIGN.items()
    }
    assert all(r.citation is not None and r.citation.url.startswith("https://") for r in rules)
    assert all(r.subject and r.end == float("inf") for r in rules)


def at(text: str, seconds: int = 0) -> float:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return instant.timestamp()


def removed_by(
    entry: dict[str, str], instant: float, suppressed: frozenset[str] = frozenset()
) -> str | None:
    verdict = bundled_item_policy().verdict(entry, at=instant, suppressed=suppressed)
    return verdict.rule.id if verdict.rule is not None else None


CHICAGO = {"id": "face-1", "source_region": "US-IL"}


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (at("2022-05-11T00:00:00Z", -1), None),
        (at("2022-05-11T00:00:00Z"), "il-photos-five-years"),
        # The date, 2027-05-11T00:00:00Z, +-1 s: both still inside, because the pack
        # ends the rule at Chicago midnight like the client rules (policies README says why).
        (at("2027-05-11T00:00:00Z", -1), "il-photos-five-years"),
        (at("2027-05-11T00:00:00Z", 1), "il-photos-five-years"),
        (at("2027-05-11T05:00:00Z", -1), "il-photos-five-years"),
        (at("2027-05-11T05:00:00Z"), None),
    ],
)
def test_il_photos_five_years_boundaries(instant: float, expected: str | None) -> None:
    assert removed_by(CHICAGO, instant) == expected


def test_il_opt_out_has_no_end_and_starts_with_the_settlement() -> None:
    suppressed = frozenset({"face-1"})
    entry = {"id": "face-1", "source_region": "US-NY"}
    assert removed_by(entry, at("2022-05-11T00:00:00Z", -1), suppressed) is None
    assert removed_by(entry, at("2022-05-11T00:00:00Z"), suppressed) == "il-opt-out"
    assert removed_by(entry, at("2099-01-01T00:00:00Z"), suppressed) == "il-opt-out"


@pytest.mark.parametrize("rule_id", sorted(EXPECTED_FOREIGN))
def test_each_foreign_order_starts_on_its_date(rule_id: str) -> None:
    where, day = EXPECTED_FOREIGN[rule_id]
    (code,) = where
    entry = (
        {"id": "e", "source_region": code} if "-" in code else {"id": "e", "source_country": code}
    )
    start = at(f"{day}T00:00:00Z")
    assert removed_by(entry, start - 1) is None
    assert removed_by(entry, start) == rule_id
    assert removed_by(entry, start + 1) == rule_id


def test_an_admin_overrides_a_rule_by_id_and_turns_packs_and_rules_off(tmp_path: Path) -> None:
    own = tmp_path / "items.csv"
    own.write_text(
        "p2, nl-ap-2024, suppress, collected_in, NL, 2030-01-01, , refuse, people in NL, "
        '"an admin\'s later date", https://example.org\n'
    )
    policy = item_policy_for(ItemSettings(files=(own,), disabled_rules=frozenset({"uk-ico-2022"})))
    assert policy.rule("nl-ap-2024") is not None
    # replaced in place: the order of the others is kept, the disabled one is gone
    assert [r.id for r in policy.rules] == [
        r.id for r in bundled_item_policy().rules if r.id != "uk-ico-2022"
    ]
    assert policy.rule("nl-ap-2024").start == at("2030-01-01T00:00:00Z")  # type: ignore[union-attr]
    dutch = {"id": "e", "source_country": "NL"}
    british = {"id": "e", "source_country": "GB"}
    now = at("2026-01-01T00:00:00Z")
    assert filter_items([dutch, british], at=now, suppressed=(), policy=policy).items == [
        dutch,
        british,
    ]
    only_settlement = item_policy_for(ItemSettings(packs=("clearview_settlement",)))
    assert [r.id for r in only_settlement.rules] == ["il-opt-out", "il-photos-five-years"]
    with pytest.raises(PolicyError, match="names no item rule"):
        item_policy_for(ItemSettings(disabled_rules=frozenset({"no-such-rule"})))
    with pytest.raises(ValueError, match="unknown pack"):
        ItemSettings(packs=("nope",))
