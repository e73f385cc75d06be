"""Read and write a whole JSON answer exactly, fast when we can.

orjson is 2-13x faster than the stdlib here, but it is not exact everywhere: it reads an
integer beyond 64 bits as a float and writes a non-finite float as ``null``, either of which
would change an entry we were to leave alone. A body with a run of 19 digits or a three-digit
exponent (even inside a string: only slower, never wrong) goes through the stdlib, which keeps
integers exact and refuses NaN and infinities both ways. Anything else that either parser
refuses is :class:`UnreadableJson`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import orjson

from ..errors import JurisgateError

__all__ = ["UnreadableJson", "dumps", "loads"]

_NOT_FOR_ORJSON: Final = re.compile(rb"\d{19}|[eE][+-]?\d{3}")


class UnreadableJson(JurisgateError):
    """The body is not JSON we can read and write back exactly."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes) -> tuple[Any, bool]:
    """(document, exact): ``exact`` when the stdlib read it (write it back with ``dumps``)."""
    if _NOT_FOR_ORJSON.search(body) is None:
        try:
            return orjson.loads(body), False
        except orjson.JSONDecodeError as exc:
            raise UnreadableJson(str(exc)) from exc
    try:
        return json.loads(body, parse_constant=_no_constants), True
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UnreadableJson(str(exc)) from exc


def dumps(document: Any, exact: bool) -> bytes:
    if not exact:
        return orjson.dumps(document)
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (ValueError, RecursionError) as exc:
        raise UnreadableJson(str(exc)) from exc
    return text.encode()
