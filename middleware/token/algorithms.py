"""The signature algorithms jurisgate accepts, by key family: an issuer's key serves one family,
and a JWKS key is used only for the algorithms of its own family (RFC 8725, section 3.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["ALGORITHM_FAMILIES"]

ALGORITHM_FAMILIES: Final[Mapping[str, str]] = {
    **{f"RS{n}": "RSA" for n in (256, 384, 512)},
    **{f"PS{n}": "RSA" for n in (256, 384, 512)},
    **{f"ES{n}": "EC" for n in (256, 384, 512)},
    "ES256K": "EC",
    "EdDSA": "OKP",
    **{f"HS{n}": "HMAC" for n in (256, 384, 512)},
}
