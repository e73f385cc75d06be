"""The item rules in force for a request: what the gate put in ``scope["state"]``, read by the
result filter (when it has no policy of its own) and by ``items_in_force`` for the app's own
``filter_items``; without a gate, the bundled packs."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request

from jurisgate.middleware import ItemPolicy, ItemSettings, ResultRoute, items_in_force
from jurisgate.middleware.decision.policy_files import read_policy_csv
from jurisgate.middleware.results import ITEMS_STATE_KEY, bundled_item_policy
from jurisgate.middleware.results.packs import item_policy_for

from ..fixtures.live_items import ENTRIES, item_row
from .asgi_harness import json_answer, run, scripted

pytestmark = pytest.mark.anyio
ROUTE = ResultRoute(path="/search", items="results", country="source_country")


def only_germany() -> ItemPolicy:
    """Item rules that suppress photos from Germany and nothing else (no bundled pack)."""
    rows = read_policy_csv(item_row("de-order", "DE") + "\n", "test.csv")
    return item_policy_for(ItemSettings(packs=()), rows)


def kept(body: bytes) -> list[str]:
    return [entry["id"] for entry in json.loads(body)["results"]]


async def test_the_filter_uses_the_item_rules_the_gate_put_in_force() -> None:
    app = scripted(json_answer({"results": list(ENTRIES)}))
    state = {ITEMS_STATE_KEY: only_germany()}
    status, _, body, scope = await run(app, ROUTE, state=state)
    assert status == 200
    assert kept(body) == ["fr-1", "es-1"]
    assert scope["state"]["jurisgate.removed"] == {"de-order": 1}


async def test_without_a_gate_the_filter_uses_the_bundled_packs() -> None:
    app = scripted(json_answer({"results": list(ENTRIES)}))
    status, _, body, _ = await run(app, ROUTE)
    assert status == 200
    assert kept(body) == ["de-1", "es-1"]  # fr-cnil-2021 of the foreign_orders pack


def test_items_in_force_reads_a_request_or_a_scope() -> None:
    rules = only_germany()
    scope = {"type": "http", "state": {ITEMS_STATE_KEY: rules}}
    assert items_in_force(scope) is rules
    assert items_in_force(Request(scope)) is rules
    assert items_in_force({"type": "http"}) is bundled_item_policy()
    assert items_in_force(Request({"type": "http", "state": {}})) is bundled_item_policy()


def test_items_in_force_refuses_what_is_not_an_item_policy() -> None:
    with pytest.raises(TypeError, match=r"jurisgate\.items"):
        items_in_force({"type": "http", "state": {ITEMS_STATE_KEY: "not item rules"}})
