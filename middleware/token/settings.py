"""What a TokenVerifier is built from: the issuers it trusts (each with its only keys, pinned
algorithms, optional ``typ`` and authority) and the limits on what it parses and believes.

Plain frozen values, validated when made, so that a configuration mistake fails at startup
rather than on the first request. ``verifier.py`` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..claims.authority import IssuerAuthority
from ..claims.mapping import ClaimMapping
from .algorithms import ALGORITHM_FAMILIES
from .jws_parts import MEDIA_TYPE_NAME
from .keys import JwksKeys

__all__ = ["ALGORITHM_FAMILIES", "TokenPolicy", "TrustedIssuer"]


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An identity provider we accept tokens from, with the only keys and algorithms it may use.

    Give either ``key`` (one PEM public key or HMAC secret) or ``jwks`` (keys by ``kid``).
    ``required_typ`` (e.g. ``at+jwt``, RFC 9068) makes the ``typ`` header mandatory and exact;
    ``authority`` limits what the issuer may assert (defaults to unlimited); ``claims`` says
    where its tokens carry the jurisdiction claims (defaults to their own names).
    """

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    key: str | bytes | None = None
    required_typ: str | None = None
    authority: IssuerAuthority = field(default_factory=IssuerAuthority)
    jwks: JwksKeys | None = None
    claims: ClaimMapping = field(default_factory=ClaimMapping)

    def __post_init__(self) -> None:
        if (self.key is None) == (self.jwks is None):
            raise ValueError(f"issuer {self.issuer!r}: give exactly one of a key and a JWKS")
        if self.required_typ is not None and not MEDIA_TYPE_NAME.fullmatch(self.required_typ):
            raise ValueError(f"issuer {self.issuer!r}: required_typ is not a media type name")
        if not self.algorithms:
            raise ValueError(f"issuer {self.issuer!r}: algorithms must not be empty")
        unknown = [alg for alg in self.algorithms if alg not in ALGORITHM_FAMILIES]
        if unknown:
            raise ValueError(f"issuer {self.issuer!r}: unsupported algorithms {unknown}")
        if len({ALGORITHM_FAMILIES[alg] for alg in self.algorithms}) != 1:
            raise ValueError(f"issuer {self.issuer!r}: a key serves one algorithm family only")


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """Limits on what we parse and believe. Defaults are strict; loosen them explicitly."""

    leeway: float = 30.0
    max_bytes: int = 8192
    max_lifetime: float = 24 * 3600.0

    def __post_init__(self) -> None:
        if not 0 <= self.leeway <= 300:
            raise ValueError("leeway must be between 0 and 300 seconds")
        if not 256 <= self.max_bytes <= 65536:
            raise ValueError("max_bytes must be between 256 and 65536")
        if self.max_lifetime <= 0:
            raise ValueError("max_lifetime must be positive")
