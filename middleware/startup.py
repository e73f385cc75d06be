"""Start-up: what a gate checks before it answers, and how a gate that failed answers.

``startup_problems`` is the one loader that both the gate and ``jurisgate lint --config`` run
after the config file itself: the policy, each issuer's key against its pinned algorithms, the
shared tier's secret and the audit file's directory. Every problem names the file and key.

Why a gate does not raise from ``__init__``: Starlette builds its middleware stack lazily,
inside its first ASGI call, which is the lifespan ``startup``. An exception there makes uvicorn
(``--lifespan auto``), hypercorn and granian conclude that the app does not speak lifespan;
they start anyway and answer every request with a bare 500. So a gate that cannot be
configured keeps a StartupFailure instead: it fails the lifespan startup with the message (the
server exits non-zero), and answers any request that still reaches it (``--lifespan off``, a
mounted sub-app) with a 503 problem+json.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Concatenate, Final, ParamSpec, Protocol, TypeVar

from starlette.types import Receive, Scope, Send

from .config.cache_config import CacheSettings
from .config.gate_config import CONFIG_ENV, GateConfig
from .config.policy_in_force import PolicyInForce, policy_in_force
from .decision.engine import PolicyEngine
from .errors import JurisgateError
from .responses import Problem, as_websocket_response, send_problem
from .token.verifier import TrustedIssuer, prepared_keys

__all__ = [
    "StartupFailure",
    "audit_file_problem",
    "fails_at_startup",
    "origin_of",
    "startup_problems",
]


class _Gate(Protocol):
    startup_failure: StartupFailure | None


P = ParamSpec("P")
G = TypeVar("G", bound=_Gate)
logger = logging.getLogger("jurisgate")
_DETAIL: Final = "The access gate could not be configured, so no request is served."


def startup_problems(
    config: GateConfig,
    *,
    engine: PolicyEngine | None,
    load_policy: Callable[[GateConfig], PolicyInForce],
    check_shared_tier: Callable[[CacheSettings], object] | None,
    audit_file: bool,
) -> tuple[PolicyInForce | None, list[str]]:
    """Check what the gate needs beyond its config file; return the policy in force (``engine``
    when given, with its item rules, else ``load_policy``'s) and every problem found, each
    naming its key. The
    adapters' parts come in as functions (``jurisgate.adapters.factory.check_startup`` passes
    the gate's own); ``check_shared_tier`` None / ``audit_file`` False: the gate will not build
    those from the config (a cache or an audit sink was passed in)."""
    problems: list[str] = []
    loaded: PolicyInForce | None = None
    try:
        loaded = load_policy(config) if engine is None else policy_in_force(engine, config.items)
    except JurisgateError as exc:
        message = str(exc)  # an item rule's problem names [items] already
        problems.append(message if message.startswith("[items]") else f"[policy] {message}")
    for index, trusted in enumerate(config.issuers):
        try:
            prepared_keys(trusted)
        except ValueError as exc:
            problems.append(f"issuers[{index}].algorithms: {exc} (issuer {trusted.issuer!r})")
    if check_shared_tier is not None:
        try:
            check_shared_tier(config.cache)
        except JurisgateError as exc:
            problems.append(str(exc))  # names [cache] redis_url, secret and secret_env
    if audit_file and config.audit.file is not None:
        problem = audit_file_problem(config.audit.file)
        if problem is not None:
            problems.append(f"audit.file: {problem}")
    return loaded, problems


def audit_file_problem(path: Path) -> str | None:
    """Why the audit file could not be opened for appending, or None. Checked without
    creating it, so that lint has no side effect."""
    directory = path.parent
    if not directory.is_dir():
        return f"{path}: directory {directory} does not exist"
    if path.is_dir():
        return f"{path} is a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    if not path.exists() and not os.access(directory, os.W_OK | os.X_OK):
        return f"{path}: directory {directory} is not writable"
    return None


def fails_at_startup(
    init: Callable[Concatenate[G, P], None],
) -> Callable[Concatenate[G, P], None]:
    """Wrap the gate's ``__init__``: whatever it raises becomes the gate's ``startup_failure``
    (logged now, and the lifespan startup's failure later) instead of an exception that the
    server would take for "no lifespan support"."""

    @functools.wraps(init)
    def configure(gate: G, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            init(gate, *args, **kwargs)
        except Exception as exc:
            options: dict[str, Any] = kwargs
            origin = origin_of(options.get("config"), options.get("issuers"))
            gate.startup_failure = StartupFailure(exc, origin)
            logger.error("%s", gate.startup_failure.message)

    return configure


def origin_of(
    config: str | os.PathLike[str] | GateConfig | None, issuers: Sequence[TrustedIssuer] | None
) -> str:
    """Where a gate's configuration came from (its ``config=`` and ``issuers=``), for
    messages."""
    if isinstance(config, GateConfig):
        return config.origin
    if issuers is not None:
        return "<keyword options>"
    if config is not None:
        return os.fspath(config)
    return os.environ.get(CONFIG_ENV) or f"${CONFIG_ENV}"


class StartupFailure:
    """Why a gate could not be configured, and what it does instead of deciding."""

    __slots__ = ("error", "message")

    def __init__(self, error: BaseException, origin: str) -> None:
        self.error = error
        if isinstance(error, JurisgateError):
            text = str(error)
        else:
            text = f"{type(error).__name__}: {error}"
        if not text.startswith(origin):
            text = f"{origin}: {text}"
        self.message = f"jurisgate cannot start: {text}"

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Fail the lifespan startup; answer HTTP with a 503 problem+json; refuse WebSocket."""
        kind = scope["type"]
        if kind == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.failed", "message": self.message})
                    return
                if event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        decision_id = secrets.token_hex(10)
        body = {
            "type": "urn:jurisgate:problem:gate_unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": _DETAIL,
            "decision_id": decision_id,
        }
        problem: Problem = (503, [], json.dumps(body, separators=(",", ":")).encode())
        if kind == "http":
            await send_problem(send, problem, decision_id)
        elif kind == "websocket":
            if "websocket.http.response" in scope.get("extensions", {}):
                await send_problem(as_websocket_response(send), problem, decision_id)
            else:  # 1011: the server met a condition that kept it from serving (RFC 6455)
                await send({"type": "websocket.close", "code": 1011, "reason": "unavailable"})
