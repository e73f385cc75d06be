"""Whose agency, on whose behalf, in what capacity: agency_region, agency_type, capacity and
the US territories, as the claims contract in README.md writes them."""

from __future__ import annotations

import pytest

from jurisgate.middleware.claims.principal import Principal, principal_from_claims
from jurisgate.middleware.errors import ClaimsError

WRONG_TYPES: list[object] = [1, 0, 2.5, ["US-IL"], [], True, False, {"value": "US-IL"}, {}]
# Look-alikes and smuggling: full-width letters, Cyrillic I, zero-width space, stray whitespace.
LOOK_ALIKES = ["\uff35\uff33-IL", "US-\u0406L", "US-IL\u200b", " US-IL", "US-IL\n", "US_IL", "US-"]


def principal(**claims: object) -> Principal:
    return principal_from_claims("https://idp.test", "client-1", claims)


def code(**claims: object) -> str:
    with pytest.raises(ClaimsError) as info:
        principal(**claims)
    return info.value.code


ISP_IN = {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN"}
CONTRACTOR = {"entity_type": "government_contractor", "country": "US", "region": "US-VA"}


@pytest.mark.parametrize(
    "entity_type",
    ["state_agency", "state_law_enforcement", "local_agency", "local_law_enforcement"],
)
def test_state_and_local_agencies_must_name_their_government(entity_type: str) -> None:
    assert code(entity_type=entity_type, country="US", region="US-TX") == "missing_agency_region"
    assert (
        principal(
            entity_type=entity_type, country="US", region="US-IN", agency_region="US-IL"
        ).agency_region
        == "US-IL"
    )


@pytest.mark.parametrize("entity_type", ["federal_agency", "federal_law_enforcement"])
def test_federal_agencies_belong_to_the_us_by_default(entity_type: str) -> None:
    assert principal(entity_type=entity_type, country="US", region="US-DC").agency_region == "US"
    explicit = principal(entity_type=entity_type, country="US", region="US-DC", agency_region="us")
    assert explicit.agency_region == "US"
    assert code(entity_type=entity_type, country="US", region="US-IL", agency_region="US-IL") == (
        "agency_region_mismatch"
    )


def test_foreign_agencies_may_name_their_government() -> None:
    assert principal(entity_type="foreign_government", country="UA").agency_region is None
    assert (
        principal(entity_type="foreign_government", country="UA", agency_region="UA").agency_region
        == "UA"
    )
    assert code(entity_type="foreign_government", country="UA", agency_region="US-IL") == (
        "agency_region_mismatch"
    )
    assert code(entity_type="foreign_government", country="UA", agency_region="US") == (
        "agency_region_mismatch"
    )


def test_a_state_agency_cannot_be_foreign_nor_federal() -> None:
    assert code(**ISP_IN, agency_region="US") == "agency_region_mismatch"
    # Codes only, never names or a state's bare code: IL is Israel, so this is no Illinois agency.
    assert code(**ISP_IN, agency_region="IL") == "agency_region_mismatch"
    assert code(**ISP_IN, agency_region="Illinois") == "invalid_agency_region"
    assert code(**ISP_IN, agency_region="US-XX") == "invalid_agency_region"


@pytest.mark.parametrize("value", WRONG_TYPES + LOOK_ALIKES + [""])
def test_agency_region_is_one_plain_iso_code(value: object) -> None:
    assert code(**ISP_IN, agency_region=value) == "invalid_agency_region"


def test_agency_region_null_is_absent() -> None:
    assert code(**ISP_IN, agency_region=None) == "missing_agency_region"


@pytest.mark.parametrize("entity_type", ["private_company", "individual"])
def test_agency_claims_do_not_apply_to_private_clients(entity_type: str) -> None:
    where = {"entity_type": entity_type, "country": "US", "region": "US-TX"}
    assert code(**where, agency_region="US-TX") == "invalid_agency_region"
    assert code(**where, agency_type="state_agency") == "invalid_agency_type"


def test_agency_type_is_for_contractors_only() -> None:
    assert (
        code(**ISP_IN, agency_region="US-IL", agency_type="state_agency") == "invalid_agency_type"
    )


def test_a_contractor_names_its_agency_type_and_government() -> None:
    fbi = principal(**CONTRACTOR, agency_type="federal_law_enforcement", agency_region="US")
    assert (fbi.agency_type, fbi.agency_region) == ("federal_law_enforcement", "US")
    assert fbi.policy_view() == (
        "government_contractor", "US", "US-VA", "federal_law_enforcement", "US", "official"
    )  # fmt: skip
    assert code(**CONTRACTOR, agency_region="US") == "missing_agency_type"
    # Even a federal contractor must name it: otherwise a Chicago contractor could omit it.
    assert code(**CONTRACTOR, agency_type="federal_agency") == "missing_agency_region"
    assert code(**CONTRACTOR, agency_type="foreign_government") == "missing_agency_region"
    assert code(**CONTRACTOR, agency_type="federal_agency", agency_region="US-IL") == (
        "agency_region_mismatch"
    )
    assert code(**CONTRACTOR, agency_type="local_agency", agency_region="US") == (
        "agency_region_mismatch"
    )


@pytest.mark.parametrize(
    "value",
    [*WRONG_TYPES, "", "private_company", "individual", "government_contractor", "Federal_Agency",
     "federal_agency ", "anonymous"],
)  # fmt: skip
def test_agency_type_is_a_government_entity_type(value: object) -> None:
    assert code(**CONTRACTOR, agency_type=value, agency_region="US") == "invalid_agency_type"


def test_capacity_defaults_to_official() -> None:
    assert principal(**ISP_IN, agency_region="US-IN").capacity == "official"
    assert principal(**ISP_IN, agency_region="US-IN", capacity=None).capacity == "official"


@pytest.mark.parametrize(
    "entity_type", ["federal_law_enforcement", "private_company", "individual"]
)
def test_personal_capacity_is_decided_as_an_individual(entity_type: str) -> None:
    client = principal(entity_type=entity_type, country="US", region="US-VA", capacity="personal")
    assert client.entity_type == entity_type  # the audit keeps what was claimed
    view = client.policy_view()
    assert (view.entity, view.capacity) == ("individual", "personal")


def test_a_personal_account_keeps_its_agency() -> None:
    view = principal(**ISP_IN, agency_region="US-IL", capacity="personal").policy_view()
    assert view == ("individual", "US", "US-IN", "state_law_enforcement", "US-IL", "personal")


@pytest.mark.parametrize(
    "value", [*WRONG_TYPES, "", "Personal", "OFFICIAL", "personal ", "private", "p\u0435rsonal"]
)
def test_capacity_is_official_or_personal(value: object) -> None:
    assert code(**ISP_IN, agency_region="US-IN", capacity=value) == "invalid_capacity"


@pytest.mark.parametrize("territory", ["PR", "GU", "VI", "AS", "MP", "UM", "pr"])
def test_territories_are_in_the_us(territory: str) -> None:
    client = principal(entity_type="private_company", country=territory)
    assert (client.country, client.region) == ("US", f"US-{territory.upper()}")


@pytest.mark.parametrize("region", ["US-PR", "PR", "pr", "Puerto Rico"])
def test_a_territory_client_may_name_the_territory_as_region(region: str) -> None:
    client = principal(entity_type="private_company", country="PR", region=region)
    assert (client.country, client.region) == ("US", "US-PR")


def test_a_territory_client_cannot_name_another_region() -> None:
    assert code(entity_type="private_company", country="PR", region="US-TX") == "region_mismatch"
    assert code(entity_type="private_company", country="PR", region="UM-67") == "region_mismatch"
    assert code(entity_type="private_company", country="PR", region=5) == "invalid_region"


def test_a_territory_subdivision_is_the_territory() -> None:
    client = principal(entity_type="private_company", country="UM", region="UM-67")
    assert client.region == "US-UM"


def test_us_with_a_territory_region_stays() -> None:
    client = principal(entity_type="private_company", country="US", region="US-GU")
    assert (client.country, client.region) == ("US", "US-GU")


def test_puerto_rico_police_name_their_government_either_way() -> None:
    for agency in ("PR", "US-PR"):
        client = principal(entity_type="local_law_enforcement", country="PR", agency_region=agency)
        assert client.policy_view()[:5] == (
            "local_law_enforcement", "US", "US-PR", "local_law_enforcement", "US-PR"
        )  # fmt: skip
    umx = principal(entity_type="local_agency", country="UM", agency_region="UM-67")
    assert umx.agency_region == "US-UM"
