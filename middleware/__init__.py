"""jurisgate: jurisdiction-aware access control for ASGI search APIs.

``from jurisgate.middleware import JurisdictionMiddleware`` is the entry point; the rest is
exported for configuring it in code, testing with it, and extending it.
"""

from .audit import AUDIT_LOGGER, AuditLog
from .authority import IssuerAuthority
from .cache import DecisionCache, DecisionKey, LruTtlCache
from .claim_mapping import ClaimMapping
from .clock import Clock, FixedClock, SystemClock
from .config import CacheSettings, GateConfig, PolicySettings, load_config
from .decision import Citation, Decision, Rule
from .engine import PolicyEngine
from .errors import CacheError, ClaimsError, ConfigError, JurisgateError, PolicyError, TokenError
from .gate import JurisdictionMiddleware
from .identity import JurisdictionUser
from .keys import JwksKeys
from .loading import load_engine
from .principal import ENTITY_TYPES, Principal, principal_from_claims
from .tokens import TokenPolicy, TokenVerifier, TrustedIssuer, VerifiedToken

__all__ = [
    "AUDIT_LOGGER",
    "ENTITY_TYPES",
    "AuditLog",
    "CacheError",
    "CacheSettings",
    "Citation",
    "ClaimMapping",
    "ClaimsError",
    "Clock",
    "ConfigError",
    "Decision",
    "DecisionCache",
    "DecisionKey",
    "FixedClock",
    "GateConfig",
    "IssuerAuthority",
    "JurisdictionMiddleware",
    "JurisdictionUser",
    "JurisgateError",
    "JwksKeys",
    "LruTtlCache",
    "PolicyEngine",
    "PolicyError",
    "PolicySettings",
    "Principal",
    "Rule",
    "SystemClock",
    "TokenError",
    "TokenPolicy",
    "TokenVerifier",
    "TrustedIssuer",
    "VerifiedToken",
    "load_config",
    "load_engine",
    "principal_from_claims",
]
