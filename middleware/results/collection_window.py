"""When a photo was collected: a rule's collection window and an entry's collection instant.

A ``p2`` row's optional 11th column, ``collected``, limits the rule to entries collected in a
window ``FROM..UNTIL`` (ISO 8601 dates or date-times as in ``start``/``end``: UTC unless an
offset is given; either side empty for open; FROM inclusive, UNTIL exclusive). An entry says
when through its ``collected_at`` field: an ISO 8601 date-time *with* ``Z`` or an offset,
epoch seconds, or (the app's own objects) an aware ``datetime``. Anything else, a naive time
included, is no collection instant: unknown provenance to a rule with a window.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Final

from ..decision.matchers import instant

__all__ = ["CollectionWindow", "collected_instant", "parse_window"]

CollectionWindow = tuple[float, float]  # [from, until), epoch seconds, open sides infinite
_MAX_INSTANT_TEXT: Final = 64  # longer is no ISO 8601 instant: never parsed


def parse_window(text: str) -> CollectionWindow | None:
    """The ``collected`` column: ``None`` when empty (any collection time); ValueError says
    what is wrong."""
    if text == "":
        return None
    parts = text.split("..")
    if len(parts) != 2:
        raise ValueError(f"collected must be a window FROM..UNTIL or empty, not {text!r}")
    since, until = (part.strip() for part in parts)
    if not since and not until:
        raise ValueError("a collection window open on both sides is no window: leave it empty")
    try:
        window = (instant(since, open_value=-math.inf), instant(until, open_value=math.inf))
    except ValueError as exc:
        raise ValueError(
            f"collected: FROM and UNTIL must be ISO 8601 dates or date-times ({exc})"
        ) from exc
    if window[0] >= window[1]:
        raise ValueError("the collection window ends before it starts")
    return window


def collected_instant(value: object) -> float | None:
    """An entry's collection instant as epoch seconds, or None when it cannot tell."""
    if type(value) is str:
        if len(value) > _MAX_INSTANT_TEXT:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed.timestamp() if parsed.tzinfo is not None else None
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:  # beyond any float: no instant
            return None
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        # Aware only with an offset: a zone that gives none is naive (local time) to Python.
        return value.timestamp() if value.utcoffset() is not None else None
    return None
