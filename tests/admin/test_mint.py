"""``jurisgate token mint``: development tokens only; production issuers and keys are refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jurisgate.admin.mint import mint_token
from jurisgate.middleware import TokenVerifier, load_config, principal_from_claims
from jurisgate.middleware.errors import ConfigError, JurisgateError

from ..fixtures.admin_config import Run, WriteConfig

CLAIMS = {"entity_type": "state_agency", "country": "US", "region": "TX", "agency_region": "US-TX"}
NOW = 1_795_000_000.0


def ec_pair(folder: Path, name: str) -> tuple[Path, Path]:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / f"{name}.pem").write_bytes(private_pem)
    (folder / f"{name}.pub").write_bytes(public_pem)
    return folder / f"{name}.pem", folder / f"{name}.pub"


def issuer_table(name: str, public: Path, *, production: bool) -> str:
    return (
        f'[[issuers]]\nissuer = "{name}"\naudience = "face-search-api"\n'
        f'algorithms = ["ES256"]\npublic_key_file = "{public}"\n'
        f"production = {'true' if production else 'false'}\n"
    )


@pytest.fixture
def claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(CLAIMS), encoding="utf-8")
    return path


def test_minted_token_passes_the_gate_verifier(tmp_path: Path) -> None:
    private, public = ec_pair(tmp_path, "dev")
    config_file = tmp_path / "dev.toml"
    config_file.write_text(issuer_table("https://dev.test", public, production=False))
    config = load_config(config_file)
    token = mint_token(config, private.read_bytes(), dict(CLAIMS), subject="tx-dot", now=NOW)
    verified = TokenVerifier(config.issuers, config.tokens).verify(token, NOW + 10)
    principal = principal_from_claims(verified.issuer, verified.subject, verified.claims)
    assert (principal.subject, principal.region) == ("tx-dot", "US-TX")
    assert verified.expires_at == NOW + 3600


def test_claims_cannot_override_issuer_or_subject(tmp_path: Path) -> None:
    private, public = ec_pair(tmp_path, "dev")
    config_file = tmp_path / "dev.toml"
    config_file.write_text(issuer_table("https://dev.test", public, production=False))
    config = load_config(config_file)
    sneaky = {**CLAIMS, "iss": "https://prod.test", "sub": "someone-else"}
    token = mint_token(config, private.read_bytes(), sneaky, subject="tx-dot", now=NOW)
    verified = TokenVerifier(config.issuers, config.tokens).verify(token, NOW)
    assert (verified.issuer, verified.subject) == ("https://dev.test", "tx-dot")


def test_production_issuer_is_refused(run: Run, tmp_path: Path, claims_file: Path) -> None:
    private, public = ec_pair(tmp_path, "prod")
    config_file = tmp_path / "prod.toml"
    config_file.write_text(issuer_table("https://prod.test", public, production=True))
    code, out, err = run(
        "token",
        "mint",
        "--config",
        str(config_file),
        "--key",
        str(private),
        "--claims",
        str(claims_file),
    )
    assert (code, out) == (2, "")
    assert "marked production: refusing to mint" in err


def test_production_key_under_a_dev_issuer_is_refused(tmp_path: Path) -> None:
    private, public = ec_pair(tmp_path, "prod")
    config_file = tmp_path / "mixed.toml"
    config_file.write_text(
        issuer_table("https://dev.test", public, production=False)
        + issuer_table("https://prod.test", public, production=True)
    )
    config = load_config(config_file)
    with pytest.raises(
        JurisgateError, match=re.escape("key of production issuer https://prod.test")
    ):
        mint_token(config, private.read_bytes(), dict(CLAIMS), issuer="https://dev.test")


def test_a_key_that_is_not_the_issuers_is_refused(tmp_path: Path) -> None:
    _, public = ec_pair(tmp_path, "dev")
    other, _ = ec_pair(tmp_path, "other")
    config_file = tmp_path / "dev.toml"
    config_file.write_text(issuer_table("https://dev.test", public, production=False))
    with pytest.raises(JurisgateError, match="does not match issuer"):
        mint_token(load_config(config_file), other.read_bytes(), dict(CLAIMS))


def test_cli_prints_one_token(run: Run, write_config: WriteConfig, claims_file: Path) -> None:
    config = write_config("p, x, allow, state_agency, US, *, *, *, *, /search/*, GET, , , ,\n")
    secret = config.parent / "secret.key"
    code, out, err = run(
        "token",
        "mint",
        "--config",
        str(config),
        "--key",
        str(secret),
        "--claims",
        str(claims_file),
        "--sub",
        "tx-dot",
        "--lifetime",
        "600",
    )
    assert code == 0
    assert out.count(".") == 2
    assert out.endswith("\n")
    assert "development token" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--issuer", "https://nope.test"], "not in the config"),
        (["--alg", "HS512"], "does not accept HS512"),
        (["--lifetime", "999999"], "--lifetime"),
    ],
)
def test_cli_refusals(
    run: Run, write_config: WriteConfig, claims_file: Path, extra: list[str], message: str
) -> None:
    config = write_config("p, x, allow, state_agency, US, *, *, *, *, /search/*, GET, , , ,\n")
    secret = config.parent / "secret.key"
    code, out, err = run(
        "token",
        "mint",
        "--config",
        str(config),
        "--key",
        str(secret),
        "--claims",
        str(claims_file),
        *extra,
    )
    assert (code, out) == (2, "")
    assert message in err


def test_token_without_a_command_prints_its_help(run: Run) -> None:
    code, out, err = run("token")
    assert (code, out) == (2, "")
    assert "mint" in err


def test_production_must_be_a_boolean(tmp_path: Path) -> None:
    _, public = ec_pair(tmp_path, "dev")
    config_file = tmp_path / "bad.toml"
    config_file.write_text(
        issuer_table("https://dev.test", public, production=False).replace(
            "production = false", 'production = "yes"'
        )
    )
    with pytest.raises(ConfigError, match=r"issuers\[0\]\.production must be true or false"):
        load_config(config_file)
    marked = tmp_path / "marked.toml"
    marked.write_text(issuer_table("https://prod.test", public, production=True))
    assert load_config(marked).production_issuers == {"https://prod.test"}


def ed25519_pair(folder: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    (folder / "ed.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "ed.pub").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return folder / "ed.pem", folder / "ed.pub"


def test_an_ed25519_issuer_gets_an_ed25519_token(tmp_path: Path) -> None:
    import jwt

    private, public = ed25519_pair(tmp_path)
    config_file = tmp_path / "dev.toml"
    config_file.write_text(
        issuer_table("https://dev.test", public, production=False).replace("ES256", "Ed25519")
    )
    config = load_config(config_file)
    token = mint_token(config, private.read_bytes(), dict(CLAIMS), now=NOW)
    assert jwt.get_unverified_header(token)["alg"] == "Ed25519"
    verified = TokenVerifier(config.issuers, config.tokens).verify(token, NOW)
    assert verified.claims["region"] == "TX"


def test_mint_warns_when_the_gate_would_refuse_the_claims(run: Run, tmp_path: Path) -> None:
    """The claims are read through the issuer's mapping, as the gate reads them: top-level
    claims that the mapping moved elsewhere are a warning, namespaced ones are not."""
    private, public = ec_pair(tmp_path, "dev")
    config_file = tmp_path / "dev.toml"
    mapping = 'claims = { entity_type = "https://example.gov/entity_type" }\n'
    config_file.write_text(issuer_table("https://dev.test", public, production=False) + mapping)
    plain, namespaced = tmp_path / "plain.json", tmp_path / "namespaced.json"
    plain.write_text(json.dumps(CLAIMS), encoding="utf-8")
    moved = {**CLAIMS, "https://example.gov/entity_type": CLAIMS["entity_type"]}
    del moved["entity_type"]
    namespaced.write_text(json.dumps(moved), encoding="utf-8")
    args = ["token", "mint", "--config", str(config_file), "--key", str(private), "--claims"]
    code, _, err = run(*args, str(plain))
    assert code == 0
    assert "warning: the gate will refuse this token's claims: missing_entity_type" in err
    code, _, err = run(*args, str(namespaced))
    assert code == 0
    assert "warning" not in err
