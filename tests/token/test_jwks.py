"""Keys by (issuer, kid) from a JWKS served by a tiny HTTP server on 127.0.0.1.

Checks that rotation works, that random kids cannot flood the IdP or stall the event loop,
that the cache lifetime is bounded, and that a hostile key set is never trusted.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jurisgate.middleware import JwksKeys, TrustedIssuer

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs, MakeGate

AUDIENCE = "face-search-api"
ISSUER = "https://idp-jwks.test"
OTHER = "https://idp-other.test"


@dataclass
class JwksServer:
    """Serves ``documents[path]`` with ``status``, after ``delay`` seconds; counts hits."""

    documents: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0
    hits: dict[str, int] = field(default_factory=dict)
    redirect_to: str | None = None
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            time.sleep(state.delay)
            try:
                self._answer()
            except OSError:  # the client gave up (timeout tests): not the server's failure
                self.close_connection = True

        def _answer(self) -> None:
            if state.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.end_headers()
                return
            body = state.documents.get(self.path, b"")
            self.send_response(state.status if self.path in state.documents else 404)
            self.send_header("Content-Type", "application/jwk-set+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Signer:
    key: rsa.RSAPrivateKey
    kid: str

    def jwk(self, **extra: object) -> dict[str, object]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256", **extra}

    def token(self, idps: IdPs, iss: str = ISSUER, kid: str | None = None, **claims: object) -> str:
        return jwt.encode(
            idps.rsa.claims(iss=iss, **claims),
            self.key,
            algorithm="RS256",
            headers={"kid": kid if kid is not None else self.kid},
        )


@pytest.fixture(scope="module")
def signers() -> list[Signer]:
    return [
        Signer(rsa.generate_private_key(public_exponent=65537, key_size=2048), f"key-{n}")
        for n in range(3)
    ]


def jwks(*keys: dict[str, object]) -> bytes:
    return json.dumps({"keys": list(keys)}).encode()


def jwks_gate(
    make_gate: MakeGate, source: JwksKeys, *more: TrustedIssuer, required_typ: str | None = None
) -> Gate:
    trusted = TrustedIssuer(ISSUER, AUDIENCE, ("RS256",), jwks=source, required_typ=required_typ)
    return make_gate(issuers=[trusted, *more])


def url_keys(server: JwksServer, ticker: Ticker, path: str = "/jwks.json", **kw: Any) -> JwksKeys:
    return JwksKeys(algorithms=("RS256",), url=server.url(path), monotonic=ticker, **kw)


def test_keys_are_fetched_once_and_found_by_kid(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk(), signers[1].jwk())
    ticker = Ticker()
    gate = jwks_gate(make_gate, url_keys(jwks_server, ticker))
    for signer in signers[:2]:
        for region in ("US-NY", "US-TX"):
            response = gate.request(token=signer.token(idps, region=region))
            assert response.status_code == 200, response.text
    assert jwks_server.hits == {"/jwks.json": 1}
    # The third key is not published: refused, whoever signed it.
    gate.refused(gate.request(token=signers[2].token(idps)), 401)
    gate.refused(gate.request(token=signers[2].token(idps, kid="key-0")), 401)


def test_random_kids_cannot_flood_the_idp(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    ticker = Ticker()
    gate = jwks_gate(make_gate, url_keys(jwks_server, ticker, min_refresh_interval=30))
    assert gate.request(token=signers[0].token(idps)).status_code == 200
    for _ in range(50):
        token = signers[2].token(idps, kid=secrets.token_hex(8))
        gate.refused(gate.request(token=token), 401)
        ticker.now += 0.1  # 5 s in all: still inside one refresh interval
    assert jwks_server.hits["/jwks.json"] == 1
    ticker.now += 30
    gate.refused(gate.request(token=signers[2].token(idps, kid="new")), 401)
    assert jwks_server.hits["/jwks.json"] == 2


def test_concurrent_unknown_kids_share_one_fetch(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    jwks_server.delay = 0.2
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    tokens = [signers[0].token(idps)] * 10 + [
        signers[1].token(idps, kid=secrets.token_hex(4)) for _ in range(20)
    ]

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=gate.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            responses = await asyncio.gather(
                *(client.get("/search", headers={"Authorization": f"Bearer {t}"}) for t in tokens)
            )
        return [r.status_code for r in responses]

    statuses = asyncio.run(run())
    assert statuses == [200] * 10 + [401] * 20
    assert jwks_server.hits["/jwks.json"] == 1


def test_fetching_does_not_block_the_event_loop(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    jwks_server.delay = 0.5
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    token = signers[0].token(idps)

    async def run() -> tuple[float, float, int, int]:
        transport = httpx.ASGITransport(app=gate.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            started = time.perf_counter()
            slow = asyncio.create_task(
                client.get("/search", headers={"Authorization": f"Bearer {token}"})
            )
            await asyncio.sleep(0.05)  # the fetch is now under way
            health = await client.get("/health")
            health_done = time.perf_counter() - started
            search = await slow
            return (
                health_done,
                time.perf_counter() - started,
                health.status_code,
                search.status_code,
            )

    health_done, search_done, health_status, search_status = asyncio.run(run())
    assert (health_status, search_status) == (200, 200)
    assert health_done < 0.4 < search_done


def test_rotation_is_picked_up_after_the_refresh_interval(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    ticker = Ticker()
    gate = jwks_gate(make_gate, url_keys(jwks_server, ticker, min_refresh_interval=10))
    assert gate.request(token=signers[0].token(idps)).status_code == 200
    jwks_server.documents["/jwks.json"] = jwks(signers[1].jwk())
    ticker.now += 1
    gate.refused(gate.request(token=signers[1].token(idps)), 401)  # rate-limited
    ticker.now += 10
    assert gate.request(token=signers[1].token(idps)).status_code == 200
    assert jwks_server.hits["/jwks.json"] == 2


def test_cache_lifetime_is_bounded_and_a_dead_idp_fails_closed(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    ticker = Ticker()
    source = url_keys(jwks_server, ticker, cache_ttl=60, min_refresh_interval=5)
    gate = jwks_gate(make_gate, source)
    assert gate.request(token=signers[0].token(idps, region="US-NY")).status_code == 200
    ticker.now += 61
    assert gate.request(token=signers[0].token(idps, region="US-TX")).status_code == 200
    assert jwks_server.hits["/jwks.json"] == 2
    # The key is withdrawn (revoked) and the IdP then dies: once the lifetime is over, the old
    # key is no longer trusted.
    jwks_server.status = 500
    ticker.now += 61
    gate.refused(gate.request(token=signers[0].token(idps, region="US-CA")), 401)
    assert jwks_server.hits["/jwks.json"] == 3


def test_keys_are_per_issuer_never_merged(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/a.json"] = jwks(signers[0].jwk())
    jwks_server.documents["/b.json"] = jwks(signers[1].jwk())
    ticker = Ticker()
    other = TrustedIssuer(
        OTHER, AUDIENCE, ("RS256",), jwks=url_keys(jwks_server, ticker, "/b.json")
    )
    gate = jwks_gate(make_gate, url_keys(jwks_server, ticker, "/a.json"), other)
    assert gate.request(token=signers[0].token(idps)).status_code == 200
    assert gate.request(token=signers[1].token(idps, iss=OTHER)).status_code == 200
    # Issuer A's key (and kid) in a token that names issuer B, and the other way round.
    gate.refused(gate.request(token=signers[0].token(idps, iss=OTHER)), 401)
    gate.refused(gate.request(token=signers[1].token(idps)), 401)


@pytest.mark.parametrize(
    "hostile",
    [
        {"d": "AQAB"},  # private key material
        {"use": "enc"},
        {"alg": "RS512"},  # not pinned for the issuer
        {"alg": "HS256"},
        {"kty": "oct", "k": "c2VjcmV0"},  # a shared secret over the network
        {"kty": "EC"},
        {"kid": ""},
    ],
)
def test_hostile_keys_in_the_set_are_ignored(
    make_gate: MakeGate,
    idps: IdPs,
    jwks_server: JwksServer,
    signers: list[Signer],
    hostile: dict[str, object],
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk(**hostile))
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    gate.refused(gate.request(token=signers[0].token(idps)), 401)


def test_a_duplicated_kid_is_ambiguous_and_ignored(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    evil = Signer(signers[1].key, "key-0")
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk(), evil.jwk(), signers[2].jwk())
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    gate.refused(gate.request(token=signers[0].token(idps)), 401)
    gate.refused(gate.request(token=evil.token(idps)), 401)
    assert gate.request(token=signers[2].token(idps)).status_code == 200


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"not json",
        b"[]",
        b'{"keys": {}}',
        b'{"keys": [1, "a", null]}',
        b'{"keys": [], "keys": []}',
        b"\xff\xfe{",
        b'{"keys": [' + b'{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB"},' * 3000 + b"{}]}",
    ],
)
def test_broken_key_sets_fail_closed(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer], document: bytes
) -> None:
    jwks_server.documents["/jwks.json"] = document
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    gate.refused(gate.request(token=signers[0].token(idps)), 401)


def test_redirects_are_not_followed(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/evil.json"] = jwks(signers[0].jwk())
    jwks_server.redirect_to = jwks_server.url("/evil.json")
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    gate.refused(gate.request(token=signers[0].token(idps)), 401)
    assert "/evil.json" not in jwks_server.hits


def test_unreachable_idp_fails_closed(
    make_gate: MakeGate, idps: IdPs, signers: list[Signer]
) -> None:
    source = JwksKeys(algorithms=("RS256",), url="http://127.0.0.1:9/jwks.json", timeout=1)
    gate = jwks_gate(make_gate, source)
    gate.refused(gate.request(token=signers[0].token(idps)), 401)


def test_a_slow_idp_is_abandoned_after_the_timeout(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    jwks_server.delay = 1.5
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker(), timeout=0.3))
    started = time.perf_counter()
    gate.refused(gate.request(token=signers[0].token(idps)), 401)
    assert time.perf_counter() - started < 1.2


def test_jwks_issuer_needs_a_kid(
    make_gate: MakeGate, idps: IdPs, jwks_server: JwksServer, signers: list[Signer]
) -> None:
    jwks_server.documents["/jwks.json"] = jwks(signers[0].jwk())
    gate = jwks_gate(make_gate, url_keys(jwks_server, Ticker()))
    token = jwt.encode(idps.rsa.claims(iss=ISSUER), signers[0].key, algorithm="RS256")
    gate.refused(gate.request(token=token), 401)


def test_jwks_file_source(
    make_gate: MakeGate, idps: IdPs, tmp_path: Path, signers: list[Signer]
) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(jwks(signers[0].jwk()))
    ticker = Ticker()
    source = JwksKeys(algorithms=("RS256",), file=path, monotonic=ticker, min_refresh_interval=1)
    gate = jwks_gate(make_gate, source, required_typ="JWT")
    assert gate.request(token=signers[0].token(idps)).status_code == 200
    path.write_bytes(jwks(signers[0].jwk(), signers[1].jwk()))
    ticker.now += 2
    assert gate.request(token=signers[1].token(idps)).status_code == 200


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"url": "file:///etc/passwd"},
        {"url": "ftp://x/"},
        {"url": "http://x/", "file": Path("x")},
        {"url": "http://x/", "cache_ttl": 0},
        {"url": "http://x/", "min_refresh_interval": -1},
        {"url": "http://x/", "cache_ttl": 10, "min_refresh_interval": 20},
    ],
)
def test_jwks_options_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="jwks"):
        JwksKeys(algorithms=("RS256",), **options)


def test_issuer_needs_exactly_one_key_source(idps: IdPs, tmp_path: Path) -> None:
    source = JwksKeys(algorithms=("RS256",), file=tmp_path / "k.json")
    with pytest.raises(ValueError, match="exactly one"):
        TrustedIssuer(ISSUER, AUDIENCE, ("RS256",))
    with pytest.raises(ValueError, match="exactly one"):
        TrustedIssuer(ISSUER, AUDIENCE, ("RS256",), idps.rsa.public_key, jwks=source)
