"""The functions the Casbin matcher calls: anchored sets, path prefixes, effective periods."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware.claims.principal import PolicyView
from jurisgate.middleware.decision.matchers import (
    active,
    alternatives,
    client_match,
    instant,
    path_match,
    regex_full_match,
    set_match,
)
from jurisgate.middleware.decision.values import Rule


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def test_alternatives_split_and_strip() -> None:
    assert alternatives("a|b| c |d") == frozenset({"a", "b", "c", "d"})
    assert alternatives("US") == frozenset({"US"})


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("US", "US", True),
        ("USA", "US", False),
        ("US", "USA", False),
        ("U", "US", False),
        ("S", "US", False),
        ("us", "US", False),
        ("US", "UA|US", True),
        ("US", "UA | US", True),
        ("UA|US", "UA|US", False),
        ("", "US", False),
        ("US-IL", "US-IL|US-MD", True),
        ("US-I", "US-IL|US-MD", False),
        ("US-ILX", "US-IL|US-MD", False),
        ("private_company", "private_company|individual", True),
        ("private", "private_company|individual", False),
        ("company", "private_company|individual", False),
        ("GET", "GET|HEAD", True),
        ("GETX", "GET|HEAD", False),
        ("ET", "GET|HEAD", False),
        ("US", "", False),  # patterns that sort before "*" are not wildcards
        ("US", "!", False),
        ("US", "(", False),
    ],
)
def test_set_match_is_exact_and_anchored(value: str, pattern: str, expected: bool) -> None:
    assert set_match(value, pattern) is expected


@pytest.mark.parametrize(
    "value", ["state_agency", "private_company", "US", "US-IL", "GET", "", "Anonymous", "anon"]
)
def test_wildcard_matches_any_other_value(value: str) -> None:
    assert set_match(value, "*") is True


def test_wildcard_never_matches_anonymous() -> None:
    assert set_match("anonymous", "*") is False
    # As it arrives from a request: an equal string, not the interned constant.
    assert set_match("".join(["anon", "ymous"]), "*") is False


def test_anonymous_matches_when_named() -> None:
    assert set_match("anonymous", "anonymous") is True
    assert set_match("anonymous", "state_agency|anonymous") is True
    assert set_match("anonymous", "state_agency") is False


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=20))
def test_wildcard_property(value: str) -> None:
    assert set_match(value, "*") is (value != "anonymous")


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("/search", "/search/*", True),
        ("/search/", "/search/*", True),
        ("/search/x", "/search/*", True),
        ("/search/x/y", "/search/*", True),
        ("/searchx", "/search/*", False),
        ("/search-x", "/search/*", False),
        ("/searc", "/search/*", False),
        ("/Search", "/search/*", False),
        ("/", "/search/*", False),
        ("", "/search/*", False),
        ("/api/search", "/search/*", False),
        ("/health", "/health", True),
        ("/health/", "/health", False),
        ("/healthz", "/health", False),
        ("/health/x", "/health", False),
        ("/anything", "*", True),
        ("/", "*", True),
        ("/", "/*", True),
        ("/x/y", "/*", True),
        ("/opt-out", "/opt-out", True),
        ("/opt-out", "/opt", False),
        ("/health", "/healthz", False),  # a prefix of the pattern is not the pattern
        ("/a", "/b", False),
        ("x", "/*", False),  # '/*' covers '/'-led paths only
        ("search", "/*", False),
        ("/x", "", False),  # patterns that sort before "*" are not wildcards
        ("/x", "!", False),
    ],
)
def test_path_match(path: str, pattern: str, expected: bool) -> None:
    assert path_match(path, pattern) is expected


def test_exact_path_matches_an_equal_string_not_only_the_same_object() -> None:
    assert path_match("".join(["/hea", "lth"]), "/health") is True


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("/health", "/health", True),
        ("/health-admin", "/health", False),  # anchored at both ends, unlike re.match
        ("/x/health", "/health", False),
        ("US", "US|CA", True),
        ("USA", "US|CA", False),
        ("/search/42", r"/search/\d+", True),
        ("/search/42x", r"/search/\d+", False),
    ],
)
def test_regex_full_match_is_anchored_at_both_ends(
    value: str, pattern: str, expected: bool
) -> None:
    assert regex_full_match(value, pattern) is expected


def test_a_pattern_that_does_not_compile_raises_value_error() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        regex_full_match("x", "(unclosed")


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet="/abcsearh-.", max_size=16))
def test_subtree_pattern_property(path: str) -> None:
    expected = path == "/search" or path.startswith("/search/")
    assert path_match(path, "/search/*") is expected


def test_instant_open_bounds() -> None:
    assert instant("", open_value=-math.inf) == -math.inf
    assert instant("", open_value=math.inf) == math.inf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-05-11", utc(2027, 5, 11)),
        ("2027-05-11T00:00:00Z", utc(2027, 5, 11)),
        ("2027-05-11T00:00:00", utc(2027, 5, 11)),
        ("2027-05-11T02:00:00+02:00", utc(2027, 5, 11)),
        ("2027-05-10T19:00:00-05:00", utc(2027, 5, 11)),
    ],
)
def test_instant_parses_iso_8601_as_utc(text: str, expected: float) -> None:
    assert instant(text, open_value=math.inf) == expected


def test_instant_rejects_garbage() -> None:
    with pytest.raises(ValueError, match=r"."):
        instant("2027-13-01", open_value=math.inf)


START = "2022-05-11"
END = "2027-05-11"


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2022, 5, 11) - 1, False),
        (utc(2022, 5, 11) - 0.001, False),
        (utc(2022, 5, 11), True),  # start inclusive
        (utc(2022, 5, 11) + 1, True),
        (utc(2027, 5, 10, 23, 59, 59), True),
        (utc(2027, 5, 11) - 0.001, True),
        (utc(2027, 5, 11), False),  # end exclusive
        (utc(2027, 5, 11) + 1, False),
        (-math.inf, False),
        (math.inf, False),
    ],
)
def test_active_start_inclusive_end_exclusive(at: float, expected: bool) -> None:
    assert active(at, START, END) is expected


@pytest.mark.parametrize(
    ("at", "start", "end", "expected"),
    [
        (utc(1970, 1, 2), "", "", True),
        (utc(1969, 7, 20), "", "", True),  # open means open, not "since the epoch"
        (utc(2100, 1, 1), "", "", True),
        (utc(1990, 1, 1), "", END, True),
        (utc(2027, 5, 11), "", END, False),
        (utc(2100, 1, 1), START, "", True),
        (utc(2022, 5, 10), START, "", False),
    ],
)
def test_active_open_bounds(at: float, start: str, end: str, expected: bool) -> None:
    assert active(at, start, end) is expected


CLIENT = PolicyView("contractor", "US", "US-TX", "state_agency", "US-TX", "official")


@pytest.mark.parametrize("field", PolicyView._fields)
def test_a_rule_names_a_client_only_if_every_attribute_matches(field: str) -> None:
    rule = Rule(
        "r", "allow", "contractor", "US", "US-TX", "/search", "GET", -math.inf, math.inf, None,
        agency_type="state_agency", agency_region="US-TX", capacity="official",
    )  # fmt: skip
    assert client_match(CLIENT, rule) is True
    other = {"entity": "individual", "country": "CA", "region": "CA-ON"}
    differing = CLIENT._replace(**{field: other.get(field, "local_agency")})
    assert client_match(differing, rule) is False
