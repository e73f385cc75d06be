"""Prometheus metrics for the gate, and a small ASGI app that serves them.

Needs the ``metrics`` extra (prometheus-client). Mount it wherever suits, and keep it off the
public internet::

    from jurisgate.middleware.metrics import GateMetrics, metrics_app

    metrics = GateMetrics()
    app.add_middleware(JurisdictionMiddleware, config="jurisgate.toml", metrics=metrics)
    app.mount("/metrics", metrics_app(metrics))   # a public path in the policy, or another port

The gate reports through its audit records (``GateMetrics`` is an audit observer), so every
decision counted is a decision logged. Policy reloads, Redis errors and the circuit state are
reported by the components that own them through the methods below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from starlette.types import ASGIApp

__all__ = ["CircuitState", "GateMetrics", "metrics_app"]

CircuitState = Literal["closed", "open", "half_open"]
_CIRCUIT_STATES: Final = ("closed", "open", "half_open")
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
        self.cache = Counter(
            "jurisgate_cache_lookups",
            "Decision cache lookups by tier (local, shared) and result (hit, miss)",
            ["tier", "result"],
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
        self.reloads = Counter(
            "jurisgate_policy_reloads", "Policy reloads by result", ["result"], registry=r
        )
        self.redis_errors = Counter(
            "jurisgate_redis_errors",
            "Errors talking to Redis, by operation",
            ["operation"],
            registry=r,
        )
        self.sink_failures = Counter(
            "jurisgate_audit_sink_failures",
            "Audit records the durable sink could not store (written to the fallback log)",
            registry=r,
        )
        self.circuit = Gauge(
            "jurisgate_redis_circuit_state",
            "1 for the Redis circuit breaker's current state, 0 for the others",
            ["state"],
            registry=r,
        )
        self.set_circuit("closed")

    def __call__(self, fields: Mapping[str, Any]) -> None:
        """Count one audit record (the gate calls this for every decision)."""
        status = int(fields["status"])
        reason = str(fields.get("reason") or "unknown")
        tier = fields.get("tier")
        if status in (400, 401):
            self.tokens_rejected.labels(reason).inc()
        elif status == 403 and fields.get("principal") is None and tier is None:
            self.claims_rejected.labels(reason).inc()
        self.decisions.labels(fields["effect"], str(status), fields.get("rule") or "").inc()
        if tier == "local":
            self.cache.labels("local", "hit").inc()
        elif tier in ("shared", "engine"):
            self.cache.labels("local", "miss").inc()
            if tier == "shared":
                self.cache.labels("shared", "hit").inc()
        latency = fields.get("latency_us")
        if isinstance(latency, int | float):
            self.latency.observe(latency / 1e6)

    def shared_miss(self) -> None:
        """A shared-tier lookup found nothing (reported by the shared cache, see issue 3)."""
        self.cache.labels("shared", "miss").inc()

    def policy_reloaded(self, result: Literal["ok", "error"]) -> None:
        self.reloads.labels(result).inc()

    def redis_error(self, operation: str) -> None:
        self.redis_errors.labels(operation).inc()

    def sink_failed(self) -> None:
        """One audit record went to the fallback log (``RedisStreamSink(on_failure=...)``)."""
        self.sink_failures.inc()

    def set_circuit(self, state: CircuitState) -> None:
        if state not in _CIRCUIT_STATES:
            raise ValueError(f"state must be one of {', '.join(_CIRCUIT_STATES)}, not {state!r}")
        for name in _CIRCUIT_STATES:
            self.circuit.labels(name).set(1 if name == state else 0)


def metrics_app(metrics: GateMetrics) -> ASGIApp:
    """An ASGI app answering GET with the Prometheus text format of ``metrics``."""
    app: ASGIApp = make_asgi_app(registry=metrics.registry)
    return app
