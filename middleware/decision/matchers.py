"""The functions the Casbin matcher calls, one per rule field.

All matching is exact and anchored: ``US`` never matches ``USA``. A wildcard ``*`` matches any
authenticated value but never the anonymous entity type, so no broad rule can make a path
public by accident.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from ..claims.entity_types import ANONYMOUS
from ..clock import parse_instant

if TYPE_CHECKING:
    from ..claims.principal import PolicyView
    from .values import Rule

__all__ = [
    "active",
    "alternatives",
    "client_match",
    "instant",
    "path_match",
    "regex_full_match",
    "set_match",
]


@lru_cache(maxsize=4096)
def alternatives(pattern: str) -> frozenset[str]:
    """``a|b|c`` -> {a, b, c}."""
    return frozenset(part.strip() for part in pattern.split("|"))


def set_match(value: str, pattern: str) -> bool:
    if pattern == "*":
        return value != ANONYMOUS
    return value in alternatives(pattern)


def client_match(view: PolicyView, rule: Rule) -> bool:
    """Does ``rule`` name this client (every client attribute, as the bundled matcher reads)?"""
    return (
        set_match(view.entity, rule.entity_types)
        and set_match(view.country, rule.country)
        and set_match(view.region, rule.region)
        and set_match(view.agency_type, rule.agency_type)
        and set_match(view.agency_region, rule.agency_region)
        and set_match(view.capacity, rule.capacity)
    )


def path_match(path: str, pattern: str) -> bool:
    """``*`` any path; ``/a/*`` /a itself and everything below it; otherwise the exact path."""
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        base = pattern[:-2]
        return path == base or path.startswith(base + "/")
    return path == pattern


def regex_full_match(value: str, pattern: str) -> bool:
    """Replaces Casbin's ``regexMatch``, which is ``re.match``: anchored at the start only, so
    ``US`` would match ``USA`` and ``/health`` would match ``/health-admin``. A pattern that
    does not compile raises (the request is then denied), never skips its rule."""
    return _compiled(pattern).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"policy pattern {pattern!r} is not a regular expression") from exc


@lru_cache(maxsize=4096)
def instant(text: str, *, open_value: float) -> float:
    """An effective-period bound as epoch seconds; empty means open (``open_value``)."""
    return open_value if text == "" else parse_instant(text)


def active(at: float, start: str, end: str) -> bool:
    """Start inclusive, end exclusive; an empty bound is open."""
    return instant(start, open_value=-math.inf) <= at < instant(end, open_value=math.inf)
