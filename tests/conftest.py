"""Shared fixtures: the development keys, real token minting, the example app and its clock.

Nothing here imports the repository root: the example modules are loaded from their files, and
``jurisgate.*`` comes from the installed package.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from jurisgate.middleware import (
    Clock,
    FixedClock,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    TrustedIssuer,
    load_config,
)
from jurisgate.middleware.claims.entity_types import STATE_LOCAL_TYPES
from jurisgate.middleware.claims.regions import normalize_region
from jurisgate.middleware.config.gate_config import CONFIG_ENV
from jurisgate.middleware.errors import ClaimsError
from jurisgate.middleware.subjects import FixedSuppressions, Suppressions

# Fixtures kept in tests/fixtures/ (one module per kind), offered to every test folder.
from .fixtures.admin_config import run, write_config
from .fixtures.engines import make_engine, make_source, model_text, pack_engine, pack_source
from .fixtures.idps import gate, idps, make_gate, shared_gate
from .fixtures.providers import provider_config, provider_keys

__all__ = [
    "gate",
    "idps",
    "make_engine",
    "make_gate",
    "make_source",
    "model_text",
    "pack_engine",
    "pack_source",
    "provider_config",
    "provider_keys",
    "run",
    "shared_gate",
    "write_config",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
DEV_DIR = EXAMPLES / "dev"
DEV_CONFIG = DEV_DIR / "jurisgate.dev.toml"
DEV_ISSUER = "https://dev-idp.jurisgate.invalid"
DEV_AUDIENCE = "face-search-api"
DEV_BLOCKED_BY = "https://search.example.invalid/legal"
TODAY = "2026-11-26T12:00:00Z"

ClientFactory = Callable[[Any], httpx.AsyncClient]
# (gate, expected error type) -> the message the gate fails its lifespan startup with.
StartupFailureOf = Callable[[JurisdictionMiddleware, type[BaseException]], str]


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class TokenFactory:
    """Mints real tokens with PyJWT (or raw segments signed with PyJWT's RSA algorithm)."""

    def __init__(self, private_pem: bytes, *, issuer: str, audience: str) -> None:
        self.private_pem = private_pem
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[bytes, Any] = {}

    def _key(self, pem: bytes | None) -> Any:
        """The loaded private key (loading a PEM is slow enough to matter in property tests)."""
        pem = pem or self.private_pem
        if pem not in self._keys:
            self._keys[pem] = serialization.load_pem_private_key(pem, password=None)
        return self._keys[pem]

    def claims(
        self, now: float, *, lifetime: float = 3600, subject: str = "client-1", **extra: object
    ) -> dict[str, object]:
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": int(now),
            "exp": int(now + lifetime),
        }
        claims.update(extra)
        return claims

    def client(
        self,
        now: float,
        entity_type: str,
        country: str,
        region: str | None,
        *,
        lifetime: float = 3600,
        subject: str = "client-1",
        agency_region: str | None = None,
        **extra: object,
    ) -> str:
        """A token for a client of the decision table; ``region=None`` omits the claim. A state
        or local agency is one of its home region's unless ``agency_region`` says otherwise
        (``""`` omits the claim); ``extra`` adds claims (``capacity``, ``agency_type``)."""
        claims = self.claims(
            now, lifetime=lifetime, subject=subject, entity_type=entity_type, country=country
        )
        if region is not None:
            claims["region"] = region
        if agency_region is None and entity_type in STATE_LOCAL_TYPES and region is not None:
            try:  # a region the gate refuses stays the test's point: no agency claim then
                us = country.upper() == "US"
                agency_region = normalize_region(region, "US") if us else None
            except ClaimsError:
                agency_region = None
        if agency_region:
            claims["agency_region"] = agency_region
        claims.update(extra)
        return self.sign(claims)

    def sign(
        self,
        claims: Mapping[str, object],
        *,
        key: bytes | None = None,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
    ) -> str:
        return jwt.encode(dict(claims), self._key(key), algorithm=algorithm, headers=headers)

    def raw(self, header: bytes, payload: bytes, *, key: bytes | None = None) -> str:
        """Sign hand-written header and payload bytes with RS256, exactly as given."""
        signing_input = b64url(header) + b"." + b64url(payload)
        algorithm = RSAAlgorithm(RSAAlgorithm.SHA256)
        signature = algorithm.sign(signing_input, self._key(key))
        return (signing_input + b"." + b64url(signature)).decode("ascii")

    def raw_json(self, header: Mapping[str, object], payload: Mapping[str, object]) -> str:
        return self.raw(json.dumps(dict(header)).encode(), json.dumps(dict(payload)).encode())


def load_module(path: Path, name: str) -> ModuleType:
    """Import a file by path (the repository root is not on sys.path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def dev_config() -> Path:
    return DEV_CONFIG


@pytest.fixture(scope="session")
def dev_private_key() -> bytes:
    return (DEV_DIR / "dev_idp_private.pem").read_bytes()


@pytest.fixture(scope="session")
def dev_public_key() -> bytes:
    return (DEV_DIR / "dev_idp_public.pem").read_bytes()


@pytest.fixture(scope="session")
def attacker_private_key() -> bytes:
    """A key nobody trusts, for forged tokens."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def dev_issuer(dev_public_key: bytes) -> TrustedIssuer:
    return TrustedIssuer(DEV_ISSUER, DEV_AUDIENCE, ("RS256",), dev_public_key)


@pytest.fixture(scope="session")
def tokens(dev_private_key: bytes) -> TokenFactory:
    return TokenFactory(dev_private_key, issuer=DEV_ISSUER, audience=DEV_AUDIENCE)


@pytest.fixture(scope="session")
def search_api() -> ModuleType:
    """examples/search_api.py, loaded from its file with the development configuration."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(CONFIG_ENV, raising=False)
        return load_module(EXAMPLES / "search_api.py", "jurisgate_example_search_api")


@pytest.fixture(scope="session")
def demo() -> ModuleType:
    return load_module(EXAMPLES / "demo.py", "jurisgate_example_demo")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def example_routes(search_api: ModuleType) -> list[BaseRoute]:
    """The example's search routes with nobody suppressed and no opt-out routes (the opt-out
    and suppression tests, in tests/postgres, run them on a real registry)."""
    found: list[BaseRoute] = search_api.routes(FixedSuppressions(), None)
    return found


def example_stack(
    routes: list[BaseRoute], config: Path, clock: Clock, suppressions: Suppressions | None = None
) -> Starlette:
    """``routes`` behind a fresh gate on ``config`` and ``clock``, with the result filter inside
    it as the example mounts it (the gate refuses a ``[[results]]`` answer without it), on the
    routes' ``suppressions`` (defaults to none). The filter runs on the system clock, like the
    example's own filtering (verify mode)."""
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(JurisdictionMiddleware, config=config, clock=clock),
            Middleware(
                ResultFilterMiddleware,
                routes=load_config(config).results,
                suppressions=suppressions if suppressions is not None else FixedSuppressions(),
            ),
        ],
    )


ExampleStack = Callable[..., Starlette]


@pytest.fixture(name="example_stack")
def example_stack_fixture() -> ExampleStack:
    """``example_stack(routes, config, clock)``: see the function of that name."""
    return example_stack


@pytest.fixture
def example_app(example_routes: list[BaseRoute], clock: FixedClock) -> Starlette:
    """The example search API's routes behind a fresh gate on the dev config and a fixed clock,
    and the result filter inside it."""
    return example_stack(example_routes, DEV_CONFIG, clock)


@pytest.fixture
def http() -> ClientFactory:
    """``async with http(app) as client``: httpx straight into the ASGI app."""

    def make(app: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    return make


@pytest.fixture
def startup_failure() -> StartupFailureOf:
    """A gate that cannot be configured raises nothing (middleware/startup.py says why): this
    reads why it failed, as its lifespan startup will report it. The test fails if the gate
    was configured, or failed with another kind of error."""

    def read(gate: JurisdictionMiddleware, error: type[BaseException]) -> str:
        failure = gate.startup_failure
        assert failure is not None, "the gate was configured"
        assert isinstance(failure.error, error), repr(failure.error)
        return failure.message

    return read
