"""jurisgate: jurisdiction-aware access control for ASGI search APIs.

``from jurisgate.middleware import JurisdictionMiddleware`` is the entry point; the rest is
exported for configuring it in code, testing with it, and extending it.
"""

from .audit.log import AUDIT_LOGGER, AuditLog
from .cache.lru import DecisionCache, DecisionKey, LruTtlCache
from .claims.authority import IssuerAuthority
from .claims.identity import JurisdictionUser
from .claims.mapping import ClaimMapping
from .claims.principal import ENTITY_TYPES, Principal, principal_from_claims
from .clock import Clock, FixedClock, SystemClock
from .config.cache_config import CacheSettings
from .config.gate_config import GateConfig, PolicySettings, load_config
from .config.request_limits import RequestLimits
from .decision.engine import PolicyEngine
from .decision.values import Citation, Decision, Rule
from .errors import CacheError, ClaimsError, ConfigError, JurisgateError, PolicyError, TokenError
from .gate import JurisdictionMiddleware, load_engine
from .ingest import Admissibility, ImageLocation, IngestRule, ProvenanceFacts, admissible
from .results import (
    FilterOutcome,
    ItemFields,
    ItemPolicy,
    ItemSettings,
    ResultFilterMiddleware,
    ResultRoute,
    filter_items,
    items_in_force,
)
from .token.keys import JwksKeys
from .token.verifier import TokenPolicy, TokenVerifier, TrustedIssuer, VerifiedToken

__all__ = [
    "AUDIT_LOGGER",
    "ENTITY_TYPES",
    "Admissibility",
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
    "FilterOutcome",
    "FixedClock",
    "GateConfig",
    "ImageLocation",
    "IngestRule",
    "IssuerAuthority",
    "ItemFields",
    "ItemPolicy",
    "ItemSettings",
    "JurisdictionMiddleware",
    "JurisdictionUser",
    "JurisgateError",
    "JwksKeys",
    "LruTtlCache",
    "PolicyEngine",
    "PolicyError",
    "PolicySettings",
    "Principal",
    "ProvenanceFacts",
    "RequestLimits",
    "ResultFilterMiddleware",
    "ResultRoute",
    "Rule",
    "SystemClock",
    "TokenError",
    "TokenPolicy",
    "TokenVerifier",
    "TrustedIssuer",
    "VerifiedToken",
    "admissible",
    "filter_items",
    "items_in_force",
    "load_config",
    "load_engine",
    "principal_from_claims",
]
