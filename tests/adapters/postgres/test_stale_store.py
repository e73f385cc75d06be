"""A replica cut off from its policy store serves its last policy for at most
``[policy] max_staleness`` seconds, then answers 503 (``policy_stale``) to every request,
remembered ones included, until the store confirms its policy again; no restart needed.

The store is black-holed with test_dead_store.py's proxy (the peer stops answering, no RST).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from jurisgate.adapters.metrics import GateMetrics
from jurisgate.admin.push import push_policy
from jurisgate.middleware import (
    AuditLog,
    CacheSettings,
    FixedClock,
    JurisdictionMiddleware,
    PolicySettings,
    TrustedIssuer,
)

from ..redis.app import client, search, until
from ..redis.conftest import AT, CACHE_SECRET, MakeToken
from .test_dead_store import APPLIES, CONNECT, INTERVAL, TIMEOUT, BlackHoleProxy, proxy, through
from .test_reload import without_illinois

__all__ = ["proxy"]  # test_dead_store's fixture
pytestmark = pytest.mark.postgres

# Above one check of the store (INTERVAL + CONNECT + TIMEOUT = 2.6 s), as the config requires.
MAX_STALENESS = INTERVAL + CONNECT + TIMEOUT + 1.4
SLACK = 2.0  # seconds, for a loaded 2-core machine
PROBLEM = "urn:jurisgate:problem:policy_stale"


def build(
    issuer: TrustedIssuer,
    settings: PolicySettings,
    records: list[Mapping[str, Any]],
    metrics: GateMetrics,
) -> JurisdictionMiddleware:
    """One replica on ``settings``' store, with its local tier and remembered requests on."""
    return JurisdictionMiddleware(
        Starlette(routes=[Route("/search", search)]),
        issuers=[issuer],
        cache=CacheSettings(local_max_entries=100, secret=CACHE_SECRET),
        policy=replace(settings, max_staleness=MAX_STALENESS),
        clock=FixedClock(AT),
        audit=AuditLog(observers=[metrics, records.append]),
    )


async def get(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get(
        "/search", params={"q": "x"}, headers={"Authorization": f"Bearer {token}"}
    )


def sample(metrics: GateMetrics, name: str, labels: Mapping[str, str] | None = None) -> float:
    value = metrics.registry.get_sample_value(name, dict(labels or {}))
    assert value is not None, name
    return value


def assert_stale_answer(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"] == PROBLEM
    assert body["status"] == 503
    assert body["decision_id"] == response.headers["x-jurisgate-decision-id"]


def test_past_max_staleness_a_cut_off_replica_answers_503_then_the_new_policy(
    store_settings: PolicySettings,
    pack_policy: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    proxy: BlackHoleProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="jurisgate")
    direct, proxied = store_settings, through(proxy, store_settings)
    push_policy(direct, without_illinois(pack_policy))  # Illinois open: police there get 200
    police = make_token("state_law_enforcement", "US", "US-IL")
    federal = make_token("federal_law_enforcement", "US", "US-DC")
    records: list[Mapping[str, Any]] = []
    metrics = GateMetrics()

    async def scenario() -> None:
        replica = build(issuer, proxied, records, metrics)
        try:
            async with client(replica) as http:
                assert (await get(http, police)).status_code == 200  # starts the watcher
                assert (await get(http, police)).status_code == 200
                assert replica.warm.hits == 1  # the second one was a remembered request
                await until(lambda: replica.health()["status"] == "ok", 5)
                assert sample(metrics, "jurisgate_policy_stale") == 0

                proxy.black_hole()
                cut_off = time.monotonic()
                # A revocation comes in from elsewhere; this replica cannot see it.
                await asyncio.to_thread(push_policy, direct, pack_policy)
                # Within the bound: decisions go on, from the last policy it confirmed.
                assert (await get(http, police)).status_code == 200
                assert time.monotonic() - cut_off < MAX_STALENESS, "the machine was too slow"

                await until(
                    lambda: replica.health()["status"] == "unavailable", MAX_STALENESS + SLACK
                )
                # Not at the first failed poll (~TIMEOUT after the cut): only at the bound, which
                # counts from the last poll that began before the cut (slack for a slow machine).
                assert time.monotonic() - cut_off >= MAX_STALENESS - 1.5
                hits, remembered = replica.warm.hits, len(replica.warm)
                assert remembered >= 1
                stale = await get(http, police)  # remembered as allowed: not served from memory
                assert_stale_answer(stale)
                assert replica.warm.hits == hits
                assert_stale_answer(await get(http, federal))  # never seen: not decided either

                health = replica.health()
                freshness = health["policy_freshness"]
                assert isinstance(freshness, dict)
                assert freshness["stale"] is True
                assert freshness["max_staleness"] == MAX_STALENESS
                assert freshness["refused"] == 2
                assert sample(metrics, "jurisgate_policy_stale") == 1
                assert sample(metrics, "jurisgate_policy_stale_refusals_total") == 2
                answers = {"effect": "deny", "status": "503", "rule": ""}
                assert sample(metrics, "jurisgate_decisions_total", answers) == 2
                refused = [r for r in records if r["status"] == 503]
                assert [r["reason"] for r in refused] == ["policy_stale", "policy_stale"]
                assert [r["sent_status"] for r in refused] == [503, 503]
                assert caplog.text.count("refusing requests (503 policy_stale)") == 1

                proxy.resume()
                await until(lambda: replica.health()["status"] == "ok", APPLIES + SLACK)
                assert (await get(http, police)).status_code == 451  # the revocation, at last
                assert (await get(http, federal)).status_code == 200
                assert sample(metrics, "jurisgate_policy_stale") == 0
        finally:
            await replica.aclose()

    asyncio.run(scenario())


def test_answers_resume_from_memory_when_the_store_confirms_the_same_policy(
    store_settings: PolicySettings,
    pack_policy: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    proxy: BlackHoleProxy,
) -> None:
    push_policy(store_settings, without_illinois(pack_policy))
    police = make_token("state_law_enforcement", "US", "US-IL")
    metrics = GateMetrics()

    async def scenario() -> None:
        replica = build(issuer, through(proxy, store_settings), [], metrics)
        version = replica.engine.version
        try:
            async with client(replica) as http:
                assert (await get(http, police)).status_code == 200
                await until(lambda: replica.health()["status"] == "ok", 5)
                proxy.black_hole()
                await until(
                    lambda: replica.health()["status"] == "unavailable", MAX_STALENESS + SLACK
                )
                assert_stale_answer(await get(http, police))
                proxy.resume()
                await until(lambda: replica.health()["status"] == "ok", APPLIES + SLACK)
                hits = replica.warm.hits
                assert (await get(http, police)).status_code == 200
                assert replica.warm.hits == hits + 1  # the same policy: memory serves again
                assert replica.engine.version == version
        finally:
            await replica.aclose()

    asyncio.run(scenario())
