"""TokenVerifier against real tokens: the dev key for good ones, generated keys for forgeries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import (
    FixedClock,
    TokenError,
    TokenPolicy,
    TokenVerifier,
    TrustedIssuer,
)

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

NOW = FixedClock("2026-11-26T12:00:00Z").now()
LEEWAY = 30


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@pytest.fixture(scope="module")
def verifier(dev_issuer: TrustedIssuer) -> TokenVerifier:
    return TokenVerifier([dev_issuer], TokenPolicy(leeway=LEEWAY))


def rejected(verifier: TokenVerifier, token: str) -> TokenError:
    """Verify, expect a TokenError (and nothing else), and return it."""
    with pytest.raises(TokenError) as caught:
        verifier.verify(token, NOW)
    assert type(caught.value) is TokenError
    assert caught.value.code == "invalid_token"
    return caught.value


def test_valid_rs256_token(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.client(NOW, "state_agency", "US", "US-TX", subject="txdot")
    verified = verifier.verify(token, NOW)
    assert verified.issuer == tokens.issuer
    assert verified.subject == "txdot"
    assert verified.expires_at == NOW + 3600
    assert verified.claims["entity_type"] == "state_agency"
    assert verified.claims["region"] == "US-TX"


# --- time claims, with the leeway edges -------------------------------------------------------


@pytest.mark.parametrize(
    ("exp_offset", "ok"),
    [(-LEEWAY + 1, True), (-LEEWAY, False), (-LEEWAY - 1, False), (-3600, False)],
)
def test_expiry_with_leeway(
    verifier: TokenVerifier, tokens: TokenFactory, exp_offset: int, ok: bool
) -> None:
    claims = tokens.claims(NOW - 600)
    claims["exp"] = int(NOW + exp_offset)
    token = tokens.sign(claims)
    if ok:
        assert verifier.verify(token, NOW).expires_at == NOW + exp_offset
    else:
        assert rejected(verifier, token).reason == "expired"


@pytest.mark.parametrize(
    ("claim", "reason"), [("nbf", "not_yet_valid"), ("iat", "issued_in_future")]
)
@pytest.mark.parametrize(("offset", "ok"), [(LEEWAY, True), (LEEWAY + 1, False), (3600, False)])
def test_future_nbf_and_iat_with_leeway(
    verifier: TokenVerifier,
    tokens: TokenFactory,
    claim: str,
    reason: str,
    offset: int,
    ok: bool,
) -> None:
    claims = tokens.claims(NOW, lifetime=7200)
    claims[claim] = int(NOW + offset)
    token = tokens.sign(claims)
    if ok:
        verifier.verify(token, NOW)
    else:
        assert rejected(verifier, token).reason == reason


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("exp", "missing_exp"),
        ("aud", "bad_audience"),
        ("iss", "untrusted_issuer"),
        ("sub", "bad_subject"),
    ],
)
def test_required_claim_missing(
    verifier: TokenVerifier, tokens: TokenFactory, claim: str, reason: str
) -> None:
    claims = tokens.claims(NOW)
    del claims[claim]
    assert rejected(verifier, tokens.sign(claims)).reason == reason


@pytest.mark.parametrize(
    ("claim", "value", "reason"),
    [
        ("exp", str(int(NOW + 3600)), "bad_exp"),
        ("exp", True, "bad_exp"),
        ("exp", None, "missing_exp"),
        ("nbf", "0", "bad_nbf"),
        ("iat", [int(NOW)], "bad_iat"),
        ("sub", "", "bad_subject"),
        ("sub", 12345, "bad_subject"),
        ("sub", "x" * 257, "bad_subject"),
        ("iss", ["https://dev-idp.jurisgate.invalid"], "untrusted_issuer"),
    ],
)
def test_claim_of_wrong_type(
    verifier: TokenVerifier, tokens: TokenFactory, claim: str, value: object, reason: str
) -> None:
    claims = tokens.claims(NOW)
    claims[claim] = value
    # Raw JSON: PyJWT's encoder refuses some of these values before they reach the verifier.
    token = tokens.raw_json({"alg": "RS256", "typ": "JWT"}, claims)
    assert rejected(verifier, token).reason == reason


@pytest.mark.parametrize(
    ("aud", "ok"),
    [
        ("face-search-api", True),
        (["other-api", "face-search-api"], True),
        ("other-api", False),
        (["other-api"], False),
        ([], False),
        (["face-search-api", 7], False),
        ("FACE-SEARCH-API", False),
        ({"face-search-api": True}, False),
    ],
)
def test_audience(verifier: TokenVerifier, tokens: TokenFactory, aud: object, ok: bool) -> None:
    token = tokens.sign(tokens.claims(NOW, aud=aud))
    if ok:
        verifier.verify(token, NOW)
    else:
        assert rejected(verifier, token).reason == "bad_audience"


def test_unknown_issuer(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.sign(tokens.claims(NOW, iss="https://idp.attacker.example"))
    assert rejected(verifier, token).reason == "untrusted_issuer"


def test_issuer_is_compared_exactly(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.sign(tokens.claims(NOW, iss=tokens.issuer + "/"))
    assert rejected(verifier, token).reason == "untrusted_issuer"


def test_trusted_issuer_signed_by_another_key(
    verifier: TokenVerifier, tokens: TokenFactory, attacker_private_key: bytes
) -> None:
    token = tokens.sign(tokens.claims(NOW), key=attacker_private_key)
    assert rejected(verifier, token).reason == "bad_signature"


def test_tampered_payload(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    header, _, signature = tokens.client(NOW, "individual", "US", "US-CA").split(".")
    forged = tokens.claims(NOW, entity_type="federal_agency", country="US", region="US-CA")
    payload = b64url(json.dumps(forged).encode()).decode()
    assert rejected(verifier, f"{header}.{payload}.{signature}").reason == "bad_signature"


# --- algorithms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(verifier: TokenVerifier, tokens: TokenFactory, alg: str) -> None:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode()).decode()
    payload = b64url(json.dumps(tokens.claims(NOW)).encode()).decode()
    # An unsecured JWS has an empty signature; a non-empty one must not help either.
    assert rejected(verifier, f"{header}.{payload}.").reason == "malformed"
    assert rejected(verifier, f"{header}.{payload}.c2ln").reason == "bad_algorithm"


def test_pyjwt_unsecured_token_is_refused(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = jwt.encode(tokens.claims(NOW), "", algorithm="none")
    rejected(verifier, token)


def test_hs256_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier, tokens: TokenFactory, dev_public_key: bytes
) -> None:
    """Algorithm confusion: the RSA public key PEM used as an HMAC secret."""
    signing_input = (
        b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + b"."
        + b64url(json.dumps(tokens.claims(NOW, entity_type="federal_agency")).encode())
    )
    for secret in (dev_public_key, dev_public_key.strip()):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        token = (signing_input + b"." + b64url(mac)).decode()
        assert rejected(verifier, token).reason == "bad_algorithm"


def test_an_hmac_issuer_refuses_a_pem_key(dev_public_key: bytes) -> None:
    """The configuration side of algorithm confusion: a PEM is never an HMAC secret."""
    issuer = TrustedIssuer("https://idp", "api", ("HS256",), dev_public_key)
    with pytest.raises(ValueError, match="key unusable for HS256"):
        TokenVerifier([issuer])


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
def test_algorithm_not_pinned_for_the_issuer(
    verifier: TokenVerifier, tokens: TokenFactory, alg: str
) -> None:
    """Same key, same family, but not the pinned algorithm."""
    token = tokens.sign(tokens.claims(NOW), algorithm=alg)
    assert rejected(verifier, token).reason == "bad_algorithm"


def test_pinned_algorithm_other_than_rs256(dev_public_key: bytes, tokens: TokenFactory) -> None:
    issuer = TrustedIssuer(tokens.issuer, tokens.audience, ("RS384",), dev_public_key)
    pinned = TokenVerifier([issuer])
    assert pinned.verify(tokens.sign(tokens.claims(NOW), algorithm="RS384"), NOW)
    with pytest.raises(TokenError, match="bad_algorithm"):
        pinned.verify(tokens.sign(tokens.claims(NOW)), NOW)


@pytest.mark.parametrize(
    "algorithms",
    [("RS256", "HS256"), ("ES256", "RS256"), ("EdDSA", "HS512")],
)
def test_one_algorithm_family_per_issuer(
    dev_public_key: bytes, algorithms: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match="one algorithm family"):
        TrustedIssuer("https://idp", "api", algorithms, dev_public_key)


@pytest.mark.parametrize("algorithms", [(), ("RS1",), ("none",)])
def test_unsupported_algorithm_lists(dev_public_key: bytes, algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="algorithms"):
        TrustedIssuer("https://idp", "api", algorithms, dev_public_key)


# --- size, encoding and structure -------------------------------------------------------------


def test_max_bytes_edge(dev_issuer: TrustedIssuer, tokens: TokenFactory) -> None:
    token = tokens.client(NOW, "state_agency", "US", "US-TX")
    assert TokenVerifier([dev_issuer], TokenPolicy(max_bytes=len(token))).verify(token, NOW)
    short = TokenVerifier([dev_issuer], TokenPolicy(max_bytes=len(token) - 1))
    assert rejected(short, token).reason == "too_large"


def test_token_over_default_max_bytes(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.sign(tokens.claims(NOW, padding="x" * 9000))
    assert len(token) > 8192
    assert rejected(verifier, token).reason == "too_large"


def test_size_is_checked_before_parsing(verifier: TokenVerifier) -> None:
    assert rejected(verifier, "!" * 10_000).reason == "too_large"


def _payload(tokens: TokenFactory, tail: bytes, *, drop: str = "") -> bytes:
    """Valid claims (less ``drop``) as raw JSON, with ``tail`` spliced in before the last brace."""
    claims = tokens.claims(NOW, entity_type="state_agency", region="US-TX")
    claims.pop(drop, None)
    return json.dumps(claims).encode()[:-1] + tail + b"}"


HEADER = b'{"alg":"RS256","typ":"JWT"}'


def test_raw_signing_control(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    """The hand-crafted tokens below are refused for their content, not their signature."""
    verified = verifier.verify(tokens.raw(HEADER, _payload(tokens, b', "country": "US"')), NOW)
    assert verified.claims["country"] == "US"


def test_duplicate_member_in_payload(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.raw(HEADER, _payload(tokens, b', "country":"IR","country":"US"'))
    # PyJWT alone would read the last value: the token looks like a US client.
    assert jwt.decode(token, options={"verify_signature": False})["country"] == "US"
    assert rejected(verifier, token).reason == "malformed"


def test_duplicate_member_in_header(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    header = b'{"alg":"none","alg":"RS256"}'
    token = tokens.raw(header, _payload(tokens, b', "country": "US"'))
    assert rejected(verifier, token).reason == "malformed"


def test_duplicate_member_in_nested_object(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    token = tokens.raw(HEADER, _payload(tokens, b', "country":"US", "x": {"a": 1, "a": 2}'))
    assert rejected(verifier, token).reason == "malformed"


PAYLOAD_ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "utf8-bom": lambda p: b"\xef\xbb\xbf" + p,
    "invalid-utf8": lambda p: p.replace(b'"US-TX"', b'"US-\xff\xfe"'),
    "utf16": lambda p: p.decode().encode("utf-16"),
    "overlong-utf8": lambda p: p.replace(b'"US-TX"', b'"US-\xc0\xaf"'),
}


@pytest.mark.parametrize("encoding", PAYLOAD_ENCODINGS)
def test_payload_not_plain_utf8(
    verifier: TokenVerifier, tokens: TokenFactory, encoding: str
) -> None:
    raw = PAYLOAD_ENCODINGS[encoding](_payload(tokens, b', "country": "US"'))
    assert rejected(verifier, tokens.raw(HEADER, raw)).reason == "malformed"


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_constants(verifier: TokenVerifier, tokens: TokenFactory, constant: bytes) -> None:
    token = tokens.raw(HEADER, _payload(tokens, b', "country": "US", "nbf": ' + constant))
    assert rejected(verifier, token).reason == "malformed"


def test_crit_header(verifier: TokenVerifier, tokens: TokenFactory) -> None:
    header = b'{"alg":"RS256","crit":["exp"],"exp":1}'
    assert rejected(verifier, tokens.raw(header, _payload(tokens, b""))).reason == (
        "unsupported_crit"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jku", "https://attacker.example/jwks.json"),
        ("x5u", "https://attacker.example/cert.pem"),
        ("jwk", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        ("x5c", ["MIIB"]),
    ],
)
def test_key_carrying_headers(
    verifier: TokenVerifier, tokens: TokenFactory, name: str, value: object
) -> None:
    token = tokens.sign(tokens.claims(NOW), headers={name: value})
    assert rejected(verifier, token).reason == "embedded_key"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "a..c",
        ".b.c",
        "a.b.",
        "eyJhbGciOiJSUzI1NiJ9.e30.+/+/",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln=",
        "eyJhbGciOiJSUzI1NiJ9 .e30.c2ln",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n",
        "éyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "eyJhbGciOiJSUzI1NiJ9.W10.c2ln",  # payload is a JSON array
        "WzFd.e30.c2ln",  # header is a JSON array
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",  # payload is not JSON
        "eyJhbGciOiJSUzI1NiJ9.e30.A",  # impossible base64 length
        "e30.e30.c2ln",  # header without alg
    ],
)
def test_malformed_tokens(verifier: TokenVerifier, token: str) -> None:
    rejected(verifier, token)


@pytest.mark.parametrize(("lifetime", "ok"), [(86400, True), (86401, False), (30 * 86400, False)])
def test_lifetime_limit(
    verifier: TokenVerifier, tokens: TokenFactory, lifetime: int, ok: bool
) -> None:
    token = tokens.sign(tokens.claims(NOW, lifetime=lifetime))
    if ok:
        verifier.verify(token, NOW)
    else:
        assert rejected(verifier, token).reason == "lifetime_too_long"


def test_lifetime_without_iat_counts_from_now(
    verifier: TokenVerifier, tokens: TokenFactory
) -> None:
    claims = tokens.claims(NOW, lifetime=86401)
    del claims["iat"]
    assert rejected(verifier, tokens.sign(claims)).reason == "lifetime_too_long"
    claims["exp"] = int(NOW + 86400)
    verifier.verify(tokens.sign(claims), NOW)


@pytest.mark.parametrize(
    "exp", [b"1e400", b"-1e400", b"1" + b"0" * 400, b"-1" + b"0" * 400, b"1e-400"]
)
def test_absurd_numeric_dates(verifier: TokenVerifier, tokens: TokenFactory, exp: bytes) -> None:
    payload = _payload(tokens, b', "country": "US", "exp": ' + exp, drop="exp")
    rejected(verifier, tokens.raw(HEADER, payload))


def test_token_policy_bounds() -> None:
    for bad in ({"leeway": -1}, {"leeway": 301}, {"max_bytes": 255}, {"max_lifetime": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TokenPolicy(**bad)


def test_issuers_are_unique(dev_issuer: TrustedIssuer) -> None:
    with pytest.raises(ValueError, match="configured twice"):
        TokenVerifier([dev_issuer, dev_issuer])
    with pytest.raises(ValueError, match="at least one"):
        TokenVerifier([])


# --- whatever arrives, the only failure is a TokenError -------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_token_error(dev_issuer: TrustedIssuer, text: str) -> None:
    verifier = TokenVerifier([dev_issuer])
    with pytest.raises(TokenError) as caught:
        verifier.verify(text, NOW)
    assert type(caught.value) is TokenError


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    header=st.dictionaries(
        st.sampled_from(["typ", "kid", "crit", "x5c", "alg"]), _JSON, max_size=3
    ),
    extra=st.dictionaries(
        st.sampled_from(["iss", "aud", "sub", "exp", "nbf", "iat", "country"]), _JSON, max_size=4
    ),
)
def test_signed_arbitrary_json_only_raises_token_error(
    dev_issuer: TrustedIssuer,
    tokens: TokenFactory,
    header: dict[str, object],
    extra: dict[str, object],
) -> None:
    """Correctly signed segments holding arbitrary JSON: verified or TokenError, nothing else."""
    verifier = TokenVerifier([dev_issuer])
    claims = {**tokens.claims(NOW), **extra}
    token = tokens.raw(json.dumps({"alg": "RS256", **header}).encode(), json.dumps(claims).encode())
    failure: TokenError | None = None
    try:
        verified = verifier.verify(token, NOW)
    except TokenError as exc:
        failure = exc
    else:
        assert verified.issuer == tokens.issuer
        assert verified.expires_at > NOW - 30
    if failure is not None:
        assert type(failure) is TokenError
        assert failure.code == "invalid_token"
