"""One policy version: the client rules (a PolicyEngine) and the item rules (an ItemPolicy)
built from the same rows, so that they are loaded, checked and put in force together.

The item rules in force are the ``p2`` rows of the policy (files or store) and the ``[items]``
settings (bundled packs, the admin's ``files``, ``disabled_rules``; results/packs.py). The gate
starts with one PolicyInForce and its reloader replaces it whole: a policy whose item rules are
invalid is refused like one whose client rules are, and the last good pair stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..decision.engine import PolicyEngine
from ..decision.values import Rule
from ..errors import PolicyError
from ..results.item_policy import ItemPolicy
from ..results.packs import ItemSettings, item_policy_for

__all__ = ["PolicyInForce", "policy_in_force"]


@dataclass(frozen=True, slots=True)
class PolicyInForce:
    """The client rules and the item rules of one policy; ``version`` names both."""

    engine: PolicyEngine
    items: ItemPolicy

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.engine.rules

    @property
    def version(self) -> str:
        """``<client rules' version>+<item rules' version>``: a change of either is a reload."""
        return f"{self.engine.version}+{self.items.version}"


def policy_in_force(
    engine: PolicyEngine, items: ItemSettings, *, texts: Mapping[Path, str] | None = None
) -> PolicyInForce:
    """``engine`` with the item rules of its own ``p2`` rows and ``items``. ``texts`` holds the
    ``[items] files`` as already read (checked against the published manifest); None reads
    them now. Raises PolicyError naming the row or key of an invalid item rule, after
    ``[items]`` (what the item rules are built under, wherever the row is)."""
    try:
        rules = item_policy_for(items, engine.source.rows, texts=texts)
    except PolicyError as exc:
        message = str(exc)
        raise PolicyError(
            message if message.startswith("[items]") else f"[items] {message}"
        ) from exc
    return PolicyInForce(engine, rules)
