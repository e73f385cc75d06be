"""The item rules in force for one request: what the gate put in ``scope["state"]``.

The gate reloads its item rules with its client rules (one policy version, see
``config/policy_in_force.py``) and hands the ones in force to every request it lets through,
under ``ITEMS_STATE_KEY``. The result filter reads them there when it has no rules of its own,
and an app passes ``items_in_force(request)`` to ``filter_items`` so that its own filtering
follows the same reloads. Without a gate in front (a test, an internal tool) both fall back to
the bundled packs of the default configuration.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import HTTPConnection
from starlette.types import Scope

from .item_policy import ItemPolicy
from .packs import bundled_item_policy

__all__ = ["ITEMS_STATE_KEY", "items_in_force"]

ITEMS_STATE_KEY: Final = "jurisgate.items"


def items_in_force(request: HTTPConnection | Scope) -> ItemPolicy:
    """The item rules the gate applies to ``request`` (a Starlette request or an ASGI scope);
    the bundled packs when no gate handled it."""
    scope = request.scope if isinstance(request, HTTPConnection) else request
    state = scope.get("state")
    found = None if state is None else state.get(ITEMS_STATE_KEY)
    if found is None:
        return bundled_item_policy()
    if not isinstance(found, ItemPolicy):  # something else wrote our key: do not guess
        raise TypeError(f'scope["state"][{ITEMS_STATE_KEY!r}] is not an ItemPolicy')
    return found
