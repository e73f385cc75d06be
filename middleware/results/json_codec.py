"""Read a whole JSON answer and write back exactly what was read, fast when we can.

orjson is 2-13x faster than the stdlib here, but it reads an integer beyond 64 bits as a
float, which would change an entry we were to leave alone. A body with a run of 19 or more
digits where a number may start (after ``:``, ``[``, ``,`` or at the start, with an optional
minus and whitespace) goes through the stdlib, which keeps integers exact; a run inside a
string (a digest, ``face-0000123...``) does not, since strings are not numbers. A body orjson
refuses is tried with the stdlib too (which reads ``1e400`` as infinity; ``dumps`` then
refuses it both ways), and anything either refuses, or cannot write back, is
:class:`UnreadableJson`.

The answer is always written back from the parsed document, never sent as the app's bytes:
a key the app repeats (``{"results": [...], "results": []}``) is read by both parsers as its
last value, and a client that reads the first must not see a list the filter never checked.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from ..errors import JurisgateError

__all__ = ["UnreadableJson", "dumps", "loads"]

# Every digit to "0", every other byte to "x": runs are then found by bytes.find, in C (a
# regex scan of a body dense with digits costs about 7 ns a byte, this under 1).
_DIGIT_CLASSES: Final = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_LONG_RUN: Final = b"0" * 19
_NUMBER_STARTS_AFTER: Final = frozenset(b":[,")
_BLANK: Final = frozenset(b" \t\r\n")


class UnreadableJson(JurisgateError):
    """The body is not JSON we can read and write back exactly."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes) -> tuple[Any, bool]:
    """(document, exact): ``exact`` when the stdlib read it (write it back with ``dumps``)."""
    if not _may_hold_a_long_integer(body):
        try:
            return orjson.loads(body), False
        except orjson.JSONDecodeError:
            pass  # the stdlib decides (and its error is the one reported)
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constants), True
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UnreadableJson(str(exc)) from exc


def _may_hold_a_long_integer(body: bytes) -> bool:
    """Whether a run of 19+ digits in ``body`` could be an integer token (not inside a
    fraction, an exponent or, as far as the bytes before it tell, a string)."""
    classes = body.translate(_DIGIT_CLASSES)
    run = classes.find(_LONG_RUN)
    while run >= 0:
        before = run - 1
        if before >= 0 and body[before] == 0x2D:  # "-"
            before -= 1
        while before >= 0 and body[before] in _BLANK:
            before -= 1
        if before < 0 or body[before] in _NUMBER_STARTS_AFTER:
            return True
        end = classes.find(b"x", run + len(_LONG_RUN))
        if end < 0:
            return False
        run = classes.find(_LONG_RUN, end)
    return False


def dumps(document: Any, exact: bool) -> bytes:
    try:
        if not exact:
            return orjson.dumps(document)
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode()
    except (ValueError, TypeError, RecursionError) as exc:  # incl. orjson.JSONEncodeError
        raise UnreadableJson(str(exc)) from exc
