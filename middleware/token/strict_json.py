"""JSON as a security boundary reads it: no duplicate member names, no NaN or Infinity.

Python's json keeps the last of duplicate members, so ``{"country":"IR","country":"US"}``
would read as US; a parser elsewhere may keep the first. Refusing both removes the ambiguity.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["strict_loads"]


def strict_loads(text: str) -> Any:
    """Parse ``text``; raises ValueError (json.JSONDecodeError is one) on anything ambiguous."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
