"""The apps under test: bare Starlette, jurisgate, and the usual stack, sharing one route.

- ``bare``: Starlette with the search route, nothing in front (the ceiling).
- ``jurisgate``: the same app with JurisdictionMiddleware (development issuer, bundled pack),
  every audit record written to a real file: jurisgate's own ``[audit] file`` writer, or the
  ``jurisgate.audit`` logger with a ``logging.FileHandler``.
- ``jurisgate_results_*``: jurisgate with a ``[[results]]`` table, on another route than the
  one requested (the gate's lookup misses) or on it (the result filter runs inside the gate).
- ``usual``: the same app behind Starlette's AuthenticationMiddleware with a PyJWT backend and
  fastapi-authz's CasbinMiddleware, whose pycasbin model uses ``eval()`` ABAC rules equivalent
  to the settlement pack.

The ``*_server`` functions are uvicorn factories (``--factory``); they read the audit file
from $BENCH_AUDIT_FILE.
"""

from __future__ import annotations

import logging
import os
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import casbin
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fastapi_authz import CasbinMiddleware  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from jurisgate.middleware import (
    AuditLog,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    ResultRoute,
    TrustedIssuer,
)
from jurisgate.middleware.audit.file_sink import AuditFile
from jurisgate.middleware.cache.lru import LruTtlCache
from jurisgate.middleware.cache.warm import WarmRequests
from jurisgate.middleware.decision.values import Decision
from jurisgate.middleware.subjects import FixedSuppressions

ROOT: Final = Path(__file__).resolve().parent.parent
DEV: Final = ROOT / "examples" / "dev"
ISSUER: Final = "https://dev-idp.jurisgate.invalid"
AUDIENCE: Final = "face-search-api"
# Parsed once: loading an RSA private key validates it, which costs tens of milliseconds.
_KEY = load_pem_private_key((DEV / "dev_idp_private.pem").read_bytes(), None)
if not isinstance(_KEY, RSAPrivateKey):
    raise TypeError("examples/dev/dev_idp_private.pem must be an RSA key")
PRIVATE_KEY: Final[RSAPrivateKey] = _KEY
PUBLIC_KEY: Final = (DEV / "dev_idp_public.pem").read_bytes()
AUDIT_ENV: Final = "BENCH_AUDIT_FILE"

# (subject, entity_type, country, region or None, jurisgate's expected status)
CLIENTS: Final = (
    ("fbi-hq", "federal_law_enforcement", "US", "US-DC", 200),
    ("fbi-chicago", "federal_law_enforcement", "US", "US-IL", 451),
    ("illinois-state-police", "state_law_enforcement", "US", "US-IL", 451),
    ("nypd", "local_law_enforcement", "US", "US-NY", 200),
    ("texas-dot", "state_agency", "US", "US-TX", 200),
    ("texas-company", "private_company", "US", "US-TX", 451),
    ("california-person", "individual", "US", "US-CA", 451),
    ("ukraine-police", "foreign_law_enforcement", "UA", None, 403),
    ("sheriff-no-region", "local_law_enforcement", "US", None, 403),
)
WARM_CLIENT: Final = "fbi-hq"  # the client timed on the hot path: allowed, so the app runs too

_RESULTS = [{"id": f"face-{n:04d}", "name": f"Synthetic Person {n}"} for n in range(5)]
# What a [[results]] route lists: entries with their source region (one is suppressed).
_REGIONAL = [{**entry, "source_region": "US-NY"} for entry in _RESULTS]


async def search(request: Request) -> JSONResponse:
    return JSONResponse({"query": request.query_params.get("q", ""), "results": _RESULTS})


async def regional_search(request: Request) -> JSONResponse:
    return JSONResponse({"query": request.query_params.get("q", ""), "results": _REGIONAL})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _routes(*, regional: bool = False) -> list[Route]:
    return [Route("/search", regional_search if regional else search), Route("/health", health)]


def sign(subject: str, lifetime: int = 8 * 3600, *, jti: str | None = None) -> str:
    """An RS256 development token for one of CLIENTS (``jti`` makes it unique)."""
    found = [client for client in CLIENTS if client[0] == subject]
    if not found:
        raise KeyError(subject)
    _, entity_type, country, region, _ = found[0]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + lifetime,
        "entity_type": entity_type,
        "country": country,
    }
    if region is not None:
        claims["region"] = region
        if entity_type.startswith(("state_", "local_")):
            claims["agency_region"] = region  # an agency at home: required of state and local
    if jti is not None:
        claims["jti"] = jti
    return jwt.encode(claims, PRIVATE_KEY, algorithm="RS256")


def audit_to(path: str | os.PathLike[str]) -> logging.Handler:
    """Send jurisgate's audit records to a file, as a deployment would (one JSON line each)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    audit = logging.getLogger("jurisgate.audit")
    for old in list(audit.handlers):
        audit.removeHandler(old)
        old.close()
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    audit.propagate = False
    return handler


# -- the apps ------------------------------------------------------------------------------


def bare_app() -> Starlette:
    return Starlette(routes=_routes())


def audit_file_log(path: str | os.PathLike[str]) -> AuditLog:
    """jurisgate's own audit file (``[audit] file``): each record a JSON line, queued on the
    request path and appended to ``path`` by a writer thread; the logger stays quiet."""
    silent = logging.getLogger("jurisgate.bench.silent")
    silent.setLevel(logging.WARNING)
    return AuditLog(silent, sink=AuditFile(path))


def jurisgate_app(
    *,
    local_max_entries: int = 10_000,
    shared_cache: Any = None,
    audit: AuditLog | None = None,
    results: tuple[ResultRoute, ...] = (),
    regional: bool = False,
) -> Starlette:
    """``audit`` defaults to the ``jurisgate.audit`` logger (see ``audit_to``); ``results``
    are ``[[results]]`` tables, with the result filter mounted inside the gate; ``regional``
    answers entries with their source region (what a ``[[results]]`` route lists)."""
    from jurisgate.middleware import CacheSettings, GateConfig

    config = GateConfig(
        issuers=(TrustedIssuer(ISSUER, AUDIENCE, ("RS256",), PUBLIC_KEY),),
        cache=CacheSettings(local_max_entries=local_max_entries),
        results=results,
    )
    middleware = [
        Middleware(JurisdictionMiddleware, config=config, shared_cache=shared_cache, audit=audit)
    ]
    if results:
        suppressions = FixedSuppressions({"face-0003"})
        middleware.append(
            Middleware(ResultFilterMiddleware, routes=results, suppressions=suppressions)
        )
    app = Starlette(routes=_routes(regional=regional), middleware=middleware)
    app.middleware_stack = app.build_middleware_stack()
    return app


def gate_of(app: Starlette) -> JurisdictionMiddleware:
    """The JurisdictionMiddleware instance inside a built Starlette app."""
    node: Any = app.middleware_stack
    while node is not None:
        if isinstance(node, JurisdictionMiddleware):
            return node
        node = getattr(node, "app", None)
    raise LookupError("no JurisdictionMiddleware in this app")


def disable_decision_cache(app: Starlette) -> None:
    """Decide every request again (the verified-token cache stays on): the benchmark's way to
    reach the engine, or the shared tier, on every request without changing the package."""
    gate = gate_of(app)
    gate.tiers.local = gate.decisions = LruTtlCache[Any, Decision](0)
    gate.warm = WarmRequests(0)


# The usual stack: each rule is Python-like text that pycasbin eval()s per request.
USUAL_MODEL: Final = """
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub_rule, obj, act, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = eval(p.sub_rule) && keyMatch(r.obj, p.obj) && regexMatch(r.act, p.act)
"""
_SETTLED: Final = 1652227200  # 2022-05-11T00:00:00Z
_IL_ENDS: Final = 1810011600  # 2027-05-11T05:00:00Z (midnight in Chicago)
_GOVERNMENT: Final = (
    "('federal_agency', 'federal_law_enforcement', 'state_agency', 'state_law_enforcement', "
    "'local_agency', 'local_law_enforcement')"
)
USUAL_POLICY: Final = (
    (
        f"r.sub.country == 'US' && r.sub.entity_type in ('private_company', 'individual') "
        f"&& r.sub.at >= {_SETTLED}",
        "/*",
        ".*",
        "deny",
    ),
    (
        f"r.sub.country == 'US' && r.sub.region == 'US-IL' && r.sub.at >= {_SETTLED} "
        f"&& r.sub.at < {_IL_ENDS}",
        "/*",
        ".*",
        "deny",
    ),
    (
        f"r.sub.country == 'US' && r.sub.region != '' && r.sub.entity_type in {_GOVERNMENT} "
        f"&& r.sub.at >= {_SETTLED}",
        "/search*",
        "GET",
        "allow",
    ),
)


class ClaimsUser(BaseUser):
    """fastapi-authz passes ``user.display_name`` to ``enforce()`` as the subject; for ABAC
    that subject must carry attributes, so it is an attribute object rather than a name."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.subject = types.SimpleNamespace(
            entity_type=claims.get("entity_type", ""),
            country=claims.get("country", ""),
            region=claims.get("region", ""),
            at=time.time(),
        )

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> Any:
        return self.subject


class PyJWTBackend(AuthenticationBackend):
    """The usual Starlette authentication backend: decode and verify with PyJWT per request."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            claims = jwt.decode(
                token, PUBLIC_KEY, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError("invalid token") from exc
        return AuthCredentials(["authenticated"]), ClaimsUser(claims)


def usual_enforcer() -> casbin.Enforcer:
    enforcer = casbin.Enforcer(casbin.Enforcer.new_model(text=USUAL_MODEL))
    for row in USUAL_POLICY:
        enforcer.add_policy(*row)
    return enforcer


def usual_app() -> Starlette:
    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(AuthenticationMiddleware, backend=PyJWTBackend()),
            Middleware(CasbinMiddleware, enforcer=usual_enforcer()),
        ],
    )
    app.middleware_stack = app.build_middleware_stack()
    return app


# -- uvicorn factories ---------------------------------------------------------------------


def _audit_path() -> str:
    path = os.environ.get(AUDIT_ENV)
    if not path:
        raise RuntimeError(f"${AUDIT_ENV} names the audit file")
    return path


def bare_server() -> ASGIApp:
    return bare_app()


def jurisgate_server() -> ASGIApp:
    """jurisgate with its audit records in its own file (``[audit] file``)."""
    return jurisgate_app(audit=audit_file_log(_audit_path()))


def jurisgate_logging_server() -> ASGIApp:
    """jurisgate with its audit records through the ``jurisgate.audit`` logger to a file."""
    audit_to(_audit_path())
    return jurisgate_app()


def jurisgate_quiet_server() -> ASGIApp:
    """jurisgate with its audit logger below INFO: what the audit record costs under load."""
    logging.getLogger("jurisgate.audit").setLevel(logging.WARNING)
    return jurisgate_app()


def jurisgate_results_elsewhere_server() -> ASGIApp:
    """jurisgate, audit off, with a ``[[results]]`` table on a route other than the one
    requested: what a configured result filter costs the requests it does not cover."""
    logging.getLogger("jurisgate.audit").setLevel(logging.WARNING)
    return jurisgate_app(results=(ResultRoute("/people/*", items="results"),))


def jurisgate_results_here_server() -> ASGIApp:
    """jurisgate, audit off, with a ``[[results]]`` table on the requested route: the gate
    checks that the result filter (inside it) ran, and the filter reads the whole answer."""
    logging.getLogger("jurisgate.audit").setLevel(logging.WARNING)
    return jurisgate_app(results=(ResultRoute("/search", items="results"),), regional=True)


def usual_server() -> ASGIApp:
    return usual_app()


def client_names() -> Iterator[str]:
    return (name for name, *_ in CLIENTS)
