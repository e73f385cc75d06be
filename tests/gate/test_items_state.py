"""The gate hands the item rules in force to every request it lets through (decided, remembered
or public), under ``scope["state"]["jurisgate.items"]``, for the result filter and the app."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from jurisgate.middleware import FixedClock, JurisdictionMiddleware, TrustedIssuer
from jurisgate.middleware.results import ITEMS_STATE_KEY

from ..fixtures.live_items import AT, AUDIENCE, ISSUER, KEY, police_token

pytestmark = pytest.mark.anyio


async def test_every_admitted_request_carries_the_item_rules_in_force() -> None:
    seen: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["state"].get(ITEMS_STATE_KEY))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate = JurisdictionMiddleware(
        app, issuers=[TrustedIssuer(ISSUER, AUDIENCE, ("HS256",), KEY)], clock=FixedClock(AT)
    )
    token = {"Authorization": f"Bearer {police_token()}"}
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://gate") as http:
        assert (await http.get("/search", headers=token)).status_code == 204  # decided
        assert (await http.get("/search", headers=token)).status_code == 204  # remembered
        assert (await http.get("/health")).status_code == 204  # public: no token
    assert gate.warm.hits == 1
    assert seen == [gate.checker.items] * 3
    assert gate.health()["item_policy_version"] == gate.checker.items.version
