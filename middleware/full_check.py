"""Decide a request that the gate's memory could not answer: the whole way, once.

Public-path check, token, claims, the decision tiers (``decide.decide_request``), and the
request's one audit record, handed back unwritten (the gate writes it once the answer has
started); an HTTP request with a verified token then leaves an entry in the memory of whole
requests (``cache/warm.py``) for as long as every input provably holds. ``admit`` turns a
decision into the scope the app sees, for remembered requests and decided ones alike.
``too_long`` and ``gate_refusal`` are the answers given without deciding: a path over the
limit, a request the gate could not decide or record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from starlette.authentication import AuthCredentials, UnauthenticatedUser
from starlette.types import Scope

from .cache.warm import RememberedRequest, RequestKey
from .checker import Checker
from .claims.identity import JurisdictionUser
from .claims.paths import canonical_method, policy_paths
from .claims.principal import Principal
from .decide import decide_request
from .decision.values import Decision, refusal
from .errors import ClaimsError, TokenError
from .responses import Problem, decision_problem, path_problem, token_problem
from .results.in_force import ITEMS_STATE_KEY
from .results.item_policy import ItemPolicy

if TYPE_CHECKING:
    from .audit.answer import RecordWriter

__all__ = ["REWRITTEN_PATH", "admit", "full_check", "gate_refusal", "safe_record", "too_long"]

logger = logging.getLogger("jurisgate")
_AUTHENTICATED: Final = AuthCredentials(["authenticated"])
REWRITTEN_PATH: Final = "rewritten_path"


async def full_check(
    checker: Checker,
    scope: Scope,
    routed: str | None,
    decision_id: str,
    started: float,
    now: float,
    key: RequestKey | None,
) -> tuple[Problem | None, RecordWriter]:
    """Decide one request: None lets it through (scope filled in), a Problem refuses it; and
    the writer of its audit record. ``routed`` is the path the app routes (``routed_path``),
    None when it was rewritten."""
    method = canonical_method(scope["method"]) if scope["type"] == "http" else "GET"
    engine = checker.engine  # one version for the whole request, even if a reload swaps it
    audit = checker.audit
    if routed is None:
        return _rewritten(checker, scope, method, decision_id, started)
    paths = policy_paths(routed)  # the canonical path, and the routed one if it differs
    path = paths[0]
    tiers = checker.tiers
    record = partial(
        audit.record, decision_id=decision_id, method=method, path=path, started=started
    )

    try:
        decision, tier, principal, public, trusted_until = await decide_request(
            tiers, engine, method, paths, now, partial(checker.authenticator.client, scope, now)
        )
    except TokenError as exc:
        error = None if exc.reason == "missing" else exc.code
        problem = token_problem(error, decision_id)
        return problem, later(record, status=problem[0], effect="deny", reason=exc.reason)
    except ClaimsError as exc:
        denied = refusal(engine.version)
        write = later(
            record, status=403, effect="deny", decision=denied, reason=exc.code,
            issuer=exc.issuer, subject=exc.subject,
        )  # fmt: skip
        return decision_problem(denied, decision_id, code=exc.code), write
    if principal is None:  # a public path: no token needed
        scope["user"], scope["auth"] = UnauthenticatedUser(), AuthCredentials()
        scope.setdefault("state", {})[ITEMS_STATE_KEY] = checker.items
        return None, later(record, status=200, effect="allow", decision=decision, tier="public")
    write = later(
        record, status=decision.status, effect=decision.effect, principal=principal,
        decision=decision, tier=tier,
    )  # fmt: skip
    if key is not None and public is not None and tier != "error":
        results = checker.results
        entry = RememberedRequest(
            engine, principal, decision, method, path, now,
            audit.remembered(principal, decision, method, path), routed,
            None if results is None else results.find(routed),
        )  # fmt: skip
        # Served again only while the token, the decision and the path's public answer hold.
        until = min(trusted_until, decision.valid_until, public.valid_until, now + checker.ttl)
        checker.warm.remember(key, entry, until, now)
    return admit(scope, principal, decision, decision_id, checker.blocked_by, checker.items), write


def later(record: Callable[..., None], **fields: Any) -> RecordWriter:
    """The writer of a record whose fields are known now and whose answer is not: the
    latency ends here, at the decision."""
    fields["decided"] = time.perf_counter()

    def write(
        sent_status: int | None,
        outcome: str,
        removed: Any = None,
        leaked: Any = None,
        item_policy_version: str | None = None,
    ) -> None:
        record(
            **fields, sent_status=sent_status, outcome=outcome, removed=removed, leaked=leaked,
            item_policy_version=item_policy_version,
        )  # fmt: skip

    return write


def too_long(
    checker: Checker, scope: Scope, decision_id: str, started: float
) -> tuple[Problem, RecordWriter]:
    """414 for a path over ``[requests] max_path_bytes``: nothing about the path is looked at
    (its record keeps a bounded prefix of it, see ``audit/limits.py``)."""
    method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
    record = partial(
        checker.audit.record, decision_id=decision_id, method=method, path=scope["path"],
        started=started,
    )  # fmt: skip
    return path_problem(decision_id), later(
        record, status=414, effect="deny", reason="path_too_long"
    )


def gate_refusal(
    checker: Checker, scope: Scope, decision_id: str, started: float, code: str
) -> tuple[Problem, RecordWriter]:
    """403 for a request the gate could not decide (``gate_error``) or could not record
    (``audit_unavailable``), with its record. Reads only what cannot fail."""
    denied = refusal(checker.engine.version)
    record = safe_record(checker, scope, decision_id, started)
    write = later(record, status=403, effect="deny", decision=denied, reason=code)
    return decision_problem(denied, decision_id, code=code), write


def safe_record(
    checker: Checker, scope: Scope, decision_id: str, started: float
) -> Callable[..., None]:
    """The audit record of a request the gate refuses before (or instead of) deciding it,
    from what cannot fail: the scope's method and path, when they are strings."""
    method = scope.get("method", "GET") if scope.get("type") == "http" else "GET"
    path = scope.get("path", "")
    return partial(
        checker.audit.record,
        decision_id=decision_id,
        method=method if isinstance(method, str) else "",
        path=path if isinstance(path, str) else "",
        started=started,
    )


def _rewritten(
    checker: Checker, scope: Scope, method: str, decision_id: str, started: float
) -> tuple[Problem, RecordWriter]:
    """Refuse a request whose path a framework rewrote before the gate saw it (a middleware
    inside a mounted app): the policy cannot know which resource it names."""
    checker.rewritten_paths += 1
    if checker.rewritten_paths == 1:  # a deployment mistake: every such request is refused
        logger.error(
            "refusing requests: the gate is given a rewritten path (%r for raw path %r); wrap "
            "the whole ASGI application instead (app = JurisdictionMiddleware(app, ...))",
            scope["path"][:200],  # a log line, not a copy of whatever the client sent
            (scope.get("raw_path") or b"")[:200],
        )
    denied = refusal(checker.engine.version)
    record = partial(
        checker.audit.record, decision_id=decision_id, method=method, path=scope["path"],
        started=started,
    )  # fmt: skip
    write = later(record, status=403, effect="deny", decision=denied, reason=REWRITTEN_PATH)
    return decision_problem(denied, decision_id, code=REWRITTEN_PATH), write


def admit(
    scope: Scope,
    principal: Principal,
    decision: Decision,
    decision_id: str,
    blocked_by: str | None,
    items: ItemPolicy,
) -> Problem | None:
    """Refuse a denied request; fill in the scope of an allowed one (a user object of its
    own: the app may write on it, and that must not reach the next request), with the item
    rules in force for the result filter and the app (``results/in_force.py``)."""
    if decision.effect != "allow":
        return decision_problem(decision, decision_id, blocked_by=blocked_by)
    scope["user"] = JurisdictionUser(principal)
    scope["auth"] = _AUTHENTICATED
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state["principal"] = principal
    state["decision"] = decision
    state[ITEMS_STATE_KEY] = items
    return None
