"""Per-issuer claim mapping: Auth0- and Keycloak-shaped tokens read through the bundled
settlement pack by the gate, and claims files of the same shape read the same way by
``jurisgate explain`` and ``jurisgate test`` (tests/fixtures/providers.py makes the tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jurisgate.admin.cli import main as jurisgate
from jurisgate.middleware import ConfigError, load_config

from ..fixtures.providers import AUTH0, CONFIG, NS, ask, auth0, gate, keycloak, sign

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf


@pytest.mark.anyio
async def test_auth0_namespaced_claims_are_read(
    provider_config: Path, provider_keys: dict[str, Any]
) -> None:
    app = gate(provider_config)
    served = await ask(app, sign(auth0("state_law_enforcement"), provider_keys["rsa"]))
    assert served.status_code == 200, served.text
    assert served.json() == {"entity_type": "state_law_enforcement", "region": "US-NY"}
    company = await ask(app, sign(auth0("private_company"), provider_keys["rsa"]))
    assert company.status_code == 451


@pytest.mark.anyio
async def test_a_mapped_claim_is_read_only_where_the_mapping_says(
    provider_config: Path, provider_keys: dict[str, Any]
) -> None:
    app = gate(provider_config)
    # a top-level claim of the default name does not stand in for the namespaced one
    smuggled = auth0("private_company", entity_type="federal_agency")
    assert (await ask(app, sign(smuggled, provider_keys["rsa"]))).status_code == 451
    missing = {k: v for k, v in auth0("federal_agency").items() if k != f"{NS}entity_type"}
    missing["entity_type"] = "federal_agency"
    refused = await ask(app, sign(missing, provider_keys["rsa"]))
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:jurisgate:problem:missing_entity_type"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("entity_type", "region", "code"),
    [
        (["state_law_enforcement"], "US-NY", "invalid_entity_type"),
        ("state_law_enforcement", ["US-NY"], "invalid_region"),
        ({"value": "state_law_enforcement"}, "US-NY", "invalid_entity_type"),
    ],
)
async def test_the_strict_rules_stay(
    provider_config: Path,
    provider_keys: dict[str, Any],
    entity_type: object,
    region: object,
    code: str,
) -> None:
    refused = await ask(
        gate(provider_config), sign(auth0(entity_type, region), provider_keys["rsa"])
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == f"urn:jurisgate:problem:{code}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("address", "status", "code"),
    [
        ({"country": "US", "region": "US-NY", "street_address": "1 Main St"}, 200, None),
        ({"country": "US", "region": "US-IL"}, 451, None),
        ({"country": "US", "region": ["US-NY"]}, 403, "invalid_region"),
        ({"country": "US"}, 403, "missing_region"),
        ([{"country": "US", "region": "US-NY"}], 403, "missing_country"),
        ("US-NY", 403, "missing_country"),
    ],
)
async def test_keycloak_nested_claims_are_read(
    provider_config: Path,
    provider_keys: dict[str, Any],
    address: object,
    status: int,
    code: str | None,
) -> None:
    # a top-level region must not stand in for the nested one
    answer = await ask(
        gate(provider_config), sign(keycloak(address, region="US-NY"), provider_keys["rsa"])
    )
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["type"] == f"urn:jurisgate:problem:{code}"


def test_explain_reads_a_claims_file_as_the_gate_reads_the_token(
    provider_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(keycloak({"country": "US", "region": "US-IL"})), "utf-8")
    args = [
        "explain",
        "--config",
        str(provider_config),
        "--claims",
        str(claims),
        "--path",
        "/search",
    ]
    assert jurisgate([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["rule"]) == (451, "il-located-five-years")
    assert result["principal"]["region"] == "US-IL"
    claims.write_text(json.dumps(auth0(["federal_agency"])), "utf-8")
    assert jurisgate([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == 403
    assert "invalid_entity_type" in result["reason"]


@pytest.mark.parametrize(
    ("claims", "key", "message"),
    [
        ('{ email = "mail" }', "issuers[0].claims.email", "not a claim that can be mapped"),
        ("{ region = [] }", "issuers[0].claims.region", "empty"),
        ('{ region = "" }', "issuers[0].claims.region", "empty"),
        ('{ region = ["address", ""] }', "issuers[0].claims.region", "empty"),
        ("{ region = 7 }", "issuers[0].claims.region", "claim name or a list"),
        ("{ region = [1, 2] }", "issuers[0].claims.region", "claim name or a list"),
        ('"entity_type"', "issuers[0].claims", "must be a table"),
    ],
)
def test_bad_mapping_stops_start_up_naming_file_and_key(
    provider_config: Path,
    claims: str,
    key: str,
    message: str,
    startup_failure: StartupFailureOf,
) -> None:
    text = CONFIG.replace(CONFIG.split("\n")[6], f"claims = {claims}", 1)
    provider_config.write_text(text, encoding="utf-8")
    failure = startup_failure(gate(provider_config), ConfigError)
    assert failure.startswith(f"jurisgate cannot start: {provider_config}: {key}")
    assert message in failure


def test_mapping_reaches_the_trusted_issuer(provider_config: Path) -> None:
    auth0_issuer, keycloak_issuer, ed_issuer = load_config(provider_config).issuers
    assert auth0_issuer.claims.paths["entity_type"] == (f"{NS}entity_type",)
    assert keycloak_issuer.claims.paths == {
        "country": ("address", "country"),
        "region": ("address", "region"),
    }
    assert ed_issuer.claims.identity


def test_policy_cases_that_name_an_issuer_read_its_mapping(
    provider_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: an Auth0 token as the provider sends it\n"
        f"    issuer: {AUTH0}\n"
        f"    claims: {{'{NS}entity_type': state_agency, '{NS}country': US,"
        f" '{NS}region': US-NY, '{NS}agency_region': US-NY}}\n"
        "    path: /search\n"
        "    at: 2026-11-26T12:00:00Z\n"
        "    expect: {status: 200, rule: us-government-search}\n"
        "  - name: the same claims without the issuer are not where the contract says\n"
        f"    claims: {{'{NS}entity_type': state_agency, '{NS}country': US,"
        f" '{NS}region': US-NY}}\n"
        "    path: /search\n"
        "    at: 2026-11-26T12:00:00Z\n"
        "    expect: {status: 403}\n",
        encoding="utf-8",
    )
    assert jurisgate(["test", str(cases), "--config", str(provider_config)]) == 0
    assert capsys.readouterr().out.endswith("2 passed, 0 failed\n")
    unknown = cases.read_text(encoding="utf-8").replace(AUTH0, "https://nobody.test", 1)
    cases.write_text(unknown, encoding="utf-8")
    assert jurisgate(["test", str(cases), "--config", str(provider_config)]) == 2
    assert "issuer 'https://nobody.test' is not an [[issuers]] entry" in capsys.readouterr().err


def test_a_mapping_is_a_value() -> None:
    from jurisgate.middleware import ClaimMapping, TrustedIssuer

    paths: dict[str, tuple[str, ...]] = {"region": ("address", "region")}
    mapping = ClaimMapping(paths)
    paths["region"] = ("region",)  # the caller's dict changing later moves nothing
    assert mapping.paths["region"] == ("address", "region")
    assert mapping == ClaimMapping({"region": ("address", "region")})
    assert mapping != ClaimMapping()
    # an issuer stays a hashable value with a mapping in it
    issuer = TrustedIssuer("https://idp.test", "api", ("HS256",), b"k" * 32, claims=mapping)
    assert len({issuer, issuer}) == 1
    with pytest.raises(ValueError, match="not a claim that can be mapped"):
        ClaimMapping({"email": ("mail",)})


@pytest.mark.anyio
async def test_agency_claims_are_mapped_and_a_pin_still_fills_in(
    provider_config: Path, provider_keys: dict[str, Any]
) -> None:
    app = gate(provider_config)
    # Auth0: the namespaced agency_region is the one read; a top-level one is ignored
    il_agency = auth0("state_law_enforcement", **{f"{NS}agency_region": "US-IL"})
    il_agency["agency_region"] = "US-NY"
    refused = await ask(app, sign(il_agency, provider_keys["rsa"]))
    assert (refused.status_code, refused.json()["rule"]) == (451, "il-agencies-five-years")
    # Keycloak pins its agency (US-NY): a token that leaves it out gets it, after the mapping
    nested = {"country": "US", "region": "US-NY"}
    assert (await ask(app, sign(keycloak(nested), provider_keys["rsa"]))).status_code == 200
    other = await ask(app, sign(keycloak(nested, agency_region="US-IL"), provider_keys["rsa"]))
    assert other.status_code == 403
    assert other.json()["type"] == "urn:jurisgate:problem:beyond_issuer_authority"
