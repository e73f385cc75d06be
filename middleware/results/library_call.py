"""``filter_items``: the app's own way into the one item engine (before serialization and
pagination, so pages stay full)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from ..clock import FixedClock
from .item_policy import DEFAULT_FIELDS, FilterOutcome, ItemFields, ItemPolicy
from .packs import bundled_item_policy

__all__ = ["filter_items"]


def filter_items(
    items: Iterable[object],
    *,
    at: float | datetime | str,
    suppressed: Collection[str],
    policy: ItemPolicy | None = None,
    fields: ItemFields = DEFAULT_FIELDS,
    refuse_unknown: bool = False,
) -> FilterOutcome:
    """The entries (mappings or objects) no item rule suppresses at ``at``, in order, with per
    rule removal counts. ``policy``: behind the gate pass ``items_in_force(request)``, the
    rules the gate has in force (reloaded with its policy, the result filter's too); defaults
    to the default configuration's packs. ``suppressed``: the replica's suppression list
    (``Suppressions.current()``, which raises when it is stale)."""
    chosen = policy if policy is not None else bundled_item_policy()
    instant = at if type(at) is float else FixedClock(at).now()  # a float is taken as it is
    return chosen.filter(
        items, at=instant, suppressed=suppressed, fields=fields, refuse_unknown=refuse_unknown
    )
