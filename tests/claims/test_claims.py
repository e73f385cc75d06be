"""Spoofed and smuggled jurisdiction claims under a valid signature: 403, never served.

The look-alikes are written as escapes so the test reads the same in any editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs

# An Illinois client that would be refused (451) if its claims were read honestly; each variant
# tries to read as something the policy allows or cannot place.
COUNTRY_LOOKALIKES = [
    "\uff35\uff33",  # full-width U S
    "\u0423\u0421",  # Cyrillic U, Es
    "U\u0405",  # Latin U, Cyrillic Dze
    "U\u200bS",  # zero-width space
    "\ufeffUS",  # BOM / zero-width no-break space
    "US ",
    " US",
    "US\n",
    "US\t",
    "US\u0000",
    "US\u00a0",
    "U\u0301S",  # combining accent
    "USA",
    "us-il",
]
REGION_LOOKALIKES = [
    "US-\uff29\uff2c",  # full-width I L
    "US-\u0406L",  # Ukrainian I
    "US-\u0399L",  # Greek Iota
    "US-I\u200bL",
    "US-IL\u200d",
    "US-IL ",
    " US-IL",
    "US-IL\n",
    "US-IL\r",
    "US-IL\u0000",
    "US-IL\u007f",
    "US\u2010IL",  # Unicode hyphen
    "US\u2013IL",  # en dash
    "Illin\u043eis",  # Cyrillic o
    "\u0130llinois",  # dotted capital I
    "Illinois ",
    "IL\u0301",
    "US-ILL",
    "USIL",
]
ENTITY_LOOKALIKES = [
    "federal_law_enforcement ",
    "federal_law_enforcement\u200b",
    "f\u0435deral_law_enforcement",  # Cyrillic e
    "\uff46ederal_law_enforcement",  # full-width f
    "Federal_Law_Enforcement",
    "federal-law-enforcement",
    "federal_law_enforcement\u0000",
    "anonymous",
    "*",
    "federal_law_enforcement|individual",
]


def test_control_il_client_is_refused_by_the_settlement(gate: Gate, idps: IdPs) -> None:
    response = gate.request(token=idps.rsa.mint(region="US-IL"))  # the NYPD, in Chicago
    gate.refused(response, 451)
    assert response.json()["rule"] == "il-located-five-years"
    response = gate.request(token=idps.rsa.mint(region="US-IN", agency_region="US-IL"))
    gate.refused(response, 451)
    assert response.json()["rule"] == "il-agencies-five-years"


@pytest.mark.parametrize("country", COUNTRY_LOOKALIKES)
def test_lookalike_country_is_refused(gate: Gate, idps: IdPs, country: str) -> None:
    token = idps.rsa.mint(country=country, region="US-IL")
    gate.refused(gate.request(token=token), 403, token=token)
    token = idps.rsa.mint(country=country, region=idps.drop)
    gate.refused(gate.request(token=token), 403, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize("region", REGION_LOOKALIKES)
def test_lookalike_region_is_refused(gate: Gate, idps: IdPs, region: str) -> None:
    token = idps.rsa.mint(region=region)
    gate.refused(gate.request(token=token), 403, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize("entity_type", ENTITY_LOOKALIKES)
def test_lookalike_entity_type_is_refused(gate: Gate, idps: IdPs, entity_type: str) -> None:
    token = idps.rsa.mint(entity_type=entity_type, region="US-DC")
    gate.refused(gate.request(token=token), 403, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("US", "FR-75C"),
        ("US", "IL-TA"),  # Tel Aviv: Israel's IL is not Illinois
        ("FR", "US-NY"),
        ("CA", "US-IL"),
        ("US", "CA-ON"),
        ("GB", "US-DC"),
    ],
)
def test_region_outside_its_country_is_refused(
    gate: Gate, idps: IdPs, country: str, region: str
) -> None:
    token = idps.rsa.mint(entity_type="federal_agency", country=country, region=region)
    response = gate.request(token=token)
    gate.refused(response, 403, token=token)
    assert response.json()["type"] == "urn:jurisgate:problem:region_mismatch"


@pytest.mark.parametrize("value", [1, 1.5, True, None, [], ["US"], {"code": "US"}])
@pytest.mark.parametrize("claim", ["entity_type", "country"])
def test_claims_of_the_wrong_json_type_are_refused(
    gate: Gate, idps: IdPs, claim: str, value: object
) -> None:
    token = idps.rsa.mint_with(claims={claim: idps.drop if value is None else value})
    gate.refused(gate.request(token=token), 403, token=token)


@pytest.mark.parametrize("value", [1, True, [], ["US-NY"], {"code": "US-NY"}, ""])
def test_region_of_the_wrong_json_type_is_refused(gate: Gate, idps: IdPs, value: object) -> None:
    token = idps.rsa.mint(region=value)
    gate.refused(gate.request(token=token), 403, token=token)


def test_us_client_without_region_is_refused(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint(region=idps.drop)
    response = gate.request(token=token)
    gate.refused(response, 403, token=token)
    assert response.json()["type"] == "urn:jurisgate:problem:missing_region"


@pytest.mark.parametrize(
    ("entity_type", "region", "status"),
    [
        ("federal_law_enforcement", "US-DC", 200),
        ("federal_law_enforcement", "US-IL", 451),
        ("federal_law_enforcement", "IL", 451),  # the US alias, never Israel
        ("federal_law_enforcement", "illinois", 451),
        ("state_law_enforcement", "us-il", 451),
        ("private_company", "US-TX", 451),
        ("individual", "California", 451),
        ("local_law_enforcement", "NY", 200),
    ],
)
def test_normalized_spellings_decide_like_the_code(
    gate: Gate, idps: IdPs, entity_type: str, region: str, status: int
) -> None:
    response = gate.request(token=idps.ec.mint(entity_type=entity_type, region=region))
    assert response.status_code == status, response.text


def test_policy_values_are_anchored_us_is_not_usa(gate: Gate, idps: IdPs) -> None:
    # A country the policy does not name is default-denied, never matched as a prefix of "US".
    for country, region in (("UA", "UA-30"), ("AU", idps.drop), ("UZ", idps.drop)):
        token = idps.rsa.mint(entity_type="federal_agency", country=country, region=region)
        assert gate.request(token=token).status_code == 403


def test_us_territories_are_in_the_us(gate: Gate, idps: IdPs) -> None:
    # Their own ISO 3166-1 codes name US subdivisions: the nationwide rules reach them.
    for country, region in (("UM", "UM-67"), ("VI", idps.drop), ("AS", idps.drop)):
        token = idps.rsa.mint(entity_type="federal_agency", country=country, region=region)
        assert gate.request(token=token).status_code == 200
        token = idps.rsa.mint(entity_type="private_company", country=country, region=region)
        assert gate.request(token=token).status_code == 451
