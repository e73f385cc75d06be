"""Policy rows -> validated Rules; every refusal says file:line and which rule."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.decision.rules import RULE_FIELDS, parse_rules
from jurisgate.middleware.decision.values import Citation, Rule
from jurisgate.middleware.errors import PolicyError

FIELDS = (
    "id",
    "eft",
    "entity",
    "country",
    "region",
    "agency_type",
    "agency_region",
    "capacity",
    "path",
    "method",
    "start",
    "end",
    "citation",
    "url",
)
GOOD = {
    "id": "gov-search",
    "eft": "allow",
    "entity": "state_agency|local_agency",
    "country": "US",
    "region": "*",
    "agency_type": "*",
    "agency_region": "*",
    "capacity": "official",
    "path": "/search/*",
    "method": "GET|HEAD",
    "start": "2022-05-11",
    "end": "",
    "citation": '"Doe v. Roe, No. 1 (2022)"',
    "url": "https://example.org/case",
}
# Two comment lines and a blank line, so the rule is on line 4.
HEADER = "# test policy\n# columns: p, id, ...\n\n"


def row_text(**overrides: str) -> str:
    values = {**GOOD, **overrides}
    return "p, " + ", ".join(values[name] for name in FIELDS)


def parse(text: str) -> tuple[Rule, ...]:
    return parse_rules(read_policy_csv(text, "t.csv"), RULE_FIELDS)


def refusal(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse(text)
    return str(info.value)


def test_rule_fields_match_the_bundled_model() -> None:
    assert RULE_FIELDS == FIELDS


def test_good_rule_parses() -> None:
    (rule,) = parse(HEADER + row_text())
    assert rule == Rule(
        "gov-search",
        "allow",
        "state_agency|local_agency",
        "US",
        "*",
        "/search/*",
        "GET|HEAD",
        datetime(2022, 5, 11, tzinfo=UTC).timestamp(),
        math.inf,
        Citation("Doe v. Roe, No. 1 (2022)", "https://example.org/case"),
        agency_type="*",
        agency_region="*",
        capacity="official",
    )
    assert rule.source == "t.csv:4"


def test_agency_columns_parse() -> None:
    (rule,) = parse(row_text(agency_type="state_agency|local_agency", agency_region="US-IL|US"))
    assert (rule.agency_type, rule.agency_region) == ("state_agency|local_agency", "US-IL|US")


LEGACY_FIELDS = tuple(
    name for name in FIELDS if name not in ("agency_type", "agency_region", "capacity")
)


def test_rows_of_a_model_without_agency_columns_match_any_agency() -> None:
    row = PolicyRow("p", tuple(GOOD[name].strip('"') for name in LEGACY_FIELDS), "t.csv:1")
    (rule,) = parse_rules((row,), LEGACY_FIELDS)
    assert (rule.agency_type, rule.agency_region, rule.capacity) == ("*", "*", "*")


def test_open_bounds_and_no_citation() -> None:
    (rule,) = parse(row_text(start="", end="", citation="", url=""))
    assert rule.start == -math.inf
    assert rule.end == math.inf
    assert rule.citation is None
    assert rule.active_at(0.0)


def test_dates_with_offsets() -> None:
    (rule,) = parse(row_text(start="2027-05-11T02:00:00+02:00", end="2027-05-12T00:00:00Z"))
    assert rule.start == datetime(2027, 5, 11, tzinfo=UTC).timestamp()
    assert rule.end == datetime(2027, 5, 12, tzinfo=UTC).timestamp()


def test_anonymous_is_a_valid_entity_type() -> None:
    (rule,) = parse(row_text(entity="anonymous", path="/health", method="GET"))
    assert rule.entity_types == "anonymous"


def test_non_p_rows_are_not_rules() -> None:
    rows = (
        PolicyRow("g", ("a", "b"), "t.csv:1"),
        PolicyRow("p", tuple(GOOD[name].strip('"') for name in FIELDS), "t.csv:2"),
    )
    assert [rule.id for rule in parse_rules(rows, RULE_FIELDS)] == ["gov-search"]


def test_model_without_rule_fields() -> None:
    with pytest.raises(PolicyError, match="lacks citation, url"):
        parse_rules((), FIELDS[:-2])


# (override, text the message must contain besides file:line and the rule id)
REFUSALS: list[tuple[dict[str, str], str]] = [
    ({"entity": "state_agency|State_Agency"}, "'State_Agency'"),
    ({"entity": "Federal_Agency"}, "'Federal_Agency'"),
    ({"entity": "police"}, "unknown entity type"),
    ({"entity": "*|anonymous"}, "unknown entity type"),
    ({"country": "USA"}, "unknown country 'USA'"),
    ({"country": "us"}, "unknown country 'us'"),
    ({"country": "US|UK"}, "unknown country 'UK'"),
    ({"region": "US-XX"}, "unknown region 'US-XX'"),
    ({"region": "IL"}, "unknown region 'IL'"),
    ({"region": "us-il"}, "unknown region 'us-il'"),
    ({"agency_type": "government_contractor"}, "unknown agency type 'government_contractor'"),
    ({"agency_type": "private_company"}, "unknown agency type 'private_company'"),
    ({"agency_region": "US-XX"}, "unknown agency region 'US-XX'"),
    ({"agency_region": "PR"}, "unknown agency region 'PR'"),  # claims normalize PR to US-PR
    ({"agency_region": "us-il"}, "unknown agency region 'us-il'"),
    ({"capacity": "Personal"}, "unknown capacity 'Personal'"),
    ({"capacity": "private"}, "unknown capacity 'private'"),
    ({"start": "2022-13-45"}, "ISO 8601"),
    ({"end": "tomorrow"}, "ISO 8601"),
    ({"start": "2022-05-11T25:00"}, "ISO 8601"),
    ({"start": "2027-05-11", "end": "2022-05-11"}, "ends before it starts"),
    ({"start": "2027-05-11", "end": "2027-05-11"}, "ends before it starts"),
    ({"start": "2027-05-11T00:00:01Z", "end": "2027-05-11"}, "ends before it starts"),
    ({"eft": "permit"}, "'permit'"),
    ({"eft": "Allow"}, "'Allow'"),
    ({"eft": ""}, "effect"),
    ({"method": "get"}, "'get'"),
    ({"method": "GET|"}, "'GET|'"),
    ({"method": '"GET,POST"'}, "method"),
    ({"method": "G"}, "method"),
    ({"url": "ftp://example.org/case"}, "'ftp://example.org/case'"),
    ({"url": "javascript:alert(1)"}, "http(s)"),
    ({"url": "example.org"}, "http(s)"),
    ({"path": "search"}, "'search'"),
    ({"path": "/a//b"}, "'/a//b'"),
    ({"path": "/a/*/b"}, "'/a/*/b'"),
    ({"path": "/*x"}, "'/*x'"),
    ({"path": "*x"}, "'*x'"),
]


@pytest.mark.parametrize(("override", "detail"), REFUSALS)
def test_refusal_names_file_line_and_rule(override: dict[str, str], detail: str) -> None:
    message = refusal(HEADER + row_text(id="r-1") + "\n" + row_text(id="r-2", **override))
    assert message.startswith("t.csv:5: ")
    assert "'r-2'" in message
    assert detail in message


@pytest.mark.parametrize("bad_id", ["bad id", "-lead", "a" * 65, "r/1", "\u0440-1"])
def test_bad_rule_id(bad_id: str) -> None:
    message = refusal(HEADER + row_text(id=bad_id))
    assert message.startswith("t.csv:4: ")
    assert repr(bad_id) in message


def test_duplicate_id_names_both_lines() -> None:
    message = refusal(HEADER + row_text(id="dup") + "\n\n" + row_text(id="dup", eft="deny"))
    assert message.startswith("t.csv:6: ")
    assert "'dup'" in message
    assert "t.csv:4" in message


@pytest.mark.parametrize("line", [row_text() + ", extra", row_text().rsplit(",", 1)[0]])
def test_wrong_field_count_names_file_line(line: str) -> None:
    message = refusal(HEADER + line)
    assert message.startswith("t.csv:4: ")
    assert "expected 14 fields" in message


@pytest.mark.parametrize("line", [row_text() + ", extra", row_text().rsplit(",", 1)[0]])
def test_wrong_field_count_names_rule_id(line: str) -> None:
    assert "gov-search" in refusal(HEADER + line)


@pytest.mark.parametrize("path", ["/search*", "/opt-out*"])
def test_star_not_after_slash_is_refused(path: str) -> None:
    refusal(row_text(path=path))


def test_engine_refuses_the_same_rows(make_engine: Callable[[str], PolicyEngine]) -> None:
    with pytest.raises(PolicyError, match=r"^t\.csv:1: rule 'r-1': unknown country 'USA'"):
        make_engine(row_text(id="r-1", country="USA"))
