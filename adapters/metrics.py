"""Prometheus metrics for the gate, and a small ASGI app that serves them.

Needs the ``metrics`` extra (prometheus-client). Prometheus sends no token, so serve the
metrics beside the gate, never behind it, on an internal address (README, "Admin toolkit")::

    metrics = GateMetrics()
    app.add_middleware(JurisdictionMiddleware, config="jurisgate.toml", metrics=metrics)
    prometheus_client.start_http_server(9464, addr="10.0.0.5", registry=metrics.registry)

Two sources, so nothing is counted twice and the request path does no extra work:
- every audit record (``GateMetrics`` is an audit observer): decisions, latency, rejected
  tokens and claims, entries a verifying result filter caught (``leaked``) and answers the
  gate refused because no result filter ran on them; every decision counted is a decision
  logged;
- at each scrape, the state the gate already keeps (``gate.health()``): cache hits and misses
  per tier, policy reloads, failed policy checks (and whether they fail now), whether a stored
  policy is stale and the requests refused for it, Redis errors and the circuit breaker's state.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.types import ASGIApp

__all__ = ["GateMetrics", "metrics_app"]

# Deciding takes microseconds from a cache and a fraction of a millisecond from the engine.
_LATENCY_BUCKETS: Final = (
    0.00002,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.1,
)
_SHARED_RESULTS: Final = {
    "hits": "hit",
    "misses": "miss",
    "rejected": "rejected",
    "skipped": "skipped",
}
_CIRCUIT_STATES: Final = ("closed", "open")
# 403 records whose reason is the gate's, not the claims': it could not decide or record.
_NOT_CLAIMS: Final = frozenset({"gate_error", "audit_unavailable"})


class _Gate(Protocol):
    def health(self) -> dict[str, object]: ...


class GateMetrics:
    """The gate's metrics, in ``registry`` (defaults to a registry of its own, so two gates or
    two test runs never collide in the process-wide default one)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.decisions = Counter(
            "jurisgate_decisions",
            "Requests decided, by effect, HTTP status and deciding rule ('' for none)",
            ["effect", "status", "rule"],
            registry=r,
        )
        self.latency = Histogram(
            "jurisgate_decision_seconds",
            "Time from request to decision, in seconds",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens_rejected = Counter(
            "jurisgate_tokens_rejected",
            "Requests refused before any policy decision (401/400), by reason",
            ["reason"],
            registry=r,
        )
        self.claims_rejected = Counter(
            "jurisgate_claims_rejected",
            "Verified tokens whose jurisdiction claims were unusable (403), by reason",
            ["reason"],
            registry=r,
        )
        self.results_leaked = Counter(
            "jurisgate_results_leaked",
            "Entries a verifying result filter found the app had not filtered out (the answer "
            "was refused with 503), by item rule",
            ["rule"],
            registry=r,
        )
        self.results_unfiltered = Counter(
            "jurisgate_results_unfiltered",
            "Answers on a [[results]] route the gate refused (503) because no result filter "
            "ran on them (ResultFilterMiddleware not mounted inside the gate)",
            registry=r,
        )
        self.sink_failures = Counter(
            "jurisgate_audit_sink_failures",
            "Audit records the durable sink could not store (written to the fallback log)",
            registry=r,
        )
        self._gates: weakref.WeakSet[Any] = weakref.WeakSet()
        r.register(_GateStateCollector(self._gates))

    def bind(self, gate: _Gate) -> None:
        """Report ``gate``'s cache, reload and Redis state (the gate calls this itself)."""
        self._gates.add(gate)

    def __call__(self, fields: Mapping[str, Any]) -> None:
        """Count one audit record (the gate calls this for every decision)."""
        status = int(fields["status"])
        reason = str(fields.get("reason") or "unknown")
        if status in (400, 401):
            self.tokens_rejected.labels(reason).inc()
        elif (
            status == 403
            and fields.get("principal") is None
            and fields.get("tier") is None
            and reason not in _NOT_CLAIMS  # refused without looking at claims
        ):
            self.claims_rejected.labels(reason).inc()
        self.decisions.labels(fields["effect"], str(status), fields.get("rule") or "").inc()
        latency = fields.get("latency_us")
        if isinstance(latency, int | float):
            self.latency.observe(latency / 1e6)
        leaked = fields.get("leaked")
        if isinstance(leaked, Mapping):
            for rule, count in leaked.items():
                self.results_leaked.labels(str(rule)).inc(count)
        if fields.get("outcome") == "results_unfiltered":
            self.results_unfiltered.inc()

    def sink_failed(self) -> None:
        """One audit record went to the fallback log (``RedisStreamSink(on_failure=...)``)."""
        self.sink_failures.inc()


class _GateStateCollector:
    """Reads ``gate.health()`` of every bound gate at scrape time; sums counters across them."""

    def __init__(self, gates: weakref.WeakSet[Any]) -> None:
        self._gates = gates

    def describe(self) -> list[Metric]:
        return []  # the families depend on what is bound; nothing to reserve up front

    def collect(self) -> Iterator[Metric]:
        cache = CounterMetricFamily(
            "jurisgate_cache_lookups",
            "Decision cache lookups by tier (local, shared) and result",
            labels=["tier", "result"],
        )
        reloads = CounterMetricFamily(
            "jurisgate_policy_reloads", "Policy reloads by result (ok, rejected)", labels=["result"]
        )
        check_failures = CounterMetricFamily(
            "jurisgate_policy_check_failures",
            "Polls of the policy files or store that failed (unreachable, or past their deadline)",
        )
        failing = GaugeMetricFamily(
            "jurisgate_policy_checks_failing",
            "1 while a replica cannot check its policy for changes (health 'degraded'), else 0",
        )
        waiting = GaugeMetricFamily(
            "jurisgate_policy_reload_waiting",
            "Gates keeping their policy because the files are not the published set (yet)",
        )
        stale = GaugeMetricFamily(
            "jurisgate_policy_stale",
            "1 while a stored policy is unconfirmed past [policy] max_staleness (every request "
            "is answered 503), else 0",
        )
        stale_refusals = CounterMetricFamily(
            "jurisgate_policy_stale_refusals",
            "Requests answered 503 policy_stale: the store had not confirmed the policy lately",
        )
        errors = CounterMetricFamily("jurisgate_redis_errors", "Errors talking to the Redis tier")
        circuit = GaugeMetricFamily(
            "jurisgate_redis_circuit_state",
            "1 for the Redis circuit breaker's current state, 0 for the other",
            labels=["state"],
        )
        totals: dict[tuple[str, str], float] = {}
        reload_totals = {"ok": 0.0, "rejected": 0.0}
        reload_seen, checks_failed, unreachable = False, 0.0, False
        bounded, any_stale, refused_stale = False, False, 0.0
        gates_waiting = 0.0
        redis_errors = 0.0
        states: set[str] = set()
        shared_seen = False
        for gate in list(self._gates):
            health = gate.health()
            for tier, section in (("request", "remembered_requests"), ("local", "local_cache")):
                state = health.get(section) or {}
                for name, result in (("hits", "hit"), ("misses", "miss")):
                    totals[(tier, result)] = totals.get((tier, result), 0) + _num(state, name)
            shared = health.get("shared_cache")
            if isinstance(shared, dict):
                shared_seen = True
                for name, result in _SHARED_RESULTS.items():
                    key = ("shared", result)
                    totals[key] = totals.get(key, 0) + _num(shared, name)
                redis_errors += _num(shared, "errors")
                states.add(str(shared.get("state", "closed")))
            reload = health.get("reload")
            if isinstance(reload, dict):
                reload_totals["ok"] += _num(reload, "reloads")
                reload_totals["rejected"] += _num(reload, "rejected")
                reload_seen = True
                checks_failed += _num(reload, "check_failures")
                unreachable = unreachable or reload.get("source_reachable") is False
                gates_waiting += reload.get("waiting") is not None
            freshness = health.get("policy_freshness")
            if isinstance(freshness, dict):
                bounded = True
                any_stale = any_stale or freshness.get("stale") is True
                refused_stale += _num(freshness, "refused")
        for (tier, result), value in sorted(totals.items()):
            cache.add_metric([tier, result], value)
        for result, value in reload_totals.items():
            reloads.add_metric([result], value)
        waiting.add_metric([], gates_waiting)
        yield cache
        yield reloads
        yield waiting
        if reload_seen:
            check_failures.add_metric([], checks_failed)
            failing.add_metric([], 1.0 if unreachable else 0.0)
            yield check_failures
            yield failing
        if bounded:
            stale.add_metric([], 1.0 if any_stale else 0.0)
            stale_refusals.add_metric([], refused_stale)
            yield stale
            yield stale_refusals
        if shared_seen:
            errors.add_metric([], redis_errors)
            current = "open" if "open" in states else "closed"
            for state in _CIRCUIT_STATES:
                circuit.add_metric([state], 1.0 if state == current else 0.0)
            yield errors
            yield circuit


def _num(data: object, name: str) -> float:
    value = data.get(name, 0) if isinstance(data, dict) else 0
    return float(value) if isinstance(value, int | float) else 0.0


def metrics_app(metrics: GateMetrics) -> ASGIApp:
    """An ASGI app answering GET with the Prometheus text format of ``metrics``."""
    app: ASGIApp = make_asgi_app(registry=metrics.registry)
    return app
