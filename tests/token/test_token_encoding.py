"""Tokens signed with a trusted key but encoded to fool a parser: 401, never 2xx or 5xx.

PyJWT alone accepts several of these (duplicate members with the last one winning, UTF-16 and
BOM payloads, a string ``exp``, no size cap); the gate's front door must not.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs


def _payload(idps: IdPs, **claims: object) -> bytes:
    return json.dumps(idps.rsa.claims(**claims)).encode()


def test_hand_encoded_control_is_served(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), _payload(idps))
    assert gate.request(token=token).status_code == 200


def test_duplicate_claim_names_are_refused_not_last_one_wins(gate: Gate, idps: IdPs) -> None:
    claims = idps.rsa.claims(entity_type="foreign_law_enforcement", country="IR", region=idps.drop)
    body = json.dumps(claims)[:-1] + ', "country": "US", "region": "US-NY"}'
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body.encode())
    gate.refused(gate.request(token=token), 401, token=token)
    # Hand-encoded exactly as in the issue.
    body = json.dumps(idps.rsa.claims(country=idps.drop))[:-1] + ', "country":"IR","country":"US"}'
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body.encode())
    gate.refused(gate.request(token=token), 401, token=token)
    # In a nested object too, and in the header.
    body = json.dumps(idps.rsa.claims(extra={"a": 1}))[:-2] + ', "a": 2}}'
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body.encode())
    gate.refused(gate.request(token=token), 401, token=token)
    header = b'{"alg":"RS256","typ":"JWT","alg":"none"}'
    token = idps.rsa.sign_raw(header, _payload(idps))
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-16-be"),
        lambda text: text.encode("utf-32"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),  # UTF-8 BOM
        lambda text: text.encode("latin-1") + b"\xff",
        lambda text: (
            text.replace("US-NY", "US-N\udcffY")
            .replace("JWT", "J\udcffWT")
            .encode("utf-8", "surrogatepass")
        ),
    ],
    ids=["utf16", "utf16le", "utf16be", "utf32", "bom", "latin1", "surrogate"],
)
def test_non_utf8_payloads_are_refused(gate: Gate, idps: IdPs, encode: object) -> None:
    assert callable(encode)
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), encode(json.dumps(idps.rsa.claims())))
    gate.refused(gate.request(token=token), 401, token=token)
    header = encode(idps.rsa.header_bytes().decode())
    token = idps.rsa.sign_raw(header, _payload(idps))
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"a string"',
        b"null",
        b"{",
        b'{"exp": NaN}',
        b'{"exp": Infinity}',
        b"{}" + b" " * 10 + b"{}",
    ],
)
def test_payloads_that_are_not_one_json_object_are_refused(
    gate: Gate, idps: IdPs, body: bytes
) -> None:
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body)
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"], ids=["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value", ["9999999999", "2099-01-01T00:00:00Z", True, [9999999999], {"$date": 1}, None]
)
def test_numeric_dates_must_be_json_numbers(
    gate: Gate, idps: IdPs, name: str, value: object
) -> None:
    # (None is a JSON null: present, and not a number.)
    body = json.dumps(idps.rsa.claims(**{name: value})).encode()
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body)
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize(
    "exp", [b"1e999", b"-1e999", b"1" + b"0" * 400, b"99999999999999999999999"]
)
def test_absurd_numeric_dates_are_refused(gate: Gate, idps: IdPs, exp: bytes) -> None:
    body = json.dumps(idps.rsa.claims(exp=0))[:-1].replace('"exp": 0', '"exp": ' + exp.decode())
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), body.encode() + b"}")
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "exp", None, ["x-unknown"]])
def test_crit_is_refused(gate: Gate, idps: IdPs, crit: object) -> None:
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(crit=crit), _payload(idps))
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize("name", ["jku", "x5u", "jwk", "x5c"])
def test_key_carrying_headers_are_never_followed(gate: Gate, idps: IdPs, name: str) -> None:
    # Signed by the attacker, pointing at (or embedding) the attacker's own key...
    value: object = {
        "jku": "http://127.0.0.1:1/jwks.json",
        "x5u": "http://127.0.0.1:1/cert.pem",
        "jwk": {"kty": "oct", "k": idps.b64url(idps.attacker_hmac.public_key)},
        "x5c": ["MIIB"],
    }[name]
    token = idps.attacker_rsa.sign_raw(
        idps.attacker_rsa.header_bytes(**{name: value}), _payload(idps)
    )
    gate.refused(gate.request(token=token), 401, token=token)
    # ...and even when the real key signed: a token that asks us to fetch keys is not ours.
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(**{name: value}), _payload(idps))
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_huge_tokens_are_refused_before_decoding(gate: Gate, idps: IdPs) -> None:
    padding = "x" * 20_000
    token = idps.rsa.mint(padding=padding)
    gate.refused(gate.request(token=token), 401, token=token)
    # A megabyte of header value: still an answer, not a crash.
    token = "a" * 1_000_000
    gate.refused(gate.request(token=token), 401)
    # Deep nesting under the cap must not blow the stack.
    deep = b'{"iss":' + b"[" * 3000 + b"]" * 3000 + b"}"
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), deep)
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c.d",
        "a.b.c.d.e",
        "====.====.====",
        "a+b.c/d.e==",
        "eyJ.eyJ.x",
    ],
)
def test_malformed_tokens_are_refused(gate: Gate, token: str) -> None:
    response = gate.request(
        headers=[("Authorization", f"Bearer {token}".encode().decode("latin-1"))]
    )
    assert response.status_code in (400, 401)
    gate.refused(response, response.status_code)


def test_trailing_garbage_or_padding_is_refused(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint()
    for variant in (token + "=", token + ".", token + "==", "." + token, token + " x"):
        response = gate.request(headers=[("Authorization", f"Bearer {variant}")])
        assert response.status_code in (400, 401), variant
        gate.refused(response, response.status_code)
