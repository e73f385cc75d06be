"""The one decision sequence, for the gate and the admin tools alike.

Public paths first (asked as ``anonymous``, every path spelling), then the client, then the
client's decision over every spelling (the first denial wins), each spelling asked through
the decision tiers. The gate's full check hands in its authenticator and its tiers;
``offline.decide_claims`` (``explain``, ``jurisgate test``) hands in the claims and tiers that
remember nothing, so the admin tools cannot drift from the gate
(tests/gate/test_one_decision.py compares them).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple, TypeVar

from .authenticate import Client
from .cache.tiers import DecisionTiers
from .claims.principal import ANONYMOUS_VIEW, Principal
from .decision.engine import PolicyEngine
from .decision.values import Decision, refusal
from .errors import PolicyError

__all__ = ["Outcome", "decide_request", "run_unsuspended"]

logger = logging.getLogger("jurisgate")
_T = TypeVar("_T")


class Outcome(NamedTuple):
    """How a request was decided: ``principal`` is None for a public path (``decision`` is
    its public answer, ``tier`` ``"public"``); else ``tier`` is the tier that answered (local,
    shared, engine) or ``"error"`` (the policy failed to evaluate: a refusal). ``public`` is
    the path's public answer (None when that failed); ``trusted_until`` bounds how long the
    client's verification may be reused."""

    decision: Decision
    tier: str
    principal: Principal | None
    public: Decision | None
    trusted_until: float


async def decide_request(
    tiers: DecisionTiers,
    engine: PolicyEngine,
    method: str,
    paths: tuple[str, ...],
    now: float,
    client: Callable[[], Awaitable[Client]],
) -> Outcome:
    """Decide canonical ``method`` on ``paths`` (``policy_paths``) at ``now``. ``client``
    returns the verified client; its TokenError or ClaimsError (no usable client on a path
    that is not public) propagates."""
    try:
        public, _ = await tiers.decide(engine, ANONYMOUS_VIEW, method, paths, now, math.inf)
    except PolicyError:
        logger.exception("policy evaluation failed; denying")
        public = None
    if public is not None and public.allowed:
        return Outcome(public, "public", None, public, math.inf)
    principal, expires_at, trusted_until = await client()
    try:  # the whole policy view (agency, capacity too): the tiers' key and the engine's input
        decision, tier = await tiers.decide(
            engine, principal.policy_view(), method, paths, now, expires_at
        )
    except PolicyError:
        logger.exception("policy evaluation failed; denying")
        decision, tier = refusal(engine.version), "error"
    return Outcome(decision, tier, principal, public, trusted_until)


def run_unsuspended(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """The result of a coroutine that never waits (tiers without a shared tier, a client that
    is at hand), without an event loop: the admin tools run inside and outside one."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the decision waited for I/O; offline decisions must not")
