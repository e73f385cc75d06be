"""Identity providers as they are: per-issuer claim mapping and the ``Ed25519`` algorithm name.

Tokens are signed with PyJWT and shaped like Auth0 (namespaced custom claims) and Keycloak
(claims nested under ``address``) access tokens; the gate reads them through the bundled
settlement pack, and ``jurisgate explain`` must read a claims file of the same shape the same
way.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519, rsa
from jwt.algorithms import Algorithm, OKPAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.admin.cli import main as jurisgate
from jurisgate.middleware import ConfigError, JurisdictionMiddleware, load_config

AUTH0 = "https://example-tenant.us.auth0.com/"
KEYCLOAK = "https://sso.example.gov/realms/agencies"
EDDSA = "https://ed.example.gov"
NS = "https://example.gov/"

CONFIG = f"""
[[issuers]]
issuer = "{AUTH0}"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "rsa.pem"
claims = {{ entity_type = "{NS}entity_type", country = "{NS}country", region = "{NS}region" }}

[[issuers]]
issuer = "{KEYCLOAK}"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "rsa.pem"
claims = {{ country = ["address", "country"], region = ["address", "region"] }}

[[issuers]]
issuer = "{EDDSA}"
audience = "face-search-api"
algorithms = ["Ed25519"]
public_key_file = "ed25519.pem"
"""


def pem(key: Any, *, public: bool) -> bytes:
    if public:
        return bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }


@pytest.fixture
def config(tmp_path: Path, keys: dict[str, Any]) -> Path:
    (tmp_path / "rsa.pem").write_bytes(pem(keys["rsa"], public=True))
    (tmp_path / "ed25519.pem").write_bytes(pem(keys["ed25519"], public=True))
    (tmp_path / "ed448.pem").write_bytes(pem(keys["ed448"], public=True))
    path = tmp_path / "jurisgate.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def auth0(kind: object, region: object = "US-NY", **extra: object) -> dict[str, object]:
    """An Auth0 access token's payload: custom claims must be namespaced."""
    return {
        "iss": AUTH0,
        "sub": "auth0|64f0c1d2e3",
        "aud": ["face-search-api", f"{AUTH0}userinfo"],
        "azp": "k3yC1i3nt",
        "scope": "openid profile search:read",
        "gty": "client-credentials",
        f"{NS}entity_type": kind,
        f"{NS}country": "US",
        f"{NS}region": region,
        **extra,
    }


def keycloak(address: object, **extra: object) -> dict[str, object]:
    """A Keycloak access token's payload: the address mapper nests country and region."""
    return {
        "iss": KEYCLOAK,
        "sub": "f3c0a2b4-8d1e-4c55-9a77-2b1f0e9d6c11",
        "aud": "face-search-api",
        "typ": "Bearer",
        "azp": "search-portal",
        "realm_access": {"roles": ["default-roles-agencies", "offline_access"]},
        "preferred_username": "det.jones",
        "entity_type": "state_law_enforcement",
        "address": address,
        **extra,
    }


def sign(payload: dict[str, object], key: Any, algorithm: str = "RS256") -> str:
    now = int(time.time())
    claims = {"iat": now - 10, "exp": now + 600, **payload}
    return jwt.encode(claims, key, algorithm=algorithm)


def sign_as(alg: str, payload: dict[str, object], key: Any, algorithm: Algorithm) -> str:
    """Signed by PyJWT's ``algorithm`` implementation under the header name ``alg`` (PyJWT 2.15
    does not know ``Ed25519``; the name is registered on a PyJWS of this test's own)."""
    signer = jwt.PyJWS()
    signer.register_algorithm(alg, algorithm)
    now = int(time.time())
    body = json.dumps({"iat": now - 10, "exp": now + 600, **payload}).encode()
    return signer.encode(body, key, algorithm=alg)


async def search(request: Request) -> JSONResponse:
    principal = request.state.principal
    return JSONResponse({"entity_type": principal.entity_type, "region": principal.region})


def gate(config: Path) -> JurisdictionMiddleware:
    return JurisdictionMiddleware(Starlette(routes=[Route("/search", search)]), config=config)


async def ask(app: Any, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get("/search", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.anyio
async def test_auth0_namespaced_claims_are_read(config: Path, keys: dict[str, Any]) -> None:
    app = gate(config)
    served = await ask(app, sign(auth0("state_law_enforcement"), keys["rsa"]))
    assert served.status_code == 200, served.text
    assert served.json() == {"entity_type": "state_law_enforcement", "region": "US-NY"}
    company = await ask(app, sign(auth0("private_company"), keys["rsa"]))
    assert company.status_code == 451


@pytest.mark.anyio
async def test_a_mapped_claim_is_read_only_where_the_mapping_says(
    config: Path, keys: dict[str, Any]
) -> None:
    app = gate(config)
    # a top-level claim of the default name does not stand in for the namespaced one
    smuggled = auth0("private_company", entity_type="federal_agency")
    assert (await ask(app, sign(smuggled, keys["rsa"]))).status_code == 451
    missing = {k: v for k, v in auth0("federal_agency").items() if k != f"{NS}entity_type"}
    missing["entity_type"] = "federal_agency"
    refused = await ask(app, sign(missing, keys["rsa"]))
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
    config: Path, keys: dict[str, Any], entity_type: object, region: object, code: str
) -> None:
    refused = await ask(gate(config), sign(auth0(entity_type, region), keys["rsa"]))
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
    config: Path, keys: dict[str, Any], address: object, status: int, code: str | None
) -> None:
    # a top-level region must not stand in for the nested one
    answer = await ask(gate(config), sign(keycloak(address, region="US-NY"), keys["rsa"]))
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["type"] == f"urn:jurisgate:problem:{code}"


def test_explain_reads_a_claims_file_as_the_gate_reads_the_token(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(keycloak({"country": "US", "region": "US-IL"})), "utf-8")
    args = ["explain", "--config", str(config), "--claims", str(claims), "--path", "/search"]
    assert jurisgate([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["rule"]) == (451, "il-five-years")
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
    config: Path, claims: str, key: str, message: str
) -> None:
    text = CONFIG.replace(CONFIG.split("\n")[6], f"claims = {claims}", 1)
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as raised:
        gate(config)
    assert str(raised.value).startswith(f"{config}: {key}")


def test_mapping_reaches_the_trusted_issuer(config: Path) -> None:
    auth0_issuer, keycloak_issuer, ed_issuer = load_config(config).issuers
    assert auth0_issuer.claims.paths["entity_type"] == (f"{NS}entity_type",)
    assert keycloak_issuer.claims.paths == {
        "country": ("address", "country"),
        "region": ("address", "region"),
    }
    assert ed_issuer.claims.identity


def ed_claims() -> dict[str, object]:
    return {
        "iss": EDDSA,
        "sub": "client-ed",
        "aud": "face-search-api",
        "entity_type": "federal_agency",
        "country": "US",
        "region": "US-NY",
    }


@pytest.mark.anyio
async def test_ed25519_is_accepted_by_its_fully_specified_name(
    config: Path, keys: dict[str, Any]
) -> None:
    app = gate(config)
    # EdDSA with an Ed25519 key is the Ed25519 signature (RFC 9864)
    token = sign_as("Ed25519", ed_claims(), keys["ed25519"], OKPAlgorithm())
    assert jwt.get_unverified_header(token)["alg"] == "Ed25519"
    assert (await ask(app, token)).status_code == 200
    # the issuer pins Ed25519: the polymorphic name is not accepted in its place
    assert (await ask(app, sign(ed_claims(), keys["ed25519"], "EdDSA"))).status_code == 401
    # nor does the name let a token pick another family or another key
    rsa_signed = sign_as("Ed25519", ed_claims(), keys["rsa"], RSAAlgorithm(RSAAlgorithm.SHA256))
    assert (await ask(app, rsa_signed)).status_code == 401
    ed448_signed = sign_as("Ed25519", ed_claims(), keys["ed448"], OKPAlgorithm())
    assert (await ask(app, ed448_signed)).status_code == 401
    auth0_ed = sign_as("Ed25519", auth0("federal_agency"), keys["ed25519"], OKPAlgorithm())
    assert (await ask(app, auth0_ed)).status_code == 401  # an RS256 issuer


def test_an_ed448_key_is_refused_for_ed25519_at_start_up(config: Path) -> None:
    config.write_text(CONFIG.replace('"ed25519.pem"', '"ed448.pem"'), encoding="utf-8")
    with pytest.raises(ValueError, match="unusable for Ed25519"):
        gate(config)


def test_ed25519_is_one_family_with_eddsa_only(config: Path) -> None:
    text = CONFIG.replace('algorithms = ["Ed25519"]', 'algorithms = ["Ed25519", "RS256"]')
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="one algorithm family"):
        load_config(config)


def test_a_jwks_serves_ed25519_keys_only_to_ed25519(tmp_path: Path, keys: dict[str, Any]) -> None:
    from jwt.algorithms import OKPAlgorithm

    ed25519_jwk = json.loads(OKPAlgorithm.to_jwk(keys["ed25519"].public_key()))
    ed448_jwk = json.loads(OKPAlgorithm.to_jwk(keys["ed448"].public_key()))
    document = {
        "keys": [
            {**ed25519_jwk, "kid": "a", "alg": "Ed25519", "use": "sig"},
            {**ed448_jwk, "kid": "b", "use": "sig"},  # no alg: the curve must decide
            {**ed25519_jwk, "kid": "c", "alg": "EdDSA"},  # named for another algorithm
        ]
    }
    from jurisgate.middleware import JwksKeys

    jwks = JwksKeys(algorithms=("Ed25519",), file=tmp_path / "jwks.json")
    parsed = jwks.parse(json.dumps(document).encode())
    assert set(parsed) == {"a"}
    assert set(parsed["a"]) == {"Ed25519"}


def test_policy_cases_that_name_an_issuer_read_its_mapping(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: an Auth0 token as the provider sends it\n"
        f"    issuer: {AUTH0}\n"
        f"    claims: {{'{NS}entity_type': state_agency, '{NS}country': US,"
        f" '{NS}region': US-NY}}\n"
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
    assert jurisgate(["test", str(cases), "--config", str(config)]) == 0
    assert capsys.readouterr().out.endswith("2 passed, 0 failed\n")
    unknown = cases.read_text(encoding="utf-8").replace(AUTH0, "https://nobody.test", 1)
    cases.write_text(unknown, encoding="utf-8")
    assert jurisgate(["test", str(cases), "--config", str(config)]) == 2
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
