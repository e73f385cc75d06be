"""Who is asking: the bearer token verified, its claims read where its issuer puts them and
normalized to a Principal, and the issuer's authority over those claims checked; verified
tokens remembered for a while.

A token is remembered by the whole token string (never by its signature alone) and never past
its expiry, the decision TTL, or the time its issuer's keys are trusted without a re-fetch; a
clock that reads earlier than the verification verifies it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from starlette.types import Scope

from .cache.lru import DEFAULT_MAX_BYTES, LruTtlCache
from .claims.authority import IssuerAuthority
from .claims.mapping import ClaimMapping, read_principal
from .claims.principal import Principal
from .errors import ClaimsError
from .token.bearer import bearer_token
from .token.verifier import TokenPolicy, TokenVerifier, TrustedIssuer

__all__ = ["Authenticator", "Client", "issuer_tables"]

_TOKEN_CACHE_TTL: Final = 300.0

# The client, its token's expiry, and the instant until which the verification may be reused.
Client = tuple[Principal, float, float]


def issuer_tables(
    issuers: Iterable[TrustedIssuer],
) -> tuple[dict[str, IssuerAuthority], dict[str, ClaimMapping]]:
    """What each issuer may assert and where it puts the claims, the tables ``read_principal``
    reads with (issuers without limits or a mapping left out): the gate builds them here, and
    so do the admin tools (``explain``, ``test``, ``token mint``), so they read claims alike."""
    issuers = tuple(issuers)
    authorities = {i.issuer: i.authority for i in issuers if not i.authority.unlimited}
    mappings = {i.issuer: i.claims for i in issuers if not i.claims.identity}
    return authorities, mappings


class Authenticator:
    """``max_entries`` verified tokens (and ``max_bytes`` of them, see cache/lru.py) are
    remembered for at most ``ttl`` seconds (and 300)."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        policy: TokenPolicy,
        *,
        max_entries: int,
        ttl: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.verifier = TokenVerifier(issuers, policy)
        # token -> (client, exp, reusable until, verified at)
        self.tokens: LruTtlCache[str, tuple[Principal, float, float, float]] = LruTtlCache(
            max_entries, max_bytes
        )
        self._authorities, self._mappings = issuer_tables(issuers)
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
            principal = read_principal(
                verified.issuer,
                verified.subject,
                verified.claims,
                mappings=self._mappings,
                authorities=self._authorities,
            )
        except ClaimsError as exc:
            # As the audit record will name them: a lone surrogate as its \ud800 escape.
            exc.issuer = verified.issuer.encode("utf-8", "backslashreplace").decode()
            exc.subject = verified.subject.encode("utf-8", "backslashreplace").decode()
            raise
        lifetime = min(self._ttl, self.verifier.trust_lifetime(verified.issuer))
        trusted_until = min(verified.expires_at, now + lifetime)
        self.tokens.put(
            token, (principal, verified.expires_at, trusted_until, now), trusted_until, now
        )
        return principal, verified.expires_at, trusted_until
