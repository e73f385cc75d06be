"""Decide a claims set as the gate would, without a token: for ``explain`` and ``jurisgate test``.

The gate's own decision sequence (``decide.decide_request``) with the claims in place of a
verified token and decision tiers that remember nothing, so the admin's tools cannot drift
from the gate: the same canonical method, every path spelling the gate checks
(``policy_paths``), public paths first, then the claims read through the issuer's claim mapping
(``claims.mapping.read_principal``, as the gate reads them) and limited by its authority.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .authenticate import Client
from .cache.tiers import DecisionTiers
from .claims.authority import IssuerAuthority
from .claims.mapping import ClaimMapping, read_principal
from .claims.paths import canonical_method, policy_paths
from .claims.principal import Principal
from .decide import decide_request, run_unsuspended
from .decision.engine import PolicyEngine
from .decision.values import Decision, refusal
from .errors import ClaimsError, TokenError

__all__ = ["OfflineAnswer", "decide_claims"]


@dataclass(frozen=True, slots=True)
class OfflineAnswer:
    status: int
    decision: Decision | None  # None when there is no token to decide for (401)
    principal: Principal | None
    reason: str

    @property
    def rule(self) -> str | None:
        return self.decision.rule if self.decision is not None else None


def decide_claims(
    engine: PolicyEngine,
    claims: Mapping[str, object] | None,
    method: str,
    path: str,
    at: float,
    *,
    issuer: str = "(claims)",
    subject: str = "(claims)",
    authorities: Mapping[str, IssuerAuthority] | None = None,
    mappings: Mapping[str, ClaimMapping] | None = None,
) -> OfflineAnswer:
    """``claims`` None means a request without a token; ``authorities`` limit what each
    configured issuer may assert and ``mappings`` say where it puts the claims, as in the gate
    (an issuer named in neither is unlimited and uses the default claim names)."""
    method = canonical_method(method)
    paths = policy_paths(path)

    async def client() -> Client:
        if claims is None:
            raise TokenError("missing", code="invalid_request")
        principal = read_principal(
            issuer, subject, claims, mappings=mappings, authorities=authorities
        )
        return principal, math.inf, math.inf

    no_memory = DecisionTiers(local_max_entries=0, ttl=0.0)
    try:
        decision, _, principal, _, _ = run_unsuspended(
            decide_request(no_memory, engine, method, paths, at, client)
        )
    except TokenError:
        return OfflineAnswer(401, None, None, "no token")
    except ClaimsError as exc:
        denied = refusal(engine.version)
        return OfflineAnswer(403, denied, None, f"claims unusable: {exc.code} ({exc})")
    if principal is None:
        return OfflineAnswer(200, decision, None, "public path: no token needed")
    if decision.allowed:
        reason = f"allowed by rule {decision.rule}"
    elif decision.rule:
        reason = f"denied by rule {decision.rule} (deny overrides allow)"
    else:
        reason = "no rule allows this request (default deny)"
    return OfflineAnswer(decision.status, decision, principal, reason)
