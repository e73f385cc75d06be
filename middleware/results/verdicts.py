"""What the item engine answers, and what it reads an entry by: shared by the remembered-places
segment (item_policy.py), the windowed one (windowed_segment.py), the app's call and the tools.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from .item_rules import ItemRule

__all__ = [
    "ADMIT",
    "DEFAULT_FIELDS",
    "MAX_REMEMBERED_PLACES",
    "FilterOutcome",
    "ItemFields",
    "Verdict",
    "attributes",
]

MAX_REMEMBERED_PLACES: Final = 4096


@dataclass(frozen=True, slots=True)
class ItemFields:
    """Where an entry keeps what the rules read (top-level keys or attributes); ``country``
    None means entries carry no country of their own (it is read from the region's prefix);
    ``collected_at`` None means they carry no collection instant (unknown to a rule with a
    collection window)."""

    id: str = "id"
    region: str = "source_region"
    country: str | None = "source_country"
    collected_at: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One entry's outcome: the rule that suppresses it (or None), and whether that rule (or
    one that admitted it) could not tell from the entry's provenance."""

    suppressed: bool
    rule: ItemRule | None
    unknown: bool = False
    admitted_unknown: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        citation = self.rule.citation if self.rule is not None else None
        return {
            "suppressed": self.suppressed,
            "rule": self.rule.id if self.rule is not None else None,
            "citation": citation.as_dict() if citation is not None else None,
            "unknown_provenance": self.unknown,
            "admitted_unknown": list(self.admitted_unknown),
        }


@dataclass(frozen=True, slots=True)
class FilterOutcome:
    """The entries kept, in order, and per rule id how many were removed (never which) and
    how many had a provenance the rule could not read (admitted or refused)."""

    items: list[Any]
    removed: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())


DEFAULT_FIELDS: Final = ItemFields()
# The one admit verdict: the filters compare with ``is``.
ADMIT: Final = Verdict(False, None)


def attributes(item: object) -> Callable[[str], object]:
    def get(name: str) -> object:
        return getattr(item, name, None)

    return get
