"""The signature algorithms jurisgate accepts, by key family: an issuer's key serves one family,
and a JWKS key is used only for the algorithms of its own family (RFC 8725, section 3.1).

PyJWT's algorithms, plus ``Ed25519``: RFC 9864 deprecates the polymorphic ``EdDSA`` name for
fully-specified ones, and ``Ed25519`` means EdDSA on the Ed25519 curve only. PyJWT 2.15 does not
know the name, so it is added here with PyJWT's own EdDSA implementation, narrowed to Ed25519
keys: an Ed448 key (which ``EdDSA`` accepts) is refused when it is prepared, never at
verification time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from jwt.algorithms import Algorithm, OKPAlgorithm, get_default_algorithms

__all__ = ["ALGORITHM_FAMILIES", "ED25519", "Ed25519Algorithm", "jose_algorithms", "sign_token"]

ED25519: Final = "Ed25519"

ALGORITHM_FAMILIES: Final[Mapping[str, str]] = {
    **{f"RS{n}": "RSA" for n in (256, 384, 512)},
    **{f"PS{n}": "RSA" for n in (256, 384, 512)},
    **{f"ES{n}": "EC" for n in (256, 384, 512)},
    "ES256K": "EC",
    "EdDSA": "OKP",
    ED25519: "OKP",  # RFC 9864: EdDSA with Ed25519 keys only
    **{f"HS{n}": "HMAC" for n in (256, 384, 512)},
}


class Ed25519Algorithm(OKPAlgorithm):
    """PyJWT's EdDSA, for Ed25519 keys only."""

    def prepare_key(self, key: Any) -> Any:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
            Ed25519PublicKey,
        )

        prepared = super().prepare_key(key)
        if not isinstance(prepared, Ed25519PublicKey | Ed25519PrivateKey):
            raise ValueError("Ed25519 needs an Ed25519 key")
        return prepared

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        if not isinstance(jwk, dict) or jwk.get("crv") != ED25519:
            raise ValueError('Ed25519 needs an OKP key with "crv": "Ed25519"')
        return OKPAlgorithm.from_jwk(jwk)


@cache
def jose_algorithms() -> dict[str, Algorithm]:
    """Algorithm name -> PyJWT implementation (a fresh copy is never needed: read only)."""
    algorithms = dict(get_default_algorithms())
    if "EdDSA" in algorithms:  # only with the cryptography package
        algorithms[ED25519] = Ed25519Algorithm()
    return algorithms


def sign_token(payload: Mapping[str, Any], key: Any, algorithm: str) -> str:
    """A compact JWS of ``payload`` (JSON) signed by PyJWT, for ``jurisgate token mint``: its
    own PyJWS with ``Ed25519`` registered (PyJWT's global one is left alone)."""
    import json

    from jwt import PyJWS

    signer = PyJWS()
    if algorithm == ED25519:
        signer.register_algorithm(ED25519, Ed25519Algorithm())
    body = json.dumps(dict(payload), separators=(",", ":")).encode()
    return signer.encode(body, key, algorithm=algorithm)
