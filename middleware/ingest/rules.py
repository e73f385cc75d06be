"""The ingest rules are the item rules: the ``collected_in`` rules of the item policy in force.

A behaviour lives once: the result filter and the ingest check read the same ``p2`` rows
(``jurisgate.middleware.results``), so turning a pack or a rule off in ``[items]``, or
overriding one, changes both. ``opted_out`` rules name people, not places: a crawler's
provenance facts cannot answer them, so the ingest check leaves them to the result filter.

Unknown provenance follows each rule's ``unknown`` column: every bundled rule says ``refuse``
(a crawler that cannot say where a photo was taken cannot show it is outside the territory;
the orders put that burden on the collector).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TypeAlias

from jurisgate.middleware.results.item_policy import ItemPolicy
from jurisgate.middleware.results.item_rules import ItemRule
from jurisgate.middleware.results.packs import bundled_item_policy

__all__ = ["IngestRule", "IngestRules", "bundled_ingest_rules", "ingest_rules"]

IngestRule: TypeAlias = ItemRule  # an ingest rule is a ``collected_in`` item rule
IngestRules: TypeAlias = ItemPolicy | Iterable[ItemRule]


def ingest_rules(rules: IngestRules) -> tuple[ItemRule, ...]:
    """The ``collected_in`` rules of an item policy (or of a list of item rules), in order."""
    found = rules.rules if isinstance(rules, ItemPolicy) else tuple(rules)
    return tuple(rule for rule in found if rule.test == "collected_in")


@cache
def bundled_ingest_rules() -> tuple[ItemRule, ...]:
    """The default configuration's: both bundled packs, as ``[items]`` enables them."""
    return ingest_rules(bundled_item_policy())
