"""Prometheus metrics: counted from the gate's audit records, served by a small ASGI app."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.adapters.metrics import GateMetrics, metrics_app
from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import (
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
)
from jurisgate.middleware.config.gate_config import load_config
from jurisgate.middleware.subjects import FixedSuppressions
from jurisgate.policies import pack_file

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

from ..fixtures.admin_config import WriteConfig
from ..fixtures.servers import free_port
from ..fixtures.tokens import hs256_token

SECRET = b"a-development-secret-of-at-least-32-bytes!"
NOW = 1_795_000_000


def token(region: str | None) -> str:
    return hs256_token(
        SECRET,
        {"entity_type": "local_law_enforcement", "country": "US", "region": region or None,
         "agency_region": region or None},  # a local police department at home
        issuer="https://idp.test", audience="face-search-api", now=NOW, subject="s",
    )  # fmt: skip


def gated_app(config: Path, **options: Any) -> JurisdictionMiddleware:
    async def search(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/search", search), Route("/health", search)])
    return JurisdictionMiddleware(app, config=str(config), clock=FixedClock(float(NOW)), **options)


async def get_all(app: Any, requests: list[tuple[str, str | None]]) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        statuses = []
        for path, bearer in requests:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            statuses.append((await client.get(path, headers=headers)).status_code)
        return statuses


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def config(write_config: WriteConfig) -> Path:
    return write_config(Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8"))


def test_decisions_tokens_claims_cache_and_latency(config: Path) -> None:
    metrics = GateMetrics()
    gate = gated_app(config, metrics=metrics)
    ny, il = token("US-NY"), token("US-IL")
    requests = [
        ("/search", ny),
        ("/search", ny),
        ("/search", il),
        ("/search", "garbage"),
        ("/search", None),
        ("/search", token(None)),
        ("/health", None),
    ]
    assert asyncio.run(get_all(gate, requests)) == [200, 200, 451, 401, 401, 403, 200]
    got = samples(scrape(metrics))

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    allow = {"effect": "allow", "status": "200"}
    assert value("jurisgate_decisions_total", **allow, rule="us-government-search") == 2
    assert value("jurisgate_decisions_total", **allow, rule="public-health") == 1
    deny = {"effect": "deny", "status": "451", "rule": "il-agencies-five-years"}
    assert value("jurisgate_decisions_total", **deny) == 1
    assert value("jurisgate_tokens_rejected_total", reason="malformed") == 1
    assert value("jurisgate_tokens_rejected_total", reason="missing") == 1
    assert value("jurisgate_claims_rejected_total", reason="missing_region") == 1
    assert value("jurisgate_decision_seconds_count") == 7
    # The gate's own cache counters, read at scrape time (public-path lookups count too).
    local = gate.health()["local_cache"]
    assert isinstance(local, dict)
    remembered = gate.health()["remembered_requests"]
    assert isinstance(remembered, dict)
    # The second identical NY request is answered from memory, the rest are not.
    assert remembered["hits"] == 1
    assert value("jurisgate_cache_lookups_total", tier="request", result="hit") == 1
    assert (
        value("jurisgate_cache_lookups_total", tier="request", result="miss")
        == (remembered["misses"])
    )
    assert value("jurisgate_cache_lookups_total", tier="local", result="hit") == local["hits"]
    assert value("jurisgate_cache_lookups_total", tier="local", result="miss") == local["misses"]
    # No shared tier configured: no Redis series at all.
    assert not [name for name, _ in got if name.startswith("jurisgate_redis")]


RESULTS = """
[[results]]
path = "/search"
items = "results"
mode = "verify"

[[results]]
path = "/search/faces"
items = "results"
"""


def test_result_leaks_and_unfiltered_answers_are_counted(config: Path) -> None:
    """From the audit records too: entries a verifying filter caught, per rule, and answers
    the gate refused because no filter ran on them."""
    config.write_text(config.read_text(encoding="utf-8") + RESULTS, encoding="utf-8")
    settings = load_config(config)

    async def listing(request: Request) -> JSONResponse:
        return JSONResponse({"results": [{"id": "gone", "source_region": "US-NY"}]})

    app = Starlette(routes=[Route("/search", listing), Route("/search/faces", listing)])
    verifying = ResultFilterMiddleware(
        app,
        routes=[route for route in settings.results if route.path == "/search"],
        suppressions=FixedSuppressions({"gone"}),
        clock=FixedClock(float(NOW)),
    )
    metrics = GateMetrics()
    gate = JurisdictionMiddleware(
        verifying, config=str(config), clock=FixedClock(float(NOW)), metrics=metrics
    )
    ny = token("US-NY")
    statuses = asyncio.run(get_all(gate, [("/search", ny), ("/search/faces", ny)]))
    assert statuses == [503, 503]
    got = samples(scrape(metrics))
    assert got[("jurisgate_results_leaked_total", (("rule", "il-opt-out"),))] == 1
    assert got[("jurisgate_results_unfiltered_total", ())] == 1


def scrape(metrics: GateMetrics) -> str:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=metrics_app(metrics))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/")

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_policy_reloads_by_result(write_config: WriteConfig) -> None:
    policy = Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")
    config = write_config(policy)
    metrics = GateMetrics()
    gate = gated_app(config, metrics=metrics)
    assert gate.reloader is not None
    policy_file = next(config.parent.glob("policy*.csv"))
    policy_file.write_text(policy.replace("2027-05-11", "2027-06-01"), encoding="utf-8")
    assert asyncio.run(gate.reloader.check("test")) is True
    policy_file.write_text(policy + "p, broken\n", encoding="utf-8")
    assert asyncio.run(gate.reloader.check("test")) is False
    got = samples(scrape(metrics))
    assert got[("jurisgate_policy_reloads_total", (("result", "ok"),))] == 1
    assert got[("jurisgate_policy_reloads_total", (("result", "rejected"),))] == 1


def test_a_gate_waiting_for_a_publish_is_counted(write_config: WriteConfig) -> None:
    policy = Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")
    config = write_config(policy, published=True)
    policy_file = next(config.parent.glob("policy*.csv"))
    publish_policy(load_config(config).policy)
    metrics = GateMetrics()
    gate = gated_app(config, metrics=metrics)
    assert gate.reloader is not None
    assert samples(scrape(metrics))[("jurisgate_policy_reload_waiting", ())] == 0
    policy_file.write_text(policy.replace("2027-05-11", "2027-06-01"), encoding="utf-8")
    assert asyncio.run(gate.reloader.check("test")) is False  # written, not published
    assert samples(scrape(metrics))[("jurisgate_policy_reload_waiting", ())] == 1
    publish_policy(load_config(config).policy)
    assert asyncio.run(gate.reloader.check("test")) is True
    assert samples(scrape(metrics))[("jurisgate_policy_reload_waiting", ())] == 0


def test_redis_errors_and_circuit_state(write_config: WriteConfig) -> None:
    port = free_port()  # nothing listens there: every shared-tier call fails
    policy = Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")
    config = write_config(
        policy,
        extra=f'[cache]\nredis_url = "redis://127.0.0.1:{port}/0"\n'
        'secret = "a-cache-secret-of-16-bytes"\nbreaker_failures = 2\nsocket_timeout = 0.2',
    )
    metrics = GateMetrics()
    gate = gated_app(config, metrics=metrics)
    regions = ["US-NY", "US-TX", "US-CA", "US-WA"]  # distinct keys: each misses locally
    statuses = asyncio.run(get_all(gate, [("/search", token(r)) for r in regions]))
    assert statuses == [200, 200, 200, 200]  # an outage costs speed, never answers
    got = samples(scrape(metrics))
    assert got[("jurisgate_redis_errors_total", ())] >= 2
    assert got[("jurisgate_redis_circuit_state", (("state", "open"),))] == 1
    assert got[("jurisgate_redis_circuit_state", (("state", "closed"),))] == 0
    skipped = (("result", "skipped"), ("tier", "shared"))
    assert got[("jurisgate_cache_lookups_total", skipped)] >= 1


def test_metrics_bind_through_audit_observers_too(config: Path) -> None:
    metrics = GateMetrics()
    gate = gated_app(config, audit=AuditLog(observers=[metrics]))
    asyncio.run(get_all(gate, [("/search", token("US-NY"))]))
    got = samples(scrape(metrics))
    assert got[("jurisgate_cache_lookups_total", (("result", "miss"), ("tier", "local")))] >= 1
    allowed = (("effect", "allow"), ("rule", "us-government-search"), ("status", "200"))
    assert got[("jurisgate_decisions_total", allowed)] == 1


def test_two_gates_do_not_collide() -> None:
    GateMetrics()
    GateMetrics()  # a shared default registry would raise "Duplicated timeseries"


def test_a_failing_observer_never_changes_the_answer(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(fields: object) -> None:
        raise RuntimeError("observer bug")

    gate = gated_app(config, audit=AuditLog(observers=[broken]))
    with caplog.at_level(logging.WARNING, logger="jurisgate"):
        statuses = asyncio.run(
            get_all(gate, [("/search", token("US-NY")), ("/search", token("US-IL"))])
        )
    assert statuses == [200, 451]
    assert "audit observer failed" in caplog.text


def test_audit_and_metrics_together_are_refused(
    config: Path, startup_failure: StartupFailureOf
) -> None:
    gate = gated_app(config, audit=AuditLog(), metrics=GateMetrics())
    assert "observers" in startup_failure(gate, TypeError)


def test_requests_the_gate_could_not_decide_are_not_counted_as_claims_problems(
    config: Path,
) -> None:
    class BrokenClock:
        def now(self) -> float:
            raise OSError("no time source")

    metrics = GateMetrics()
    app = Starlette(routes=[Route("/search", lambda request: JSONResponse({}))])
    gate = JurisdictionMiddleware(app, config=str(config), clock=BrokenClock(), metrics=metrics)
    assert asyncio.run(get_all(gate, [("/search", token("US-NY"))])) == [403]
    got = samples(scrape(metrics))
    assert got[("jurisgate_decisions_total", (("effect", "deny"), ("rule", ""), ("status", "403")))]
    assert not any(name == "jurisgate_claims_rejected_total" for name, _ in got)
