"""Issuer authority and explicit typing: what an issuer may assert, and which tokens are its
access tokens. A token claiming more than its issuer is trusted for is 403 and audited."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from jurisgate.middleware import AUDIT_LOGGER, IssuerAuthority, TrustedIssuer
from jurisgate.middleware.claims.principal import Principal

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs, MakeGate

AUDIENCE = "face-search-api"


@pytest.fixture
def texas_gate(make_gate: MakeGate, idps: IdPs) -> Gate:
    """The RSA IdP is Texas's: it may vouch for Texan state clients only. The EC IdP is
    unlimited; the HMAC IdP may vouch for federal clients anywhere in the US."""
    texas = IssuerAuthority.limit(
        entity_types=["state_agency", "state_law_enforcement"],
        countries=["US"],
        regions=["US-TX"],
    )
    federal = IssuerAuthority.limit(
        entity_types=["federal_agency", "federal_law_enforcement"], countries=["US"]
    )
    return make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, authority=texas
            ),
            TrustedIssuer(idps.ec.issuer, AUDIENCE, ("ES256",), idps.ec.public_key),
            TrustedIssuer(
                idps.hmac.issuer, AUDIENCE, ("HS256",), idps.hmac.public_key, authority=federal
            ),
        ]
    )


@pytest.mark.parametrize(
    ("entity_type", "region"),
    [("state_agency", "US-TX"), ("state_law_enforcement", "TX"), ("state_agency", "Texas")],
)
def test_claims_within_authority_are_served(
    texas_gate: Gate, idps: IdPs, entity_type: str, region: str
) -> None:
    response = texas_gate.request(token=idps.rsa.mint(entity_type=entity_type, region=region))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("entity_type", "country", "region"),
    [
        ("federal_law_enforcement", "US", "US-TX"),  # entity type beyond authority
        ("state_agency", "US", "US-NY"),  # region beyond authority
        ("state_agency", "US", "US-IL"),  # ...even when the policy would refuse anyway
        ("state_agency", "MX", "MX-CHH"),  # country beyond authority
        ("state_agency", "FR", None),  # no region at all cannot be placed in Texas
    ],
)
def test_claims_beyond_authority_are_refused_and_audited(
    texas_gate: Gate,
    idps: IdPs,
    caplog: pytest.LogCaptureFixture,
    entity_type: str,
    country: str,
    region: str | None,
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    token = idps.rsa.mint(
        entity_type=entity_type, country=country, region=region if region else idps.drop
    )
    response = texas_gate.request(token=token)
    texas_gate.refused(response, 403, token=token)
    assert response.json()["type"] == "urn:jurisgate:problem:beyond_issuer_authority"
    audited = [r.audit for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    assert len(audited) == 1
    assert audited[0]["reason"] == "beyond_issuer_authority"
    assert audited[0]["status"] == 403
    # The record names the identity provider that over-reached, and the client it vouched for.
    assert audited[0]["issuer"] == idps.rsa.issuer
    assert audited[0]["subject"] is not None
    assert texas_gate.reached.calls == []


def test_authority_is_per_issuer(texas_gate: Gate, idps: IdPs) -> None:
    # The unlimited EC IdP may vouch for a New York police department; the federal-only HMAC
    # IdP may not, and may vouch for the FBI anywhere.
    assert texas_gate.request(token=idps.ec.mint()).status_code == 200
    texas_gate.refused(texas_gate.request(token=idps.hmac.mint()), 403)
    fbi = idps.hmac.mint(entity_type="federal_law_enforcement", region="US-DC")
    assert texas_gate.request(token=fbi).status_code == 200


def test_a_country_limit_alone_refuses_other_countries(texas_gate: Gate, idps: IdPs) -> None:
    # The federal HMAC IdP is limited to the US by its countries alone (no region limit backs
    # it up, unlike Texas's): a Canadian federal client is beyond its authority.
    token = idps.hmac.mint(entity_type="federal_law_enforcement", country="CA", region="CA-ON")
    response = texas_gate.request(token=token)
    texas_gate.refused(response, 403, token=token)
    assert response.json()["type"] == "urn:jurisgate:problem:beyond_issuer_authority"


@pytest.mark.parametrize(
    ("limits", "claims"),
    [
        ({"entity_types": ["state_agency"]}, {"entity_type": "local_agency"}),
        ({"countries": ["CA"]}, {}),  # the default claims are a New York police department
        ({"regions": ["US-TX"]}, {}),
    ],
)
def test_a_single_limit_is_enforced_by_the_gate(
    make_gate: MakeGate, idps: IdPs, limits: dict[str, Any], claims: dict[str, str]
) -> None:
    # One limit alone still makes the issuer limited: the gate must check it, not skip the
    # issuer as unlimited.
    authority = IssuerAuthority.limit(**limits)
    assert not authority.unlimited
    gate = make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, authority=authority
            )
        ]
    )
    token = idps.rsa.mint(**claims)
    response = gate.request(token=token)
    gate.refused(response, 403, token=token)
    assert response.json()["type"] == "urn:jurisgate:problem:beyond_issuer_authority"


def _client(entity_type: str, country: str, region: str | None) -> Principal:
    return Principal("https://idp.test", "client-1", entity_type, country, region)


@pytest.mark.parametrize(
    ("authority", "client", "allowed"),
    [
        (IssuerAuthority.limit(countries=["US"]), _client("individual", "US", "US-TX"), True),
        (IssuerAuthority.limit(countries=["US"]), _client("individual", "CA", "CA-ON"), False),
        (IssuerAuthority.limit(countries=["US", "CA"]), _client("individual", "CA", None), True),
        (IssuerAuthority.limit(countries=["US"]), _client("individual", "FR", None), False),
        # No country limit: any country, whatever the other limits say about other claims.
        (
            IssuerAuthority.limit(entity_types=["individual"]),
            _client("individual", "FR", None),
            True,
        ),
        (IssuerAuthority.limit(regions=["CA-ON"]), _client("individual", "CA", "CA-ON"), True),
        (IssuerAuthority(), _client("federal_agency", "MX", "MX-CHH"), True),
    ],
)
def test_each_limit_is_applied_on_its_own(
    authority: IssuerAuthority, client: Principal, allowed: bool
) -> None:
    assert authority.allows(client) is allowed


@pytest.mark.parametrize("field_name", ["entity_types", "countries", "regions"])
def test_authority_cannot_be_loosened_after_start(field_name: str) -> None:
    authority = IssuerAuthority.limit(
        entity_types=["state_agency"], countries=["US"], regions=["US-TX"]
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(authority, field_name, None)
    assert getattr(authority, field_name) is not None


def test_a_refused_token_is_not_cached_as_good(texas_gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint(entity_type="federal_agency", region="US-TX")
    for _ in range(3):
        texas_gate.refused(texas_gate.request(token=token), 403)


@pytest.mark.parametrize(
    "limits",
    [
        {"entity_types": ["government"]},
        {"entity_types": []},
        {"countries": ["USA"]},
        {"countries": ["us"]},
        {"regions": ["IL"]},
        {"regions": ["US-XX"]},
        {"countries": ["US"], "regions": ["FR-75C"]},
        {"agency_regions": ["PR"]},  # claims normalize it to US-PR: the limit could never match
        {"agency_regions": ["us-il"]},
        {"agency_regions": ["US-XX"]},
        {"agency_regions": []},
    ],
)
def test_authority_values_are_checked_at_start(limits: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(limits))):
        IssuerAuthority.limit(**limits)


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_required_typ_matches_as_a_media_type(make_gate: MakeGate, idps: IdPs, typ: str) -> None:
    gate = make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, required_typ="at+jwt"
            )
        ]
    )
    assert gate.request(token=idps.rsa.mint_with(header={"typ": typ})).status_code == 200


@pytest.mark.parametrize("typ", ["JWT", "jwt", "id_token+jwt", "at+jwt ", "", 1, None, ["at+jwt"]])
def test_required_typ_refuses_other_token_types(
    make_gate: MakeGate, idps: IdPs, typ: object
) -> None:
    gate = make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, required_typ="at+jwt"
            )
        ]
    )
    header = idps.rsa.header_bytes(typ=typ)
    token = idps.rsa.sign_raw(header, _claims(idps))
    gate.refused(gate.request(token=token), 401, token=token)


def test_without_required_typ_any_string_typ_is_accepted_but_not_other_types(
    gate: Gate, idps: IdPs
) -> None:
    assert gate.request(token=idps.rsa.mint_with(header={"typ": "at+jwt"})).status_code == 200
    for typ in (1, None, ["JWT"], {"a": 1}):
        token = idps.rsa.sign_raw(idps.rsa.header_bytes(typ=typ), _claims(idps))
        gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize("typ", ["", "at jwt", "at+jwt\n", "a/b/c"])
def test_required_typ_must_be_a_media_type_name(idps: IdPs, typ: str) -> None:
    with pytest.raises(ValueError, match="required_typ"):
        TrustedIssuer(idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, required_typ=typ)


def _claims(idps: IdPs) -> bytes:
    return json.dumps(idps.rsa.claims()).encode()


@pytest.fixture
def chicago_gate(make_gate: MakeGate, idps: IdPs) -> Gate:
    """The RSA IdP is the Chicago Police Department's own: it pins one agency, US-IL."""
    chicago = IssuerAuthority.limit(agency_regions=["US-IL"])
    return make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, authority=chicago
            )
        ]
    )


def test_an_agency_identity_provider_pins_its_agency(chicago_gate: Gate, idps: IdPs) -> None:
    # Its own officer passes the authority check and is decided by the policy (the decree: 451).
    response = chicago_gate.request(token=idps.rsa.mint(region="US-IN", agency_region="US-IL"))
    assert (response.status_code, response.json()["rule"]) == (451, "il-agencies-five-years")
    for claims in (
        {"agency_region": "US-IN"},  # another state's police
        {"entity_type": "federal_agency", "agency_region": idps.drop},  # federal: US, not US-IL
        {"entity_type": "private_company", "agency_region": idps.drop},  # no agency at all
    ):
        token = idps.rsa.mint(**claims)
        response = chicago_gate.request(token=token)
        chicago_gate.refused(response, 403, token=token)
        assert response.json()["type"] == "urn:jurisgate:problem:beyond_issuer_authority"


@pytest.fixture
def pinned_gate(make_gate: MakeGate, idps: IdPs) -> Gate:
    """The RSA IdP is the Illinois State Police's own: its tokens need not name their agency."""
    illinois = IssuerAuthority.limit(agency_region="US-IL")
    return make_gate(
        issuers=[
            TrustedIssuer(
                idps.rsa.issuer, AUDIENCE, ("RS256",), idps.rsa.public_key, authority=illinois
            ),
            TrustedIssuer(idps.ec.issuer, AUDIENCE, ("ES256",), idps.ec.public_key),
        ]
    )


def test_a_pinned_agency_region_fills_in_a_token_that_leaves_it_out(
    pinned_gate: Gate, idps: IdPs
) -> None:
    officer = {"entity_type": "state_law_enforcement", "region": "US-IN"}
    response = pinned_gate.request(token=idps.rsa.mint(**officer, agency_region=idps.drop))
    assert (response.status_code, response.json()["rule"]) == (451, "il-agencies-five-years")
    # Another issuer is not pinned: the same claims lack their agency region there.
    other = pinned_gate.request(token=idps.ec.mint(**officer, agency_region=idps.drop))
    assert other.json()["type"] == "urn:jurisgate:problem:missing_agency_region"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"agency_region": "US-IN"}, "beyond_issuer_authority"),  # names another agency
        ({"entity_type": "federal_agency"}, "agency_region_mismatch"),  # US-IL is no federal one
    ],
)
def test_a_pinned_issuer_speaks_for_its_agency_only(
    pinned_gate: Gate, idps: IdPs, claims: dict[str, object], code: str
) -> None:
    token = idps.rsa.mint(**{"agency_region": idps.drop, **claims})
    response = pinned_gate.request(token=token)
    pinned_gate.refused(response, 403, token=token)
    assert response.json()["type"] == f"urn:jurisgate:problem:{code}"


def test_a_pin_leaves_private_clients_without_an_agency(pinned_gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint(entity_type="private_company", region="US-TX")
    assert pinned_gate.request(token=token).json()["rule"] == "us-private-permanent"


@pytest.mark.parametrize(
    "limits",
    [
        {"agency_region": "PR"},
        {"agency_region": "Illinois"},
        {"agency_region": "US-IL", "agency_regions": ["US-TX"]},
    ],
)
def test_a_pinned_agency_region_is_checked_at_start(limits: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="agency_region"):
        IssuerAuthority.limit(**limits)
