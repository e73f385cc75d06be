"""The RFC 6750 front door: exactly one ``Authorization: Bearer <token>`` header, or why not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ..errors import TokenError

__all__ = ["bearer_token"]

_SCHEME: Final = b"bearer "


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The token (scheme case-insensitive). Raises TokenError: ``missing`` (no header, or
    another scheme), ``invalid_request`` (two headers, a malformed value), ``malformed``."""
    found: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            if found is not None:
                raise TokenError("duplicate_authorization", code="invalid_request")
            found = value
    if found is None:
        raise TokenError("missing")
    if found[:7].lower() != _SCHEME:
        raise TokenError("missing")  # another scheme is not a bearer token at all
    token = found[7:].strip(b" ")
    if not token or b" " in token:
        raise TokenError("malformed", code="invalid_request")
    try:
        return token.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError("malformed", code="invalid_request") from None
