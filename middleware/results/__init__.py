"""Who may be *found*, answer by answer: item rules and the result filter.

Item rules (``p2`` rows in the policy files) say which entries of a result (a person's photo)
no client may be shown: opted-out subjects, photos collected in a territory during a period.
:func:`filter_items` is the one engine that applies them, for the app's own objects and for
:class:`ResultFilterMiddleware`, which filters the JSON answers of the routes that
``[[results]]`` names and fails closed (503) on anything it cannot read with certainty.

May import: the core's ``errors``, ``clock``, ``decision`` (policy rows), ``claims.regions``,
``subjects`` (the suppression list). Never an adapter.
"""

from .in_force import ITEMS_STATE_KEY, items_in_force
from .item_policy import FilterOutcome, ItemFields, ItemPolicy, Verdict
from .item_rules import ITEM_RULE_FIELDS, ItemRule, parse_item_rules
from .library_call import filter_items
from .middleware import ResultFilterMiddleware
from .packs import DEFAULT_ITEM_PACKS, ItemSettings, bundled_item_policy, item_policy_from_rows
from .routes import ResultRoute

__all__ = [
    "DEFAULT_ITEM_PACKS",
    "ITEMS_STATE_KEY",
    "ITEM_RULE_FIELDS",
    "FilterOutcome",
    "ItemFields",
    "ItemPolicy",
    "ItemRule",
    "ItemSettings",
    "ResultFilterMiddleware",
    "ResultRoute",
    "Verdict",
    "bundled_item_policy",
    "filter_items",
    "item_policy_from_rows",
    "items_in_force",
    "parse_item_rules",
]
