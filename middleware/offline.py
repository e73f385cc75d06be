"""Decide a claims set as the gate would, without a token: for ``explain`` and ``jurisgate test``.

One function, so the admin's tools cannot drift from the gate: the same canonical method, every
path spelling the gate checks (``policy_paths``), public paths first, then the claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .authority import IssuerAuthority
from .claim_mapping import ClaimMapping, read_principal
from .decision import Decision
from .engine import PolicyEngine
from .errors import ClaimsError
from .paths import canonical_method, policy_paths
from .principal import ANONYMOUS, Principal

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
    public = _first_denial(engine, ANONYMOUS, "", "", method, paths, at)
    if public.allowed:
        return OfflineAnswer(200, public, None, "public path: no token needed")
    if claims is None:
        return OfflineAnswer(401, None, None, "no token")
    try:
        principal = read_principal(
            issuer, subject, claims, mappings=mappings, authorities=authorities
        )
    except ClaimsError as exc:
        denied = Decision("deny", 403, None, None, engine.version)
        return OfflineAnswer(403, denied, None, f"claims unusable: {exc.code} ({exc})")
    decision = _first_denial(engine, *principal.policy_view(), method, paths, at)
    if decision.allowed:
        reason = f"allowed by rule {decision.rule}"
    elif decision.rule:
        reason = f"denied by rule {decision.rule} (deny overrides allow)"
    else:
        reason = "no rule allows this request (default deny)"
    return OfflineAnswer(decision.status, decision, principal, reason)


def _first_denial(
    engine: PolicyEngine,
    entity: str,
    country: str,
    region: str,
    method: str,
    paths: tuple[str, ...],
    at: float,
) -> Decision:
    decision = engine.decide(entity, country, region, method, paths[0], at)
    for path in paths[1:]:
        if not decision.allowed:
            break
        decision = engine.decide(entity, country, region, method, path, at)
    return decision
