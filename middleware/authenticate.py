"""Who is asking: the bearer token verified, its claims normalized to a Principal, and the
issuer's authority over those claims checked; verified tokens remembered for a while.

A token is remembered by the whole token string (never by its signature alone) and never past
its expiry, the decision TTL, or the time its issuer's keys are trusted without a re-fetch; a
clock that reads earlier than the verification verifies it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from starlette.types import Scope

from .cache.lru import LruTtlCache
from .claims.authority import client_from_claims
from .claims.principal import Principal
from .errors import ClaimsError
from .token.bearer import bearer_token
from .token.verifier import TokenPolicy, TokenVerifier, TrustedIssuer

__all__ = ["Authenticator", "Client"]

_TOKEN_CACHE_TTL: Final = 300.0

# The client, its token's expiry, and the instant until which the verification may be reused.
Client = tuple[Principal, float, float]


class Authenticator:
    """``max_entries`` verified tokens are remembered for at most ``ttl`` seconds (and 300)."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        policy: TokenPolicy,
        *,
        max_entries: int,
        ttl: float,
    ) -> None:
        self.verifier = TokenVerifier(issuers, policy)
        # token -> (client, exp, reusable until, verified at)
        self.tokens: LruTtlCache[str, tuple[Principal, float, float, float]] = LruTtlCache(
            max_entries
        )
        self._authorities = {
            trusted.issuer: trusted.authority
            for trusted in issuers
            if not trusted.authority.unlimited
        }
        self._ttl = min(_TOKEN_CACHE_TTL, ttl)

    async def client(self, scope: Scope, now: float) -> Client:
        """Raises TokenError (no usable token) or ClaimsError (claims the policy cannot use;
        it names the token's issuer and subject)."""
        token = bearer_token(scope["headers"])
        cached = self.tokens.get(token, now)
        if cached is not None and cached[3] <= now:
            return cached[:3]
        wanted = self.verifier.key_source(token)
        if wanted is not None:  # a JWKS issuer: make sure this kid's key is loaded, off the loop
            await wanted[0].ensure(wanted[1])
        verified = self.verifier.verify(token, now)
        try:
            principal = client_from_claims(
                verified.issuer, verified.subject, verified.claims, self._authorities
            )
        except ClaimsError as exc:
            exc.issuer, exc.subject = verified.issuer, verified.subject
            raise
        lifetime = min(self._ttl, self.verifier.trust_lifetime(verified.issuer))
        trusted_until = min(verified.expires_at, now + lifetime)
        self.tokens.put(
            token, (principal, verified.expires_at, trusted_until, now), trusted_until, now
        )
        return principal, verified.expires_at, trusted_until
