"""JSON as a security boundary reads it: bounded in size and depth, no duplicate member names,
no NaN or Infinity.

Python's json keeps the last of duplicate members, so ``{"country":"IR","country":"US"}``
would read as US; a parser elsewhere may keep the first. Refusing both removes the ambiguity.
Python's json also recurses once per nesting level, so 2,000 nested ``[`` raise
``RecursionError`` (not a ValueError); ``bounded_loads`` measures the depth before parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["bounded_loads", "strict_loads"]

# Strings (with their escapes) and everything that is not a bracket: what depth ignores.
_NOT_NESTING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|[^\[\]{}"]+', re.DOTALL)


def strict_loads(text: str) -> Any:
    """Parse ``text``; raises ValueError (json.JSONDecodeError is one) on anything ambiguous."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def bounded_loads(data: bytes | str, *, max_bytes: int, max_depth: int) -> Any:
    """``strict_loads`` of UTF-8 ``data`` no longer than ``max_bytes`` and nested no deeper
    than ``max_depth``; every refusal is a ValueError, checked before the parser runs."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise ValueError(f"more than {max_bytes} bytes")
    if json_depth(raw) > max_depth:
        raise ValueError(f"nested deeper than {max_depth}")
    return strict_loads(raw.decode("utf-8"))  # UnicodeDecodeError is a ValueError


def json_depth(raw: bytes) -> int:
    """The deepest bracket nesting of ``raw``, brackets inside strings not counted (linear)."""
    depth = deepest = 0
    for byte in _NOT_NESTING.sub(b"", raw):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
        else:  # an unterminated string: the parser stops in it, deeper than nothing after
            break
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
