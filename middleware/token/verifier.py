"""Verify: turn a bearer token into (issuer, subject, claims) or a TokenError, nothing else.

Signature checking uses PyJWT's algorithm implementations with the key and algorithms pinned
for the issuer the token names. Parsing and claim validation are ours, because PyJWT alone
accepts things a gate must not: duplicate JSON members (the last wins, so
``{"country":"IR","country":"US"}`` reads as US), non-UTF-8 payloads, string-typed ``exp``, no
size cap, and a clock that cannot be injected.

``jws_parts.py`` reads the token's pieces (base64url, strict JSON, ``typ``, NumericDates);
``settings.py`` holds what a verifier is built from (trusted issuers, limits); this
module decides what to believe. Order matters: the size cap comes before any decoding,
the signature before any claim is believed. Every failure, whatever raised it, becomes a
TokenError; callers never see a PyJWT or cryptography exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jwt.algorithms import Algorithm

from ..errors import TokenError
from ..third_party import translate
from .algorithms import jose_algorithms
from .jws_parts import SEGMENT, b64url_decode, check_typ, json_object, numeric_date
from .keys import JwksKeys
from .settings import ALGORITHM_FAMILIES, TokenPolicy, TrustedIssuer

__all__ = [
    "ALGORITHM_FAMILIES",
    "TokenPolicy",
    "TokenVerifier",
    "TrustedIssuer",
    "VerifiedToken",
    "key_kind",
    "prepared_keys",
]

# Header parameters that would make us fetch or trust a key named by the token itself.
_KEY_CARRYING_HEADERS: Final = frozenset({"jku", "x5u", "jwk", "x5c"})
_MAX_KID: Final = 256


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    issuer: str
    subject: str
    claims: Mapping[str, Any]
    expires_at: float


def prepared_keys(trusted: TrustedIssuer) -> Mapping[str, tuple[Algorithm, Any]]:
    """The issuer's key made ready for each pinned algorithm (none for a JWKS issuer, whose
    keys arrive later). Raises ValueError naming the algorithm that cannot use the key, so
    an ES384 pin on a P-256 key stops start-up instead of refusing every token."""
    algorithms = jose_algorithms()
    prepared: dict[str, tuple[Algorithm, Any]] = {}
    for name in trusted.algorithms if trusted.key is not None else ():
        if name not in algorithms:
            raise ValueError(f"algorithm {name} needs the cryptography package")
        algorithm = algorithms[name]
        try:
            prepared[name] = (algorithm, algorithm.prepare_key(trusted.key))
        except Exception as exc:
            raise ValueError(f"key unusable for {name} ({key_kind(trusted.key)})") from exc
    return prepared


def key_kind(key: str | bytes | None) -> str:
    """What a PEM key is, in words, for messages: ``an EC key on secp256r1``."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        public = load_pem_public_key(key.encode() if isinstance(key, str) else key or b"")
    except (ValueError, TypeError):
        return "not a PEM public key"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"an EC key on {public.curve.name}"
    if isinstance(public, rsa.RSAPublicKey):
        return f"an RSA key of {public.key_size} bits"
    return f"an {type(public).__name__.removesuffix('PublicKey')} key"


class TokenVerifier:
    def __init__(self, issuers: Sequence[TrustedIssuer], policy: TokenPolicy | None = None) -> None:
        if not issuers:
            raise ValueError("at least one trusted issuer is required")
        self.policy = policy or TokenPolicy()
        self._issuers: dict[str, tuple[TrustedIssuer, Mapping[str, tuple[Algorithm, Any]]]] = {}
        for trusted in issuers:
            if trusted.issuer in self._issuers:
                raise ValueError(f"issuer {trusted.issuer!r} is configured twice")
            try:
                self._issuers[trusted.issuer] = (trusted, prepared_keys(trusted))
            except ValueError as exc:
                raise ValueError(f"issuer {trusted.issuer!r}: {exc}") from exc
        self.has_jwks = any(trusted.jwks is not None for trusted in issuers)

    def trust_lifetime(self, issuer: str) -> float:
        """How long a token verified now may be believed without verifying it again: its
        issuer's key set is re-fetched (and a removed key forgotten) after this long."""
        entry = self._issuers.get(issuer)
        jwks = entry[0].jwks if entry is not None else None
        return jwks.cache_ttl if jwks is not None else math.inf

    def verify(self, token: str, now: float) -> VerifiedToken:
        """Verify signature, then claims, at instant ``now``. Raises TokenError only."""
        try:
            return self._verify(token, now)
        except Exception as exc:  # PyJWT, cryptography, a bug or a library surprise: deny
            raise translate(exc, TokenError, "unverifiable") from exc

    def key_source(self, token: str) -> tuple[JwksKeys, str] | None:
        """The JWKS and kid a token's signature needs, when its issuer publishes a JWKS.

        The gate awaits ``JwksKeys.ensure(kid)`` before ``verify``, so that fetching never
        blocks. Nothing here is believed: ``verify`` checks everything again.
        """
        if not self.has_jwks:  # no issuer publishes a JWKS: nothing to fetch, nothing to parse
            return None
        try:
            _, header, payload = self._parse(token)
        except Exception:
            return None
        issuer, kid = payload.get("iss"), header.get("kid")
        if not isinstance(issuer, str) or not isinstance(kid, str) or not 0 < len(kid) <= _MAX_KID:
            return None
        entry = self._issuers.get(issuer)
        if entry is None or entry[0].jwks is None:
            return None
        return entry[0].jwks, kid

    def _parse(self, token: str) -> tuple[list[bytes], dict[str, Any], dict[str, Any]]:
        if len(token) > self.policy.max_bytes:
            raise TokenError("too_large")
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise TokenError("malformed") from None
        parts = raw.split(b".")
        if len(parts) != 3 or not all(SEGMENT.fullmatch(part) for part in parts):
            raise TokenError("malformed")
        return parts, json_object(parts[0]), json_object(parts[1])

    def _verify(self, token: str, now: float) -> VerifiedToken:
        parts, header, payload = self._parse(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise TokenError("bad_algorithm")
        if "crit" in header:
            raise TokenError("unsupported_crit")
        if _KEY_CARRYING_HEADERS & header.keys():
            raise TokenError("embedded_key")
        kid = header.get("kid", "")
        if "kid" in header and (not isinstance(kid, str) or not 0 < len(kid) <= _MAX_KID):
            raise TokenError("bad_kid")

        issuer_name = payload.get("iss")
        if not isinstance(issuer_name, str) or issuer_name not in self._issuers:
            raise TokenError("untrusted_issuer")
        trusted, prepared = self._issuers[issuer_name]
        check_typ(header, trusted.required_typ)
        if trusted.jwks is not None:
            if "kid" not in header:
                raise TokenError("missing_kid")
            prepared = trusted.jwks.lookup(kid)
            if not prepared:
                raise TokenError("unknown_kid")
        if alg not in prepared:
            raise TokenError("bad_algorithm")
        algorithm, key = prepared[alg]
        signature = b64url_decode(parts[2])
        if not algorithm.verify(parts[0] + b"." + parts[1], key, signature):
            raise TokenError("bad_signature")

        expires_at = self._check_times(payload, now)
        self._check_audience(payload, trusted.audience)
        subject = payload.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 256:
            raise TokenError("bad_subject")
        return VerifiedToken(issuer_name, subject, payload, expires_at)

    def _check_times(self, payload: Mapping[str, Any], now: float) -> float:
        leeway = self.policy.leeway
        exp = numeric_date(payload, "exp")
        if exp is None:
            raise TokenError("missing_exp")
        if exp <= now - leeway:
            raise TokenError("expired")
        nbf = numeric_date(payload, "nbf")
        if nbf is not None and nbf > now + leeway:
            raise TokenError("not_yet_valid")
        iat = numeric_date(payload, "iat")
        if iat is not None and iat > now + leeway:
            raise TokenError("issued_in_future")
        issued = iat if iat is not None else now
        if exp - issued > self.policy.max_lifetime:
            raise TokenError("lifetime_too_long")
        return exp

    @staticmethod
    def _check_audience(payload: Mapping[str, Any], audience: str) -> None:
        aud = payload.get("aud")
        if isinstance(aud, str):
            ok = aud == audience
        elif isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
            ok = audience in aud
        else:
            ok = False
        if not ok:
            raise TokenError("bad_audience")
