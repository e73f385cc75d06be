"""``admissible(facts, at=...)``: the issue's fixtures, each rule's start, unknown provenance."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from jurisgate.middleware import Admissibility, IngestRule, admissible
from jurisgate.middleware.decision.values import Citation
from jurisgate.middleware.ingest import bundled_ingest_rules

BUNDLED_INGEST_RULES = bundled_ingest_rules()

NOW = "2026-11-26T12:00:00Z"
CHICAGO = [41.8781, -87.6298]
WINDSOR = [42.3149, -83.0364]
DETROIT = [42.3314, -83.0458]


def refused_by(answer: Admissibility) -> str | None:
    assert answer.admissible == (answer.rule is None)
    assert (answer.citation is None) == (answer.rule is None)
    return answer.rule


@pytest.mark.parametrize(
    ("gps", "rule"),
    [
        (CHICAGO, "il-photos-five-years"),
        ([41.8916, -87.5989], "il-photos-five-years"),  # Navy Pier
        ([41.9000, -87.4000], "il-photos-five-years"),  # Lake Michigan off Chicago
        ([41.5834, -87.5000], "il-photos-five-years"),  # Hammond IN: inside the buffer
        ([38.6245, -90.1510], "il-photos-five-years"),  # East St. Louis IL
        # St. Louis MO at the Arch: in Missouri, but under 1 km from the state line in the
        # Mississippi, inside the 5 km buffer: refused on purpose (fail closed).
        ([38.6247, -90.1848], "il-photos-five-years"),
        ([38.6365, -90.2856], None),  # St. Louis MO, Forest Park: 9 km out, admissible
        ([42.4931, -89.0368], "il-photos-five-years"),  # South Beloit IL
        ([42.5083, -89.0318], "il-photos-five-years"),  # Beloit WI: inside the buffer
        ([42.6828, -89.0187], None),  # Janesville WI
        ([48.8566, 2.3522], "fr-cnil-2021"),  # Paris
        ([41.9028, 12.4964], "it-garante-2022"),  # Rome
        ([50.4501, 30.5234], None),  # Kyiv
    ],
)
def test_gps_fixtures(gps: list[float], rule: str | None) -> None:
    assert refused_by(admissible({"gps": gps}, at=NOW)) == rule


def test_windsor_is_ontario_not_michigan() -> None:
    """Windsor is in Ontario, which no order names, and only Michigan is near: admissible."""
    answer = admissible({"gps": WINDSOR}, at=NOW)
    assert answer.admissible
    assert answer.signals == ("gps:inside:CA-ON",)
    assert admissible({"gps": DETROIT}, at=NOW).signals == ("gps:inside:US-MI",)


@pytest.mark.parametrize(
    ("gps", "rule", "signal"),
    [
        ([49.2827, -123.1207], "ca-bc-oipc-2021", "gps:inside:CA-BC"),  # Vancouver
        ([48.4284, -123.3656], "ca-bc-oipc-2021", "gps:inside:CA-BC"),  # Victoria
        ([51.0447, -114.0719], "ca-ab-oipc-2021", "gps:inside:CA-AB"),  # Calgary
        ([53.5461, -113.4938], "ca-ab-oipc-2021", "gps:inside:CA-AB"),  # Edmonton
        ([45.5017, -73.5673], "ca-qc-cai-2021", "gps:inside:CA-QC"),  # Montreal
        ([45.4042, -71.8929], "ca-qc-cai-2021", "gps:inside:CA-QC"),  # Sherbrooke
        # Ottawa, Ontario: 1 km from the river and Gatineau, inside Quebec's 5 km buffer.
        ([45.4215, -75.6972], "ca-qc-cai-2021", "gps:within_buffer:CA-QC"),
    ],
)
def test_each_province_is_refused_by_its_own_order(
    gps: list[float], rule: str, signal: str
) -> None:
    answer = admissible({"gps": gps}, at=NOW)
    assert answer.rule == rule
    assert signal in answer.signals
    assert not any(s.startswith("country_level:") for s in answer.signals)


def test_a_rule_naming_the_place_answers_before_a_country_level_match() -> None:
    """Quebec named, and Canada too: the earlier British Columbia rule matches only at the
    country level, so Quebec's own order is the one that refuses."""
    answer = admissible({"region": "CA-QC", "uploader_location": "Canada"}, at=NOW)
    assert answer.rule == "ca-qc-cai-2021"
    assert not any(s.startswith("country_level:") for s in answer.signals)
    country_only = admissible({"region": "CA-ON", "uploader_location": "Canada"}, at=NOW)
    assert country_only.rule == "ca-bc-oipc-2021"
    assert "country_level:ca-bc-oipc-2021:CA" in country_only.signals


def test_a_canadian_piece_no_province_outline_covers_is_over_blocked() -> None:
    """Salt Spring Island (a Gulf Island of British Columbia) is one of the small pieces of
    Canada that the province outlines leave out: it is decided at the country level."""
    answer = admissible({"gps": [48.8167, -123.5000]}, at=NOW)
    assert answer.rule == "ca-bc-oipc-2021"
    assert "gps:inside:CA" in answer.signals
    assert "country_level:ca-bc-oipc-2021:CA" in answer.signals


# rule id -> facts placing a photo in its territory (and in no other rule's)
PLACED: dict[str, dict[str, object]] = {
    "il-photos-five-years": {"gps": CHICAGO},
    "it-garante-2022": {"gps": [41.9028, 12.4964]},
    "fr-cnil-2021": {"gps": [48.8566, 2.3522]},
    "gr-hdpa-2022": {"gps": [37.9838, 23.7275]},
    "uk-ico-2022": {"gps": [51.5074, -0.1278]},
    "au-oaic-2021": {"gps": [-33.8688, 151.2093]},
    "ca-bc-oipc-2021": {"gps": [49.2827, -123.1207]},  # Vancouver
    "ca-ab-oipc-2021": {"gps": [51.0447, -114.0719]},  # Calgary
    "ca-qc-cai-2021": {"gps": [45.5017, -73.5673]},  # Montreal
    "nl-ap-2024": {"gps": [52.3676, 4.9041]},
}


@pytest.mark.parametrize("rule", BUNDLED_INGEST_RULES, ids=lambda rule: rule.id)
def test_each_rule_starts_on_its_date(rule: IngestRule) -> None:
    start = datetime.fromtimestamp(rule.start, UTC)
    facts = PLACED[rule.id]
    assert admissible(facts, at=start - timedelta(seconds=1)).admissible
    assert admissible(facts, at=start).rule == rule.id
    assert admissible(facts, at=start + timedelta(seconds=1)).rule == rule.id


def test_the_illinois_rule_ends_at_chicago_midnight() -> None:
    """The pack ends il-photos-five-years at midnight starting 2027-05-11 in Chicago, as the
    client rules: 2027-05-11T00:00:00Z +- 1 s is still inside; 05:00:00Z is the end."""
    facts = {"gps": CHICAGO}
    assert admissible(facts, at="2027-05-10T23:59:59Z").rule == "il-photos-five-years"
    assert admissible(facts, at="2027-05-11T00:00:01Z").rule == "il-photos-five-years"
    assert admissible(facts, at="2027-05-11T04:59:59Z").rule == "il-photos-five-years"
    assert admissible(facts, at="2027-05-11T05:00:00Z").admissible


def test_unknown_provenance_is_recorded_and_refused() -> None:
    answer = admissible({}, at=NOW)
    assert answer.rule == "il-photos-five-years"  # the first rule in force refuses unknowns
    assert "provenance:unknown" in answer.signals
    after_illinois = admissible({"source_url": None}, at="2030-01-01")
    assert after_illinois.rule == "it-garante-2022"
    before_everything = admissible({}, at="2020-01-01")
    assert before_everything.admissible
    assert before_everything.signals == ("provenance:unknown",)


def test_a_rule_may_admit_unknown_provenance_but_says_so() -> None:
    lenient = IngestRule(
        "lenient",
        "collected_in",
        frozenset({"US-IL"}),
        0.0,
        math.inf,
        "admit",
        "people in Illinois",
        Citation("c", "https://x"),
        "test",
    )
    answer = admissible({}, at=NOW, rules=[lenient])
    assert answer.admissible
    assert answer.signals == ("provenance:unknown", "unknown_admitted:lenient")
    assert admissible({"gps": CHICAGO}, at=NOW, rules=[lenient]).rule == "lenient"


def test_free_text_and_urls_add_places_but_never_make_provenance_known() -> None:
    chicago_text = admissible({"uploader_location": "Evanston, Illinois"}, at=NOW)
    assert chicago_text.rule == "il-photos-five-years"
    assert "uploader_location:names:US-IL" in chicago_text.signals
    french_site = admissible({"gps": [50.4501, 30.5234], "source_url": "https://x.fr/p"}, at=NOW)
    assert french_site.rule == "fr-cnil-2021"
    kyiv_text = admissible({"uploader_location": "Kyiv"}, at=NOW)
    assert kyiv_text.rule == "il-photos-five-years"  # text alone: provenance unknown
    assert "provenance:unknown" in kyiv_text.signals


def test_conflicting_evidence_refuses() -> None:
    answer = admissible({"gps": [50.4501, 30.5234], "region": "US-IL"}, at=NOW)
    assert answer.rule == "il-photos-five-years"


def test_region_tags() -> None:
    assert admissible({"region": "ca-on"}, at=NOW).admissible  # precise, not a rule's province
    assert admissible({"region": "IT-RM"}, at=NOW).rule == "it-garante-2022"
    us_only = admissible({"region": "US"}, at=NOW)
    assert us_only.rule == "il-photos-five-years"  # a bare "US" cannot rule Illinois out
    assert "country_level:il-photos-five-years:US" in us_only.signals


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({"gps": [91, 0]}, "facts.gps: lat out of range"),
        ({"gps": [True, 0]}, "facts.gps: lat must be a number"),
        ({"gps": [41.0]}, "facts.gps: must be [lat, lon]"),
        ({"gps": [0, float("nan")]}, "facts.gps: lon out of range"),
        ({"region": "Illinois"}, "facts.region: not an ISO 3166-2"),
        ({"taken_at": "yesterday"}, "facts.taken_at: not an ISO 8601"),
        ({"uploader_location": 7}, "facts.uploader_location: must be a string"),
        ({"place": "Chicago"}, "facts: unknown key 'place'"),
    ],
)
def test_bad_facts_are_errors_naming_the_key(facts: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[")):
        admissible(facts, at=NOW)


def test_at_accepts_epoch_datetime_and_iso() -> None:
    instant = datetime(2026, 11, 26, 12, tzinfo=UTC)
    for at in (instant, instant.timestamp(), NOW):
        assert admissible({"gps": CHICAGO}, at=at).rule == "il-photos-five-years"
    with pytest.raises(ValueError, match="time zone"):
        admissible({}, at=datetime(2026, 1, 1))  # naive: the test


def test_answer_as_dict() -> None:
    citation = BUNDLED_INGEST_RULES[0].citation
    assert citation is not None
    answer = admissible({"gps": CHICAGO, "taken_at": "2026-01-01T10:00:00Z"}, at=NOW).as_dict()
    assert answer == {
        "admissible": False,
        "rule": "il-photos-five-years",
        "citation": {
            "text": citation.text,
            "url": "https://www.aclu.org/cases/aclu-v-clearview-ai",
        },
        "signals": ["gps:inside:US-IL", "taken_at:given"],
    }


def test_a_rule_with_a_collection_window_applies_when_at_is_inside_it() -> None:
    # At ingest the collection instant is the check's ``at``: the rule is in force from 2022
    # with no end, but removes only photos collected in its window.
    start = datetime(2022, 5, 11, tzinfo=UTC).timestamp()
    end = datetime(2027, 5, 11, 5, tzinfo=UTC).timestamp()
    windowed = IngestRule(
        "il-collected-during-ban",
        "collected_in",
        frozenset({"US-IL"}),
        start,
        math.inf,
        "refuse",
        "photos collected in Illinois during the ban",
        Citation("c", "https://x"),
        "test",
        (start, end),
    )
    for at, rule in [
        (start - 1, None),
        (start, "il-collected-during-ban"),
        (end - 1, "il-collected-during-ban"),
        (end, None),
        (end + 1, None),
    ]:
        assert refused_by(admissible({"gps": CHICAGO}, at=at, rules=[windowed])) == rule
    assert admissible({}, at=end, rules=[windowed]).admissible  # outside: not its business
    assert refused_by(admissible({}, at=end - 1, rules=[windowed])) == "il-collected-during-ban"
