"""ISO 3166 normalization of the country and region claims (jurisgate.middleware.claims.regions)."""

from __future__ import annotations

import pycountry
import pytest

from jurisgate.middleware.claims.regions import (
    known_countries,
    normalize_country,
    normalize_region,
    subdivisions,
    us_aliases,
)
from jurisgate.middleware.errors import ClaimsError, JurisgateError

# Straight from pycountry, not through jurisgate's tables.
PYCOUNTRY_SUBDIVISIONS = {sub.code: sub for sub in pycountry.subdivisions}
US_SUBDIVISIONS = sorted(
    code for code, sub in PYCOUNTRY_SUBDIVISIONS.items() if sub.country_code == "US"
)

# Strings that look like (or contain) a valid claim but are not plain printable ASCII.
COUNTRY_LOOKALIKES = [
    "\uff35\uff33",  # full-width U and S
    "\u0423\u0421",  # Cyrillic U and ES
    "U\u0405",  # Latin U + Cyrillic DZE
    "\u0423S",  # Cyrillic U + Latin S
    "U\u200bS",  # zero-width space inside
    "\u200bUS",  # zero-width space before
    "US\u200b",  # zero-width space after
    "\ufeffUS",  # byte-order mark
    "US ",  # trailing space
    " US",  # leading space
    "US\n",  # trailing newline
    "US\t",  # trailing tab
    "U S",
]
REGION_LOOKALIKES = [
    "\uff29\uff2c",  # full-width I and L
    "\u0406L",  # Ukrainian I + Latin L
    "\u0130L",  # Turkish dotted capital I (its lower() is two code points)
    "\u0421\u0410",  # Cyrillic ES + A, looks like CA
    "US-\u0406L",
    "\uff35\uff33-IL",
    "I\u200bL",
    "US-IL\u200b",
    "Illi\u200bnois",
    "IL ",
    " IL",
    "US-IL ",
    "IL\n",
    "US-IL\n",
    "Illinois\n",
    "IL\t",
    "\tUS-IL",
    "Rhode\u00a0Island",  # no-break space between words
    "Rhode\tIsland",
]
WRONG_TYPES: list[object] = [1, 0, 1.5, ["US"], [], True, False, {"code": "US"}, {}]


def test_claims_error_is_a_jurisgate_error_with_a_code() -> None:
    with pytest.raises(JurisgateError) as info:
        normalize_country("ZZ")
    assert isinstance(info.value, ClaimsError)
    assert info.value.code == "invalid_country"


@pytest.mark.parametrize("value", ["US", "us", "Us", "uS"])
def test_country_case_insensitive(value: str) -> None:
    assert normalize_country(value) == "US"


@pytest.mark.parametrize(("value", "expected"), [("ua", "UA"), ("IL", "IL"), ("lr", "LR")])
def test_foreign_countries(value: str, expected: str) -> None:
    assert normalize_country(value) == expected


@pytest.mark.parametrize("value", ["USA", "U", "", "UK", "EU", "ZZ", "U1", "840", "U-S"])
def test_country_not_an_assigned_alpha2(value: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_country(value)
    assert info.value.code == "invalid_country"


@pytest.mark.parametrize("value", [*WRONG_TYPES, None])
def test_country_wrong_type(value: object) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_country(value)
    assert info.value.code == "invalid_country"


@pytest.mark.parametrize("value", COUNTRY_LOOKALIKES)
def test_country_lookalikes_rejected(value: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_country(value)
    assert info.value.code == "invalid_country"


def test_known_countries_is_iso_3166_1() -> None:
    countries = known_countries()
    assert {"US", "UA", "IL", "LR", "DE"} <= countries
    assert "UK" not in countries
    assert countries == {country.alpha_2 for country in pycountry.countries}


@pytest.mark.parametrize(
    "value", ["IL", "il", "Il", "iL", "Illinois", "illinois", "ILLINOIS", "US-IL", "us-il", "Us-Il"]
)
def test_illinois_aliases(value: str) -> None:
    assert normalize_region(value, "US") == "US-IL"


def test_il_with_country_us_is_never_israel() -> None:
    # The ambiguity is real: IL is Israel's alpha-2 code.
    assert "IL" in known_countries()
    assert normalize_region("IL", "US") == "US-IL"
    assert normalize_region("il", "US") == "US-IL"


@pytest.mark.parametrize("value", ["Maryland", "maryland", "MARYLAND", "MD", "us-md"])
def test_maryland_is_the_us_state_never_liberia(value: str) -> None:
    # Liberia has a county named Maryland: a global name lookup would find it.
    liberian = [
        code
        for code, sub in PYCOUNTRY_SUBDIVISIONS.items()
        if sub.country_code == "LR" and sub.name == "Maryland"
    ]
    assert liberian
    assert normalize_region(value, "US") == "US-MD"


def test_us_aliases_never_leave_the_us() -> None:
    aliases = us_aliases()
    assert aliases
    assert all(code.startswith("US-") for code in aliases.values())
    assert set(aliases.values()) == set(US_SUBDIVISIONS)
    assert all(alias == alias.lower() for alias in aliases)


@pytest.mark.parametrize("code", US_SUBDIVISIONS)
def test_every_us_subdivision_by_code_suffix_and_name(code: str) -> None:
    sub = PYCOUNTRY_SUBDIVISIONS[code]
    suffix = code.split("-", 1)[1]
    for alias in {
        code,
        code.lower(),
        suffix,
        suffix.lower(),
        sub.name,
        sub.name.lower(),
        sub.name.upper(),
    }:
        assert normalize_region(alias, "US") == code, alias


@pytest.mark.parametrize(
    "value", ["District of Columbia", "DC", "Washington DC", "Washington, D.C.", "washington d.c."]
)
def test_district_of_columbia(value: str) -> None:
    assert normalize_region(value, "US") == "US-DC"


@pytest.mark.parametrize(
    ("value", "country"),
    [
        ("UA-30", "US"),
        ("ua-30", "US"),
        ("CA-ON", "US"),
        ("LR-MY", "US"),
        ("US-IL", "UA"),
        ("us-il", "UA"),
        ("GB-ENG", "UA"),
        ("US-MD", "LR"),
    ],
)
def test_region_not_in_country(value: str, country: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_region(value, country)
    assert info.value.code == "region_mismatch"


@pytest.mark.parametrize(
    ("value", "country"),
    [
        ("US-ZZ", "US"),
        ("ZZ", "US"),
        ("Atlantis", "US"),
        ("ON", "US"),
        ("Illinois.", "US"),
        ("US-ILL", "US"),
        ("US_IL", "US"),
        ("", "US"),
        ("IL", "IL"),
        ("Maryland", "LR"),
        ("UA-99", "UA"),
        ("Kyiv", "UA"),
        ("IL", "UA"),
        ("", "UA"),
        ("UA30", "UA"),
        ("US-IL-X", "US"),
        ("ZZ-99", "US"),
    ],
)
def test_unknown_region(value: str, country: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_region(value, country)
    assert info.value.code == "invalid_region"


@pytest.mark.parametrize("country", ["US", "UA"])
@pytest.mark.parametrize("value", [*WRONG_TYPES, None])
def test_region_wrong_type(value: object, country: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_region(value, country)
    assert info.value.code == "invalid_region"


@pytest.mark.parametrize("value", REGION_LOOKALIKES)
def test_us_region_lookalikes_rejected(value: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_region(value, "US")
    assert info.value.code == "invalid_region"


@pytest.mark.parametrize(
    "value", ["\uff35\uff21-30", "UA-30\u200b", "UA-30 ", "UA-30\n", "\tUA-30", "\u0423A-30"]
)
def test_foreign_region_lookalikes_rejected(value: str) -> None:
    with pytest.raises(ClaimsError) as info:
        normalize_region(value, "UA")
    assert info.value.code == "invalid_region"


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("UA-30", "UA", "UA-30"),
        ("ua-30", "UA", "UA-30"),
        # Countries that sort after "US" take the ISO path too, never the US aliases.
        ("UY-MO", "UY", "UY-MO"),
        ("za-gp", "ZA", "ZA-GP"),
        ("CA-ON", "CA", "CA-ON"),
    ],
)
def test_foreign_region_code(value: str, country: str, expected: str) -> None:
    assert normalize_region(value, country) == expected


def test_subdivisions_map_codes_to_their_country() -> None:
    subs = subdivisions()
    assert subs["US-IL"] == "US"
    assert subs["UA-30"] == "UA"
    assert all(code.startswith(country + "-") for code, country in subs.items())
    us = sorted(code for code, country in subs.items() if country == "US")
    assert us == US_SUBDIVISIONS
    # 50 states, DC, and the six outlying areas ISO lists as US subdivisions.
    assert len(us) == 57
