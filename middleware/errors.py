"""Every exception jurisgate raises, in one tree.

    JurisgateError
    ├── ConfigError        start-up: a config file, key or value is unusable
    ├── PolicyError        a model or policy cannot be loaded (file and line when known)
    │   ├── PolicyNotPublished  the files are not the set a policy manifest records (yet)
    │   └── PolicyUnavailable   the policy store did not answer (in time): an outage, not a
    │                           policy to refuse; the reloader tries again at its next poll
    ├── PolicyStale        503: the store has not confirmed the policy in force for
    │                      ``[policy] max_staleness`` seconds (policy_freshness.py)
    ├── TokenError         401: the bearer token is missing or unusable      (code: RFC 6750)
    ├── ClaimsError        403: a verified token's jurisdiction claims are unusable
    ├── CacheError         a decision cache failed; callers treat it as a miss
    │   └── EntryRejected  a shared-tier entry failed its seal (jurisgate.adapters.redis_codec)
    ├── AuditUnavailable   a record cannot be kept: the gate refuses the request (403)
    └── ShapeError         an answer is not the shape its [[results]] table says: 503
                           (jurisgate.middleware.results.routes)

Third-party exceptions (PyJWT, cryptography, Casbin, redis, psycopg) become these at one
boundary, ``third_party.py``, so callers never catch a dependency's exception type. Each error
has a short machine ``code`` that feeds both the HTTP answer and the audit log.
"""

from __future__ import annotations

__all__ = [
    "AuditUnavailable",
    "CacheError",
    "ClaimsError",
    "ConfigError",
    "JurisgateError",
    "PolicyError",
    "PolicyNotPublished",
    "PolicyStale",
    "PolicyUnavailable",
    "TokenError",
]


class JurisgateError(Exception):
    """Base class; ``code`` is a stable, machine-readable reason."""

    code: str = "jurisgate_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(JurisgateError):
    code = "invalid_config"


class PolicyError(JurisgateError):
    code = "invalid_policy"


class PolicyNotPublished(PolicyError):
    """The policy files differ from what ``jurisgate policy publish`` recorded, or nothing was
    published: maybe still being written, so the gate keeps the policy it has and waits."""

    code = "policy_not_published"


class PolicyUnavailable(PolicyError):
    """The policy store could not be read (unreachable, past its deadline, an error of the
    server's): nothing is known about the policy it holds, so nothing is refused either."""

    code = "policy_unavailable"


class PolicyStale(JurisgateError):
    """The policy in force has not been confirmed as the store's for longer than
    ``[policy] max_staleness``: the gate answers 503 rather than decide with it."""

    code = "policy_stale"


class TokenError(JurisgateError):
    """``code`` is the RFC 6750 error: ``invalid_request`` or ``invalid_token``.

    ``reason`` is finer-grained (``expired``, ``bad_signature``...) for logs and metrics only;
    it never reaches the client.
    """

    code = "invalid_token"

    def __init__(self, reason: str, *, code: str = "invalid_token") -> None:
        super().__init__(reason, code=code)
        self.reason = reason


class ClaimsError(JurisgateError):
    """``code`` names the claim problem (``invalid_region``, ``missing_region``...).

    ``issuer`` and ``subject`` name the verified token whose claims these were, when known,
    so the audit log can say which identity provider asserted them.
    """

    code = "invalid_claims"
    issuer: str | None = None
    subject: str | None = None


class CacheError(JurisgateError):
    code = "cache_error"


class AuditUnavailable(JurisgateError):
    """The audit sink cannot take another record: the gate must deny (fail closed)."""

    code = "audit_unavailable"
