"""Casbin's adapter interface over a jurisgate policy store, for code that drives its own
``casbin.Enforcer`` (the gate itself reads the store directly, as a PolicySource).

Rows go in and out whole, as value lists: never joined with commas and split again, so
citations with commas survive. Only whole-policy loads and saves are supported; Casbin's
auto-save of single rules (add/remove) raises NotImplementedError rather than silently doing
nothing. ``save_policy`` does not validate rows against jurisgate's rules: gates refuse an
invalid policy when they reload; ``jurisgate policy push`` is the validated way in.
"""

from __future__ import annotations

from typing import Any

from casbin import persist

from jurisgate.middleware.config.store import PolicyStore
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.errors import PolicyError

__all__ = ["CasbinStoreAdapter"]

_UNSUPPORTED = "jurisgate stores replace the whole policy: use save_policy or jurisgate policy push"


class CasbinStoreAdapter(persist.Adapter):  # type: ignore[misc]  # casbin ships no types
    """``casbin.Enforcer(model, CasbinStoreAdapter(store))`` loads and saves through ``store``."""

    def __init__(self, store: PolicyStore) -> None:
        self.store = store

    def load_policy(self, model: Any) -> None:
        """Append every stored row to the model's assertion of its ptype."""
        for row in self.store.load_rows():
            assertion = model.model.get(row.ptype[:1], {}).get(row.ptype)
            if assertion is None:
                raise PolicyError(f"{row.source}: policy type {row.ptype!r} is not in the model")
            assertion.policy.append(list(row.values))

    def save_policy(self, model: Any) -> bool:
        """Replace the stored rows with the model's ``p``/``g`` rules, in one transaction."""
        rows = [
            PolicyRow(ptype, tuple(str(value) for value in rule), f"casbin:{ptype}")
            for section in ("p", "g")
            for ptype, assertion in model.model.get(section, {}).items()
            for rule in assertion.policy
        ]
        self.store.replace(rows, check=lambda stored: None)
        return True

    def add_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        raise NotImplementedError(_UNSUPPORTED)

    def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        raise NotImplementedError(_UNSUPPORTED)

    def remove_filtered_policy(
        self, sec: str, ptype: str, field_index: int, *field_values: str
    ) -> bool:
        raise NotImplementedError(_UNSUPPORTED)
