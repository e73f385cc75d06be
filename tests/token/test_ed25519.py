"""The ``Ed25519`` algorithm name (RFC 9864): accepted by its fully-specified name for an
issuer that pins it, never in place of another name, family or curve (tests/fixtures/providers.py
makes the tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from jurisgate.middleware import ConfigError, load_config

from ..fixtures.providers import CONFIG, ask, auth0, ed_claims, gate, sign, sign_as

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf


@pytest.mark.anyio
async def test_ed25519_is_accepted_by_its_fully_specified_name(
    provider_config: Path, provider_keys: dict[str, Any]
) -> None:
    app = gate(provider_config)
    # EdDSA with an Ed25519 key is the Ed25519 signature (RFC 9864)
    token = sign_as("Ed25519", ed_claims(), provider_keys["ed25519"], OKPAlgorithm())
    assert jwt.get_unverified_header(token)["alg"] == "Ed25519"
    assert (await ask(app, token)).status_code == 200
    # the issuer pins Ed25519: the polymorphic name is not accepted in its place
    assert (await ask(app, sign(ed_claims(), provider_keys["ed25519"], "EdDSA"))).status_code == 401
    # nor does the name let a token pick another family or another key
    rsa_signed = sign_as(
        "Ed25519", ed_claims(), provider_keys["rsa"], RSAAlgorithm(RSAAlgorithm.SHA256)
    )
    assert (await ask(app, rsa_signed)).status_code == 401
    ed448_signed = sign_as("Ed25519", ed_claims(), provider_keys["ed448"], OKPAlgorithm())
    assert (await ask(app, ed448_signed)).status_code == 401
    auth0_ed = sign_as("Ed25519", auth0("federal_agency"), provider_keys["ed25519"], OKPAlgorithm())
    assert (await ask(app, auth0_ed)).status_code == 401  # an RS256 issuer


def test_an_ed448_key_is_refused_for_ed25519_at_start_up(
    provider_config: Path, startup_failure: StartupFailureOf
) -> None:
    provider_config.write_text(CONFIG.replace('"ed25519.pem"', '"ed448.pem"'), encoding="utf-8")
    failure = startup_failure(gate(provider_config), ConfigError)
    assert "algorithms: key unusable for Ed25519 (an Ed448 key)" in failure


def test_ed25519_is_one_family_with_eddsa_only(provider_config: Path) -> None:
    text = CONFIG.replace('algorithms = ["Ed25519"]', 'algorithms = ["Ed25519", "RS256"]')
    provider_config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="one algorithm family"):
        load_config(provider_config)


def test_a_jwks_serves_ed25519_keys_only_to_ed25519(
    tmp_path: Path, provider_keys: dict[str, Any]
) -> None:
    ed25519_jwk = json.loads(OKPAlgorithm.to_jwk(provider_keys["ed25519"].public_key()))
    ed448_jwk = json.loads(OKPAlgorithm.to_jwk(provider_keys["ed448"].public_key()))
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
