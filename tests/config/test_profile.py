"""Start-up refusals of the strict profile, and the path spellings the policy is asked about."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from jurisgate.middleware import TokenPolicy, TokenVerifier, TrustedIssuer
from jurisgate.middleware.claims.paths import policy_paths

if TYPE_CHECKING:
    from tests.fixtures.idps import IdPs


@pytest.mark.parametrize(
    "algorithms", [("RS256", "HS256"), ("RS256", "ES256"), ("ES256", "EdDSA"), ("HS256", "PS256")]
)
def test_one_key_never_serves_two_algorithm_families(
    idps: IdPs, algorithms: tuple[str, ...]
) -> None:
    # PyJWT alone raises an uncaught TypeError at verification time for such a key.
    with pytest.raises(ValueError, match="one algorithm family"):
        TrustedIssuer("https://i.test", "a", algorithms, idps.rsa.public_key)


@pytest.mark.parametrize("algorithms", [(), ("none",), ("HS1",), ("RS256", "none")])
def test_none_and_unknown_algorithms_are_refused_at_start(
    idps: IdPs, algorithms: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        TrustedIssuer("https://i.test", "a", algorithms, idps.rsa.public_key)


def test_a_public_key_is_no_hmac_secret(idps: IdPs) -> None:
    with pytest.raises(ValueError, match="key unusable"):
        TokenVerifier([TrustedIssuer("https://i.test", "a", ("HS256",), idps.rsa.public_key)])


@pytest.mark.parametrize(
    "options", [{"leeway": -1}, {"leeway": 301}, {"max_bytes": 100}, {"max_lifetime": 0}]
)
def test_token_limits_cannot_be_loosened_past_bounds(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        TokenPolicy(**options)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/search", ("/search",)),
        ("/search/", ("/search", "/search/")),
        ("//search", ("/search", "//search")),
        ("/search/..", ("/", "/search/..")),
        ("/search/../health", ("/health", "/search/../health")),
        ("/health/../search", ("/search", "/health/../search")),
        ("/./search", ("/search", "/./search")),
        ("/search/.", ("/search", "/search/.")),
        ("/search/x.json", ("/search/x.json",)),
        ("/search/..x", ("/search/..x",)),
        # Only '..' itself climbs: segments that sort before it ('-x', '%2e', '+') do not.
        ("/search//-x", ("/search/-x", "/search//-x")),
        ("/search/./%2e", ("/search/%2e", "/search/./%2e")),
        ("/search//+", ("/search/+", "/search//+")),
    ],
)
def test_policy_paths(path: str, expected: tuple[str, ...]) -> None:
    assert policy_paths(path) == expected
