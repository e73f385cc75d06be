"""The [[issuers]] keys that limit what an issuer may assert and where its keys come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurisgate.middleware import ConfigError, IssuerAuthority, JwksKeys, load_config

DEV = Path(__file__).resolve().parents[2] / "examples" / "dev" / "dev_idp_public.pem"

ISSUER = """
[[issuers]]
issuer = "https://idp.example.gov"
audience = "face-search-api"
algorithms = ["RS256"]
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "idp.pem").write_bytes(DEV.read_bytes())
    path = tmp_path / "jurisgate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_unlimited_and_untyped(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUER + 'public_key_file = "idp.pem"\n'))
    (issuer,) = config.issuers
    assert issuer.authority == IssuerAuthority()
    assert issuer.authority.unlimited
    assert issuer.required_typ is None
    assert issuer.jwks is None


def test_authority_typ_and_jwks_url(tmp_path: Path) -> None:
    text = ISSUER + (
        'jwks_url = "https://idp.example.gov/.well-known/jwks.json"\n'
        "jwks_cache_ttl = 600\n"
        "jwks_min_refresh = 60\n"
        "jwks_timeout = 2.5\n"
        'required_typ = "at+jwt"\n'
        'entity_types = ["state_agency", "state_law_enforcement"]\n'
        'countries = ["US"]\n'
        'regions = ["US-TX"]\n'
        'agency_regions = ["US-TX"]\n'
    )
    (issuer,) = load_config(write(tmp_path, text)).issuers
    assert issuer.required_typ == "at+jwt"
    assert issuer.authority == IssuerAuthority.limit(
        entity_types=["state_agency", "state_law_enforcement"],
        countries=["US"],
        regions=["US-TX"],
        agency_regions=["US-TX"],
    )
    assert isinstance(issuer.jwks, JwksKeys)
    assert issuer.jwks.url == "https://idp.example.gov/.well-known/jwks.json"
    pinned = ISSUER + 'public_key_file = "idp.pem"\nagency_region = "US-IL"\n'
    (chicago,) = load_config(write(tmp_path, pinned)).issuers
    assert chicago.authority == IssuerAuthority.limit(agency_region="US-IL")
    assert not chicago.authority.unlimited
    assert (issuer.jwks.cache_ttl, issuer.jwks.min_refresh_interval) == (600.0, 60.0)
    assert issuer.jwks.timeout == 2.5
    assert issuer.key is None


def test_jwks_file_is_relative_to_the_config(tmp_path: Path) -> None:
    (issuer,) = load_config(write(tmp_path, ISSUER + 'jwks_file = "keys/jwks.json"\n')).issuers
    assert issuer.jwks is not None
    assert issuer.jwks.file == tmp_path / "keys" / "jwks.json"
    assert issuer.jwks.timeout == 5.0  # the default deadline of one fetch


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ("", "public_key_file"),
        ('public_key_file = "idp.pem"\njwks_url = "https://x.test/j"\n', "public_key_file"),
        ('jwks_url = "https://x.test/j"\njwks_file = "j.json"\n', "public_key_file"),
        ('jwks_url = "file:///etc/passwd"\n', "jwks_url"),
        ('jwks_url = "https://x.test/j"\njwks_cache_ttl = 0\n', "jwks_cache_ttl"),
        ('jwks_url = "https://x.test/j"\njwks_min_refresh = "soon"\n', "jwks_min_refresh"),
        ('jwks_url = "https://x.test/j"\njwks_timeout = 0\n', "jwks_timeout"),
        ('jwks_url = "https://x.test/j"\njwks_timeout = 61\n', "jwks_timeout"),
        ('public_key_file = "idp.pem"\njwks_cache_ttl = 60\n', "jwks_cache_ttl"),
        ('public_key_file = "idp.pem"\nrequired_typ = "at jwt"\n', "required_typ"),
        ('public_key_file = "idp.pem"\nrequired_typ = 1\n', "required_typ"),
        ('public_key_file = "idp.pem"\nentity_types = []\n', "entity_types"),
        ('public_key_file = "idp.pem"\nentity_types = ["police"]\n', "entity_types"),
        ('public_key_file = "idp.pem"\ncountries = ["USA"]\n', "countries"),
        ('public_key_file = "idp.pem"\ncountries = "US"\n', "countries"),
        ('public_key_file = "idp.pem"\nregions = ["Illinois"]\n', "regions"),
        ('public_key_file = "idp.pem"\ncountries = ["US"]\nregions = ["MX-CHH"]\n', "regions"),
        ('public_key_file = "idp.pem"\nregion = ["US-TX"]\n', "region"),
        ('public_key_file = "idp.pem"\nagency_regions = ["PR"]\n', "agency_regions"),
        ('public_key_file = "idp.pem"\nagency_regions = []\n', "agency_regions"),
        ('public_key_file = "idp.pem"\nagency_regions = "US-IL"\n', "agency_regions"),
        ('public_key_file = "idp.pem"\nagency_region = ["US-IL"]\n', "agency_region"),
        ('public_key_file = "idp.pem"\nagency_region = "PR"\n', "agency_region"),
        (
            'public_key_file = "idp.pem"\nagency_region = "US-IL"\nagency_regions = ["US-TX"]\n',
            "agency_region",
        ),
    ],
)
def test_bad_values_are_start_up_errors_naming_key_and_file(
    tmp_path: Path, extra: str, names: str
) -> None:
    path = write(tmp_path, ISSUER + extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert names in message
