"""Normalizing a verified token's jurisdiction claims into a Principal."""

from __future__ import annotations

import dataclasses

import pytest

from jurisgate.middleware.claims.principal import (
    ANONYMOUS,
    ENTITY_TYPES,
    Principal,
    principal_from_claims,
)
from jurisgate.middleware.errors import ClaimsError

# The claims contract, written out independently of the code.
CONTRACT_ENTITY_TYPES = {
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
    "government_contractor",
    "private_company",
    "individual",
    "foreign_government",
    "foreign_law_enforcement",
}
STATE_LOCAL = {"state_agency", "state_law_enforcement", "local_agency", "local_law_enforcement"}
WRONG_TYPES: list[object] = [1, 0, 2.5, ["US"], [], True, False, {"value": "US"}, {}]
ISSUER = "https://idp.example"
SUBJECT = "client-1"


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "entity_type": "state_law_enforcement",
        "country": "US",
        "region": "US-TX",
    }
    if str(overrides.get("entity_type", base["entity_type"])) in STATE_LOCAL:
        base["agency_region"] = "US-TX"  # required for them; the Texas State Police by default
    if overrides.get("entity_type") == "government_contractor":
        base.update(agency_type="state_agency", agency_region="US-TX")
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not ...}


def claims_error(claim_set: dict[str, object]) -> str:
    with pytest.raises(ClaimsError) as info:
        principal_from_claims(ISSUER, SUBJECT, claim_set)
    return info.value.code


def test_valid_claims() -> None:
    principal = principal_from_claims(
        ISSUER,
        SUBJECT,
        {
            "entity_type": "state_law_enforcement",
            "country": "us",
            "region": "il",
            "agency_region": "us-il",
        },
    )
    assert principal == Principal(
        ISSUER, SUBJECT, "state_law_enforcement", "US", "US-IL", None, "US-IL", "official"
    )
    assert principal.policy_view() == (
        "state_law_enforcement", "US", "US-IL", "state_law_enforcement", "US-IL", "official"
    )  # fmt: skip
    assert principal.as_dict() == {
        "issuer": ISSUER,
        "subject": SUBJECT,
        "entity_type": "state_law_enforcement",
        "country": "US",
        "region": "US-IL",
        "agency_type": None,
        "agency_region": "US-IL",
        "capacity": "official",
    }


def test_principal_is_frozen() -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims())
    with pytest.raises(dataclasses.FrozenInstanceError):
        principal.region = "US-IL"  # type: ignore[misc]


def test_extra_claims_are_ignored() -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims(scope="search", admin=True))
    assert principal.policy_view()[:3] == ("state_law_enforcement", "US", "US-TX")


def test_contract_entity_types() -> None:
    assert ENTITY_TYPES == CONTRACT_ENTITY_TYPES
    assert ANONYMOUS not in ENTITY_TYPES


@pytest.mark.parametrize("entity_type", sorted(CONTRACT_ENTITY_TYPES))
def test_every_contract_entity_type_accepted(entity_type: str) -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims(entity_type=entity_type))
    assert principal.entity_type == entity_type


@pytest.mark.parametrize(
    "entity_type",
    [
        "Federal_Agency",
        "FEDERAL_AGENCY",
        "federal-agency",
        "federal agency",
        " federal_agency",
        "federal_agency ",
        "federal_agency\n",
        "anonymous",
        "Anonymous",
        "",
        "*",
        "government",
        "private_company|individual",
        "\uff46ederal_agency",
    ],
)
def test_entity_type_outside_contract_rejected(entity_type: str) -> None:
    assert claims_error(claims(entity_type=entity_type)) == "invalid_entity_type"


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_entity_type_wrong_type(value: object) -> None:
    assert claims_error(claims(entity_type=value)) == "invalid_entity_type"


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_country_wrong_type(value: object) -> None:
    assert claims_error(claims(country=value)) == "invalid_country"


@pytest.mark.parametrize("country", ["US", "UA"])
@pytest.mark.parametrize("value", WRONG_TYPES)
def test_region_wrong_type(value: object, country: str) -> None:
    assert claims_error(claims(country=country, region=value)) == "invalid_region"


@pytest.mark.parametrize("absent", [None, ...], ids=["null", "absent"])
def test_missing_entity_type(absent: object) -> None:
    assert claims_error(claims(entity_type=absent)) == "missing_entity_type"


@pytest.mark.parametrize("absent", [None, ...], ids=["null", "absent"])
def test_missing_country(absent: object) -> None:
    assert claims_error(claims(country=absent)) == "missing_country"


@pytest.mark.parametrize("country", ["US", "us"])
@pytest.mark.parametrize("absent", [None, ...], ids=["null", "absent"])
def test_us_client_without_region(absent: object, country: str) -> None:
    # It cannot be proven to be outside Illinois.
    assert claims_error(claims(country=country, region=absent)) == "missing_region"


@pytest.mark.parametrize("country", ["ca", "ua", "uy", "vn", "za"])
def test_only_us_clients_must_name_a_region(country: str) -> None:
    # Countries on both sides of "US" in sort order: the rule is about the US, not a range.
    principal = principal_from_claims(ISSUER, SUBJECT, claims(country=country, region=...))
    assert (principal.country, principal.region) == (country.upper(), None)


@pytest.mark.parametrize("absent", [None, ...], ids=["null", "absent"])
def test_foreign_client_without_region(absent: object) -> None:
    principal = principal_from_claims(
        ISSUER, SUBJECT, claims(entity_type="foreign_law_enforcement", country="ua", region=absent)
    )
    assert principal.country == "UA"
    assert principal.region is None
    assert principal.policy_view() == (
        "foreign_law_enforcement", "UA", "", "foreign_law_enforcement", "", "official"
    )  # fmt: skip
    assert principal.as_dict()["region"] is None


def test_foreign_client_with_region() -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims(country="UA", region="ua-30"))
    assert principal.region == "UA-30"


@pytest.mark.parametrize(
    ("country", "region"), [("US", "UA-30"), ("UA", "US-IL"), ("US", "CA-ON"), ("LR", "US-MD")]
)
def test_region_mismatch(country: str, region: str) -> None:
    assert claims_error(claims(country=country, region=region)) == "region_mismatch"


@pytest.mark.parametrize(
    ("country", "region"), [("US", "Atlantis"), ("US", "US-ZZ"), ("US", ""), ("UA", "Kyiv")]
)
def test_unknown_region(country: str, region: str) -> None:
    assert claims_error(claims(country=country, region=region)) == "invalid_region"


@pytest.mark.parametrize(
    "country", ["\uff35\uff33", "\u0423\u0421", "U\u0405", "U\u200bS", "US ", "US\n", "US\t", "USA"]
)
def test_country_lookalikes(country: str) -> None:
    assert claims_error(claims(country=country)) == "invalid_country"


@pytest.mark.parametrize(
    "region", ["\uff29\uff2c", "\u0406L", "I\u200bL", "IL ", "US-IL\n", "\tIL", "\u0421\u0410"]
)
def test_region_lookalikes(region: str) -> None:
    assert claims_error(claims(region=region)) == "invalid_region"


@pytest.mark.parametrize("region", ["IL", "il", "Illinois", "US-IL", "us-il"])
def test_illinois_region_normalized(region: str) -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims(region=region))
    assert principal.region == "US-IL"


def test_maryland_claim_is_the_us_state() -> None:
    principal = principal_from_claims(ISSUER, SUBJECT, claims(region="Maryland"))
    assert principal.region == "US-MD"
