"""Test identity providers and the example app behind the gate, for black-box attacks.

Every key is generated here, per test session: three trusted IdPs (RSA, EC, HMAC) and an
attacker holding keys of each kind. Tokens are minted with PyJWT where PyJWT can express
the attack, and hand-encoded (header and payload bytes signed as they are) where it cannot.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Protocol

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message
from starlette.websockets import WebSocket

from jurisgate.middleware import FixedClock, JurisdictionMiddleware, TrustedIssuer
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.entity_types import STATE_LOCAL_TYPES

NOW_TEXT: Final = "2026-11-26T12:00:00Z"
NOW: Final = parse_instant(NOW_TEXT)
AUDIENCE: Final = "face-search-api"
EXAMPLE: Final = Path(__file__).resolve().parents[2] / "examples" / "search_api.py"

RSA_ISSUER: Final = "https://idp-rsa.test"
EC_ISSUER: Final = "https://idp-ec.test"
HMAC_ISSUER: Final = "https://idp-hmac.test"

# Words that name an internal reason or a library: none may reach a client.
INTERNAL_WORDS: Final = (
    "bad_signature",
    "expired",
    "untrusted_issuer",
    "bad_algorithm",
    "malformed",
    "too_large",
    "embedded_key",
    "unsupported_crit",
    "lifetime",
    "Traceback",
    "jwt",
    "casbin",
    "cryptography",
    "Exception",
    "Error",
    ".py",
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pem_public(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class IdP:
    """An identity provider: an issuer name, an algorithm and the key that signs for it.

    The attacker is an IdP too: it may claim any ``iss`` but holds none of the trusted keys.
    """

    issuer: str
    alg: str
    signing_key: Any
    public_key: bytes  # what the gate is configured with (PEM, or the HMAC secret)
    kid: str | None = None

    def claims(self, **overrides: object) -> dict[str, object]:
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "agent-7",
            "iat": int(NOW) - 60,
            "exp": int(NOW) + 600,
            "entity_type": "local_law_enforcement",
            "country": "US",
            "region": "US-NY",
        }
        claims.update(overrides)
        if "agency_region" not in overrides and str(claims.get("entity_type")) in STATE_LOCAL_TYPES:
            claims["agency_region"] = "US-NY"  # the default client is the NYPD, at home or away
        return {name: value for name, value in claims.items() if value is not _DROP}

    def mint(self, **claims: object) -> str:
        """A token PyJWT would mint: ``claims`` override the defaults (``DROP`` removes one)."""
        return self.mint_with(claims=claims)

    def mint_with(
        self,
        *,
        header: Mapping[str, object] | None = None,
        alg: str | None = None,
        claims: Mapping[str, object] | None = None,
    ) -> str:
        headers = dict(header or {})
        if self.kid is not None:
            headers.setdefault("kid", self.kid)
        return jwt.encode(
            self.claims(**(claims or {})),
            self.signing_key,
            algorithm=alg or self.alg,
            headers=headers,
        )

    def sign_raw(self, header: bytes, payload: bytes, alg: str | None = None) -> str:
        """Sign exactly these header and payload bytes (duplicates, BOMs, odd encodings)."""
        signing_input = f"{b64url(header)}.{b64url(payload)}".encode("ascii")
        algorithm = jwt.get_algorithm_by_name(alg or self.alg)
        signature = algorithm.sign(signing_input, algorithm.prepare_key(self.signing_key))
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"

    def header_bytes(self, **extra: object) -> bytes:
        header: dict[str, object] = {"alg": self.alg, "typ": "JWT", **extra}
        return json.dumps(header).encode()


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


_DROP: Final = _Drop()


def hmac_sign(secret: bytes, header: Mapping[str, object], claims: Mapping[str, object]) -> str:
    """HS256 by hand: PyJWT refuses a PEM public key as an HMAC secret, attackers do not."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    digest = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest)}"


@dataclass
class IdPs:
    rsa: IdP
    ec: IdP
    hmac: IdP
    attacker_rsa: IdP
    attacker_ec: IdP
    attacker_hmac: IdP
    drop: object = field(default=_DROP)
    now: float = NOW

    # Helpers for test modules, which cannot import this conftest at run time.
    b64url = staticmethod(b64url)
    hmac_sign = staticmethod(hmac_sign)

    def trusted(self) -> list[TrustedIssuer]:
        return [
            TrustedIssuer(idp.issuer, AUDIENCE, (idp.alg,), idp.public_key)
            for idp in (self.rsa, self.ec, self.hmac)
        ]


@pytest.fixture(scope="session")
def idps() -> IdPs:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    secret = secrets.token_bytes(64)
    evil_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    evil_ec = ec.generate_private_key(ec.SECP256R1())
    evil_secret = secrets.token_bytes(64)
    return IdPs(
        rsa=IdP(RSA_ISSUER, "RS256", rsa_key, pem_public(rsa_key)),
        ec=IdP(EC_ISSUER, "ES256", ec_key, pem_public(ec_key)),
        hmac=IdP(HMAC_ISSUER, "HS256", secret, secret),
        attacker_rsa=IdP(RSA_ISSUER, "RS256", evil_rsa, pem_public(evil_rsa)),
        attacker_ec=IdP(EC_ISSUER, "ES256", evil_ec, pem_public(evil_ec)),
        attacker_hmac=IdP(HMAC_ISSUER, "HS256", evil_secret, evil_secret),
    )


def load_example() -> ModuleType:
    """examples/search_api.py, loaded from its file: the tests also run against the wheel."""
    spec = importlib.util.spec_from_file_location("jurisgate_example_search_api", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Reached:
    """What got past the gate: the app records every request it serves."""

    calls: list[tuple[str, str]] = field(default_factory=list)


def build_app(
    idps: IdPs,
    reached: Reached,
    extra_routes: Sequence[Route | WebSocketRoute] = (),
    issuers: Sequence[TrustedIssuer] | None = None,
) -> ASGIApp:
    example = load_example()

    async def ws_echo(websocket: WebSocket) -> None:
        reached.calls.append(("WS", websocket.url.path))
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    def recorded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(request: Any) -> Any:
            reached.calls.append((request.method, request.url.path))
            return await endpoint(request)

        return wrapper

    routes: list[Route | WebSocketRoute] = [
        Route("/health", recorded(example.health)),
        Route("/search", recorded(example.search), methods=["GET", "POST"]),
        Route("/opt-out", recorded(example.opt_out), methods=["POST"]),
        WebSocketRoute("/search/live", ws_echo),
        *extra_routes,
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                JurisdictionMiddleware,
                issuers=issuers if issuers is not None else idps.trusted(),
                clock=FixedClock(NOW),
            )
        ],
    )


@dataclass
class Gate:
    """The example app behind a fresh gate, and a way to talk to it over HTTP (ASGI)."""

    app: ASGIApp
    reached: Reached

    def request(
        self,
        method: str = "GET",
        url: str = "/search?q=avery",
        *,
        token: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> httpx.Response:
        all_headers = list(headers)
        if token is not None:
            all_headers.append(("Authorization", f"Bearer {token}"))
        return asyncio.run(self._request(method, url, all_headers))

    async def _request(
        self, method: str, url: str, headers: list[tuple[str, str]]
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.request(method, url, headers=headers)
            await response.aread()
            return response

    def raw(
        self,
        path: str,
        *,
        method: str = "GET",
        raw_path: bytes | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
        kind: str = "http",
    ) -> list[Message]:
        """One request as an exact ASGI scope (paths no HTTP client would send unchanged)."""
        return asyncio.run(self._raw(path, method, raw_path, list(headers), kind))

    async def _raw(
        self,
        path: str,
        method: str,
        raw_path: bytes | None,
        headers: list[tuple[bytes, bytes]],
        kind: str,
    ) -> list[Message]:
        scope: dict[str, Any] = {
            "type": kind,
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "http" if kind == "http" else "ws",
            "path": path,
            "raw_path": raw_path if raw_path is not None else path.encode("utf-8"),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        if kind == "http":
            scope["method"] = method
            incoming: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]
        else:
            scope["subprotocols"] = []
            incoming = [{"type": "websocket.connect"}, {"type": "websocket.disconnect"}]
        sent: list[Message] = []

        async def receive() -> Message:
            if incoming:
                return incoming.pop(0)
            await asyncio.sleep(3600)  # a real client would simply not send more
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        await asyncio.wait_for(self.app(scope, receive, send), timeout=10)
        return sent

    @staticmethod
    def refused(response: httpx.Response, status: int, *, token: str | None = None) -> None:
        assert_refused(response, status, token=token)


class MakeGate(Protocol):
    def __call__(
        self,
        extra_routes: Sequence[Route | WebSocketRoute] = (),
        issuers: Sequence[TrustedIssuer] | None = None,
    ) -> Gate: ...


@pytest.fixture
def make_gate(idps: IdPs) -> MakeGate:
    """A gate over the example routes plus ``extra_routes``, trusting ``issuers`` (defaults to
    the three test IdPs, unlimited)."""

    def make(
        extra_routes: Sequence[Route | WebSocketRoute] = (),
        issuers: Sequence[TrustedIssuer] | None = None,
    ) -> Gate:
        reached = Reached()
        return Gate(build_app(idps, reached, extra_routes, issuers), reached)

    return make


@pytest.fixture
def gate(make_gate: MakeGate) -> Gate:
    return make_gate()


def assert_refused(response: httpx.Response, status: int, *, token: str | None = None) -> None:
    """The expected refusal, no internal detail, the token never echoed."""
    assert response.status_code == status, response.text
    body = response.text
    for word in INTERNAL_WORDS:
        assert word not in body, f"{word!r} leaked: {body}"
    if token:
        assert token not in body
        signature = token.split(".")[-1]
        assert len(signature) < 8 or signature not in body
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == status
    if status == 401:
        assert set(problem) <= {"type", "title", "status", "decision_id", "error"}
        assert problem.get("error", "invalid_token") == "invalid_token"
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        if token is not None:
            assert 'error="invalid_token"' in challenge
    if status == 400:
        assert problem["error"] == "invalid_request"


@pytest.fixture(scope="session")
def shared_gate(idps: IdPs) -> Gate:
    """One gate for property tests (hypothesis runs many examples per test function)."""
    reached = Reached()
    return Gate(build_app(idps, reached), reached)
