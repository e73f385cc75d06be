"""Who may be *found*, answer by answer: item rules and the result filter.

Item rules (``p2`` rows in the policy files) say which entries of a result (a person's photo)
no client may be shown: opted-out subjects, photos collected in a territory during a period.
:func:`filter_items` is the one engine that applies them, for the app's own objects and for
:class:`ResultFilterMiddleware`, which filters the JSON answers of the routes that
``[[results]]`` names and fails closed (503) on anything it cannot read with certainty. A route
in ``mode = "verify"`` belongs to an app that filters its own entries: the middleware checks
its answers without rewriting them, and refuses one that still holds a suppressed entry (503,
an alarm on ``jurisgate.results``, ``leaked`` in the audit record). The gate, for its part,
refuses a 2xx answer on a ``[[results]]`` route that no result filter ran on
(``filter_required.py``): a search API cannot forget the rules.

Modules: ``item_rules`` / ``item_policy`` / ``packs`` (the rules and the engine),
``library_call`` (``filter_items``), ``routes`` (a ``[[results]]`` table) and ``route_paths``
(which table covers a path), ``middleware`` and ``buffered_answer`` (the filter and its
per-request work), ``json_codec`` (exact JSON), ``filter_required`` (the gate's check).

May import: the core's ``errors``, ``clock``, ``decision`` (policy rows), ``claims`` (regions,
paths), ``subjects`` (the suppression list), ``audit.answer`` (where the counts are left for the
record) and ``responses`` (the 503s). Never an adapter.
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
