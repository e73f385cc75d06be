"""The parts of a compact JWS (RFC 7515), decoded strictly: base64url segments, JSON objects
with no duplicate members, the ``typ`` header and NumericDate claims.

``verifier.py`` decides what to believe about a token; this module only reads its pieces, and
turns anything it cannot read into a TokenError (``malformed``, ``bad_typ``,
``missing_exp``, ``bad_<claim>``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final

from ..errors import TokenError
from .strict_json import strict_loads

__all__ = [
    "MEDIA_TYPE_NAME",
    "SEGMENT",
    "b64url_decode",
    "check_typ",
    "json_object",
    "media_type",
    "numeric_date",
]

SEGMENT: Final = re.compile(rb"[A-Za-z0-9_-]+")  # one base64url segment, unpadded
# A ``typ`` value: a media type name (RFC 6838) with or without its ``application/``.
MEDIA_TYPE_NAME: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:/[A-Za-z0-9!#$&^_.+-]{1,127})?"
)


def check_typ(header: Mapping[str, Any], required: str | None) -> None:
    """``typ`` is optional unless the issuer requires one; compared as RFC 7515 media types."""
    if "typ" not in header and required is None:
        return
    typ = header.get("typ")
    if not isinstance(typ, str):
        raise TokenError("bad_typ")
    if required is not None and media_type(typ) != media_type(required):
        raise TokenError("bad_typ")


def media_type(name: str) -> str:
    """``typ`` as compared: lower case, ``application/`` implied (RFC 7515, section 4.1.9)."""
    lowered = name.lower()
    return lowered.removeprefix("application/") if lowered.count("/") == 1 else lowered


def numeric_date(payload: Mapping[str, Any], name: str) -> float | None:
    """A NumericDate claim, when present, must be a JSON number; PyJWT alone would take
    ``"exp": "9999"``, and a ``null`` is present but no date."""
    if name not in payload:
        return None
    value = payload[name]
    if value is None and name == "exp":
        raise TokenError("missing_exp")  # a null expiry is no expiry
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError(f"bad_{name}")
    return float(value)


def b64url_decode(segment: bytes) -> bytes:
    """One segment's bytes; the padding JWS leaves out is put back first."""
    try:
        return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("malformed") from None


def json_object(segment: bytes) -> dict[str, Any]:
    """A header or payload segment: UTF-8 JSON, one object, no duplicate members."""
    try:
        text = b64url_decode(segment).decode("utf-8")
        value = strict_loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TokenError("malformed") from None
    if not isinstance(value, dict):
        raise TokenError("malformed")
    return value
