"""``[[results]]``: a route whose JSON answer lists people, and where in that answer they are.

``items`` is a dotted path from the answer's top-level object to the list of entries; a step
written ``key[*]`` steps into every element of the list at ``key`` (``clusters[*].faces``: the
faces of every cluster). ``counts`` name integer fields to lower by the entries removed: a
path without ``[*]`` (``total``) by all removed; one with the items' own prefix
(``clusters[*].face_count``) by those removed from that element's list. Anything that does not
have the configured shape is a :class:`ShapeError`: the middleware answers 503, never guesses.
``mode`` says whether the middleware removes suppressed entries (``filter``) or, for an app
that filters its own (``filter_items``), refuses an answer that still holds one (``verify``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..claims.paths import canonical_path
from ..errors import JurisgateError
from .item_policy import ItemFields

__all__ = ["MODES", "ResultRoute", "ShapeError", "parse_steps"]

_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")
DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
# "filter": remove what the rules suppress; "verify": the app filtered (filter_items), so
# check and refuse (503, an alarm) an answer that still holds a suppressed entry.
MODES: Final = ("filter", "verify")


class ShapeError(JurisgateError):
    """The answer does not have the shape its ``[[results]]`` table describes."""


# A path: ((key, steps into list?), ...)
Steps = tuple[tuple[str, bool], ...]


def parse_steps(text: str, what: str) -> Steps:
    steps: list[tuple[str, bool]] = []
    for part in text.split("."):
        spread = part.endswith("[*]")
        key = part[:-3] if spread else part
        if not _KEY.fullmatch(key):
            raise ValueError(f"{what}: {text!r} must be dotted keys, 'key[*]' steps into a list")
        steps.append((key, spread))
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class ResultRoute:
    """One ``[[results]]`` table; validated and split once, at start-up."""

    path: str
    items: str
    id: str = "id"
    region: str = "source_region"
    country: str | None = None
    counts: tuple[str, ...] = ()
    collected_at: str | None = None
    unknown: Literal["rule", "refuse"] = "rule"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    mode: Literal["filter", "verify"] = "filter"
    fields: ItemFields = field(init=False)
    _prefix: Steps = field(init=False, repr=False)
    _tail: Steps = field(init=False, repr=False)
    _counts: tuple[tuple[bool, Steps], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or "*" in self.path.removesuffix("/*"):
            raise ValueError(
                f"path must be an exact path or a subtree ending in '/*': {self.path!r}"
            )
        # Requests are matched as routed and in their canonical spelling; a path written
        # otherwise ('/search/') would match neither for the route's own spelling ('/search').
        subtree = self.path.endswith("/*")
        base = self.path[:-2] if subtree else self.path
        written = canonical_path(base or "/") + ("/*" if subtree else "")
        if written.startswith("//"):  # "/*": the root's subtree
            written = written[1:]
        if written != self.path:
            raise ValueError(
                f"path must be written {written!r} as the policy reads it (no '//', '.', '..' "
                f"or trailing '/'), not {self.path!r}"
            )
        steps = parse_steps(self.items, "items")
        if steps[-1][1]:
            raise ValueError("items must end at the list of entries (no '[*]' on its last key)")
        last_spread = max((n for n, (_, spread) in enumerate(steps) if spread), default=-1)
        prefix, tail = steps[: last_spread + 1], steps[last_spread + 1 :]
        counts: list[tuple[bool, Steps]] = []
        for count in self.counts:
            count_steps = parse_steps(count, "counts")
            if any(spread for _, spread in count_steps):
                if count_steps[: len(prefix)] != prefix or any(
                    s for _, s in count_steps[len(prefix) :]
                ):
                    raise ValueError(
                        f"counts: {count!r} must start with the items' prefix {self.items!r}"
                    )
                counts.append((True, count_steps[len(prefix) :]))
            else:
                counts.append((False, count_steps))
        for name, value in (
            ("id", self.id),
            ("region", self.region),
            ("country", self.country),
            ("collected_at", self.collected_at),
        ):
            if value is not None and not value:
                raise ValueError(f"{name} must name a field")
        if self.unknown not in ("rule", "refuse"):
            raise ValueError("unknown must be 'rule' (each rule says) or 'refuse'")
        if self.mode not in MODES:
            raise ValueError("mode must be 'filter' or 'verify'")
        if not 1024 <= self.max_body_bytes <= 256 * 1024 * 1024:
            raise ValueError("max_body_bytes must be between 1024 and 268435456")
        object.__setattr__(
            self, "fields", ItemFields(self.id, self.region, self.country, self.collected_at)
        )
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_tail", tail)
        object.__setattr__(self, "_counts", tuple(counts))

    def rewrite(self, body: object, keep: Callable[[list[Any]], tuple[list[Any], int]]) -> int:
        """Replace every entry list in ``body`` by ``keep(list)``'s entries, lower the counts,
        and return how many were removed. Raises ShapeError on any mismatch (nothing is
        half-written that is sent: the caller answers 503 then)."""
        total = 0
        for holder in _spread(body, self._prefix):
            parent, key = _parent(holder, self._tail)
            entries = parent.get(key)
            if not isinstance(entries, list):
                raise ShapeError(f"{self.items}: not a list")
            kept, removed = keep(entries)
            parent[key] = kept
            total += removed
            for inner, steps in self._counts:
                if inner:
                    _lower(holder, steps, removed)
        for inner, steps in self._counts:
            if not inner:
                _lower(body, steps, total)
        return total


def _spread(body: object, prefix: Steps) -> list[object]:
    holders = [body]
    for key, _spread in prefix:
        following: list[object] = []
        for holder in holders:
            if not isinstance(holder, dict) or key not in holder:
                raise ShapeError(f"no {key!r} where the configuration expects it")
            value = holder[key]
            if not isinstance(value, list):
                raise ShapeError(f"{key!r} is not a list")
            following.extend(value)
        holders = following
    return holders


def _parent(holder: object, tail: Steps) -> tuple[dict[str, Any], str]:
    for key, _ in tail[:-1]:
        if not isinstance(holder, dict) or key not in holder:
            raise ShapeError(f"no {key!r} where the configuration expects it")
        holder = holder[key]
    if not isinstance(holder, dict) or tail[-1][0] not in holder:
        raise ShapeError(f"no {tail[-1][0]!r} where the configuration expects it")
    return holder, tail[-1][0]


def _lower(holder: object, steps: Steps, removed: int) -> None:
    parent, key = _parent(holder, steps)
    value = parent[key]
    if type(value) is not int or value < removed:
        raise ShapeError(f"count {key!r} is not an integer at least the number removed")
    parent[key] = value - removed
