"""Decide a request that the gate's memory could not answer: the whole way, once.

Public-path check, token, claims, the decision tiers, one audit record; an HTTP request with a
verified token then leaves an entry in the memory of whole requests (``cache/warm.py``) for as
long as every input provably holds. ``admit`` turns a decision into the scope the app sees, for
remembered requests and decided ones alike.
"""

from __future__ import annotations

from functools import partial
from typing import Final

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
from .responses import Problem, decision_problem, token_problem

__all__ = ["admit", "full_check"]

_AUTHENTICATED: Final = AuthCredentials(["authenticated"])


async def full_check(
    checker: Checker,
    scope: Scope,
    decision_id: str,
    started: float,
    now: float,
    key: RequestKey | None,
) -> Problem | None:
    """Decide one request; None lets it through (scope filled in), a Problem refuses it."""
    method = canonical_method(scope["method"]) if scope["type"] == "http" else "GET"
    paths = policy_paths(scope["path"])  # the canonical path, and the routed one if it differs
    path = paths[0]
    engine = checker.engine  # one version for the whole request, even if a reload swaps it
    audit = checker.audit
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
        record(status=problem[0], effect="deny", reason=exc.reason)
        return problem
    except ClaimsError as exc:
        denied = refusal(engine.version)
        record(
            status=403, effect="deny", decision=denied, reason=exc.code,
            issuer=exc.issuer, subject=exc.subject,
        )  # fmt: skip
        return decision_problem(denied, decision_id, code=exc.code)
    if principal is None:  # a public path: no token needed
        record(status=200, effect="allow", decision=decision, tier="public")
        scope["user"], scope["auth"] = UnauthenticatedUser(), AuthCredentials()
        return None
    record(
        status=decision.status, effect=decision.effect, principal=principal,
        decision=decision, tier=tier,
    )  # fmt: skip
    if key is not None and public is not None and tier != "error":
        entry = RememberedRequest(
            engine, principal, decision, method, path, now,
            audit.remembered(principal, decision, method, path),
        )  # fmt: skip
        # Served again only while the token, the decision and the path's public answer hold.
        until = min(trusted_until, decision.valid_until, public.valid_until, now + checker.ttl)
        checker.warm.remember(key, entry, until, now)
    return admit(scope, principal, decision, decision_id, checker.blocked_by)


def admit(
    scope: Scope,
    principal: Principal,
    decision: Decision,
    decision_id: str,
    blocked_by: str | None,
) -> Problem | None:
    """Refuse a denied request; fill in the scope of an allowed one (a user object of its
    own: the app may write on it, and that must not reach the next request)."""
    if decision.effect != "allow":
        return decision_problem(decision, decision_id, blocked_by=blocked_by)
    scope["user"] = JurisdictionUser(principal)
    scope["auth"] = _AUTHENTICATED
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state["principal"] = principal
    state["decision"] = decision
    return None
