"""The token front door, attacked: every known JWT trick is a 401 (or 400), never 2xx or 5xx."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from jurisgate.middleware import AUDIT_LOGGER

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs


def test_valid_tokens_of_each_trusted_idp_are_served(gate: Gate, idps: IdPs) -> None:
    # The control: without it every "refused" below could pass for a broken app.
    for idp in (idps.rsa, idps.ec, idps.hmac):
        response = gate.request(token=idp.mint())
        assert response.status_code == 200, response.text
        assert response.json()["served_to"] == {
            "entity_type": "local_law_enforcement",
            "region": "US-NY",
        }
    assert len(gate.reached.calls) == 3


def test_no_token_is_a_bare_challenge(gate: Gate) -> None:
    response = gate.request()
    gate.refused(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="jurisgate"'
    assert "error" not in response.json()
    assert gate.reached.calls == []


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "AAAA", "c2lnbmF0dXJl"])
def test_alg_none_is_refused(gate: Gate, idps: IdPs, alg: str, signature: str) -> None:
    header = idps.b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = idps.b64url(json.dumps(idps.rsa.claims()).encode())
    token = f"{header}.{payload}.{signature}"
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_alg_missing_or_not_a_string_is_refused(gate: Gate, idps: IdPs) -> None:
    payload = json.dumps(idps.rsa.claims()).encode()
    for header in (b'{"typ":"JWT"}', b'{"alg":["RS256"]}', b'{"alg":null}', b'{"alg":256}'):
        token = idps.rsa.sign_raw(header, payload)
        gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_alg_confusion_hs256_with_the_rsa_public_key_as_secret(gate: Gate, idps: IdPs) -> None:
    claims = idps.rsa.claims(entity_type="federal_law_enforcement", region="US-DC")
    for secret in (idps.rsa.public_key, idps.rsa.public_key.strip()):
        token = idps.hmac_sign(secret, {"alg": "HS256", "typ": "JWT"}, claims)
        gate.refused(gate.request(token=token), 401, token=token)
    # The same trick against the EC issuer, whose public key is just as public.
    token = idps.hmac_sign(idps.ec.public_key, {"alg": "HS256"}, idps.ec.claims())
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_an_algorithm_outside_the_issuers_pin_is_refused(gate: Gate, idps: IdPs) -> None:
    # Right key, but an algorithm the issuer was not pinned to (same family and another one).
    for alg in ("RS512", "PS256"):
        token = idps.rsa.mint_with(alg=alg)
        gate.refused(gate.request(token=token), 401, token=token)
    token = idps.hmac.mint_with(alg="HS512")
    gate.refused(gate.request(token=token), 401, token=token)
    # A key of one issuer with the iss of another.
    token = idps.rsa.mint(iss=idps.ec.issuer)
    gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_the_attackers_keys_are_refused(gate: Gate, idps: IdPs) -> None:
    for attacker in (idps.attacker_rsa, idps.attacker_ec, idps.attacker_hmac):
        token = attacker.mint(entity_type="federal_law_enforcement", region="US-DC")
        gate.refused(gate.request(token=token), 401, token=token)
    assert gate.reached.calls == []


def test_a_tampered_payload_under_a_valid_signature_is_refused(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint(region="US-IL")
    header, _, signature = token.split(".")
    forged = idps.b64url(json.dumps(idps.rsa.claims(region="US-NY")).encode())
    tampered = f"{header}.{forged}.{signature}"
    gate.refused(gate.request(token=tampered), 401, token=tampered)
    assert gate.reached.calls == []


@pytest.mark.parametrize(
    "iss",
    [
        "https://evil.test",
        "https://idp-rsa.test/",
        "https://IDP-RSA.test",
        " https://idp-rsa.test",
        "https://idp-rsa.test\u200b",
        ["https://idp-rsa.test"],
        {"iss": "https://idp-rsa.test"},
        None,
        7,
    ],
)
def test_wrong_or_missing_issuer_is_refused(gate: Gate, idps: IdPs, iss: object) -> None:
    claims = idps.rsa.claims(iss=iss if iss is not None else idps.drop)
    token = idps.rsa.sign_raw(idps.rsa.header_bytes(), json.dumps(claims).encode())
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize(
    "aud", ["other-api", "FACE-SEARCH-API", [], ["other-api"], [7], 7, {"aud": 1}, None]
)
def test_wrong_or_missing_audience_is_refused(gate: Gate, idps: IdPs, aud: object) -> None:
    token = idps.rsa.mint(aud=aud if aud is not None else idps.drop)
    gate.refused(gate.request(token=token), 401, token=token)


def test_audience_list_containing_ours_is_served(gate: Gate, idps: IdPs) -> None:
    token = idps.rsa.mint(aud=["other-api", "face-search-api"])
    assert gate.request(token=token).status_code == 200


@pytest.mark.parametrize("sub", [None, "", 7, ["agent"], "x" * 257])
def test_missing_or_bad_subject_is_refused(gate: Gate, idps: IdPs, sub: object) -> None:
    token = idps.rsa.mint(sub=sub if sub is not None else idps.drop)
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize(
    "kid",
    ["../../../../dev/null", "' OR 1=1 --", "\u0000", "https://evil.test/key.pem", "idp-rsa"],
)
def test_kid_tricks_cannot_swap_the_key(gate: Gate, idps: IdPs, kid: str) -> None:
    # The attacker names any kid it likes; the key is still the issuer's pinned one.
    token = idps.attacker_rsa.mint_with(header={"kid": kid})
    gate.refused(gate.request(token=token), 401, token=token)
    # A kid naming "a key" the attacker controls: here the kid string itself as HMAC secret.
    token = idps.hmac_sign(kid.encode(), {"alg": "HS256", "kid": kid}, idps.hmac.claims())
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize("kid", [7, None, ["a"], {"k": "v"}, "", "k" * 300])
def test_kid_that_is_not_a_short_string_is_refused(gate: Gate, idps: IdPs, kid: object) -> None:
    token = idps.rsa.sign_raw(
        idps.rsa.header_bytes(kid=kid), json.dumps(idps.rsa.claims()).encode()
    )
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize(
    "times",
    [
        {"exp": -3600},  # expired an hour ago
        {"exp": -31},  # just past the 30 s leeway
        {"exp": None},  # no exp at all
        {"nbf": 3600},  # not yet valid
        {"nbf": 31},
        {"iat": 3600},  # issued in the future
        {"iat": -86400 * 2, "exp": 600},  # lifetime over the 24 h maximum
        {"iat": None, "exp": 86400 * 2},  # no iat, expiry too far ahead
    ],
)
def test_expired_not_yet_valid_and_too_long_lived(
    gate: Gate, idps: IdPs, times: dict[str, int | None]
) -> None:
    overrides = {
        name: idps.drop if offset is None else int(idps.now) + offset
        for name, offset in times.items()
    }
    token = idps.ec.mint_with(claims=overrides)
    gate.refused(gate.request(token=token), 401, token=token)


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("attacker", "bad_signature"),
        ("expired", "expired"),
        ("none", "bad_algorithm"),
        ("jku", "embedded_key"),
        ("issuer", "untrusted_issuer"),
    ],
)
def test_the_reason_goes_to_the_audit_log_only(
    gate: Gate, idps: IdPs, caplog: pytest.LogCaptureFixture, attack: str, reason: str
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    token = {
        "attacker": lambda: idps.attacker_rsa.mint(),
        "expired": lambda: idps.rsa.mint(exp=int(idps.now) - 3600),
        "none": lambda: idps.rsa.mint_with(alg="RS256").replace(
            idps.b64url(b'{"alg":"RS256","typ":"JWT"}'), idps.b64url(b'{"alg":"none"}')
        ),
        "jku": lambda: idps.rsa.mint_with(header={"jku": "http://127.0.0.1:1/k"}),
        "issuer": lambda: idps.rsa.mint(iss="https://evil.test"),
    }[attack]()
    response = gate.request(token=token)
    gate.refused(response, 401, token=token)
    assert reason not in response.text
    audited = [r.audit for r in caplog.records if r.name == AUDIT_LOGGER]  # type: ignore[attr-defined]
    assert [(a["status"], a["reason"]) for a in audited] == [(401, reason)]
    assert token not in caplog.text
