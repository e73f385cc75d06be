"""A JWKS endpoint that trickles one byte at a time, and a flood of tokens with unknown ``kid``s,
must not freeze the gate (issue #12, finding 3).

The slow IdP is a loopback server of the test's own that sends its answer one byte every
``DRIP`` seconds (faster than a per-read socket timeout would notice) and records when the
client closes the connection. Meanwhile tokens of another issuer, whose keys are known, must
be decided promptly and a policy edit must be applied; each fetch must end at its deadline.
The bounds are generous (seconds) so a loaded 2-core machine passes; nothing here is a
micro-benchmark.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.routing import Route

from jurisgate.middleware import (
    FixedClock,
    JurisdictionMiddleware,
    JwksKeys,
    PolicySettings,
    TrustedIssuer,
)

from ..adapters.redis.app import (
    client,
    copy_pack,
    edit,
    publish,
    search,
    until,
    without_illinois_rule,
)
from ..adapters.redis.conftest import AT, AUDIENCE

SLOW_ISSUER = "https://idp-slow.test"
KNOWN_ISSUER = "https://idp-known.test"
DEADLINE = 0.25  # JwksKeys(timeout=): the whole fetch
MIN_REFRESH = 0.5  # JwksKeys(min_refresh_interval=)
DRIP = 0.12  # seconds between two bytes of the slow answer (< DEADLINE: per-read timeouts pass)
# Seconds of unknown kids before the policy edit: long enough for the old code (a thread left
# reading per fetch) to fill a 6-worker default executor, which froze reload.
FLOOD = 3.5
SLACK = 2.0  # for a loaded machine
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


@dataclass
class Fetch:
    opened: float
    closed: float | None = None  # when the client closed it (the server never does first)


@dataclass
class TricklingServer:
    """Answers every GET one byte per ``DRIP`` seconds, for at most ``give_up`` seconds."""

    give_up: float = 30.0
    fetches: list[Fetch] = field(default_factory=list)
    open_now: int = 0
    most_open: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def serve(self, listener: socket.socket) -> None:
        listener.settimeout(0.05)  # closing a socket does not wake a thread blocked in accept
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        fetch = Fetch(time.monotonic())
        with self.lock:
            self.fetches.append(fetch)
            self.open_now += 1
            self.most_open = max(self.most_open, self.open_now)
        answer = HEAD + b" " * 100_000
        try:
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        raise ConnectionError
                    request += chunk
                for offset in range(len(answer)):
                    if self.stop.is_set() or time.monotonic() - fetch.opened > self.give_up:
                        return
                    readable, _, _ = select.select([conn], [], [], DRIP)
                    if readable and not conn.recv(1):
                        raise ConnectionError  # the client closed its end
                    conn.sendall(answer[offset : offset + 1])
        except OSError:
            fetch.closed = time.monotonic()
        finally:
            with self.lock:
                self.open_now -= 1


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    server = TricklingServer()
    listener = socket.create_server(("127.0.0.1", 0))
    server.port = listener.getsockname()[1]
    thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
    thread.start()
    yield server
    server.stop.set()
    thread.join(timeout=5)
    listener.close()


def token(key: rsa.RSAPrivateKey, issuer: str, kid: str, region: str, sub: str) -> str:
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": sub,
        "iat": int(AT),
        "exp": int(AT) + 3600,
        "entity_type": "state_law_enforcement",
        "country": "US",
        "region": region,
        "agency_region": region,  # a state agency at home, as the pack's contract wants
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_trickling_jwks_and_unknown_kids_freeze_nothing(
    trickling: TricklingServer, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    known_set = tmp_path / "known.json"
    known_set.write_text(json.dumps({"keys": [{**jwk, "kid": "known", "alg": "RS256"}]}))
    slow = JwksKeys(
        algorithms=("RS256",),
        url=f"http://127.0.0.1:{trickling.port}/jwks.json",
        timeout=DEADLINE,
        min_refresh_interval=MIN_REFRESH,
    )
    issuers = [
        TrustedIssuer(SLOW_ISSUER, AUDIENCE, ("RS256",), jwks=slow),
        TrustedIssuer(
            KNOWN_ISSUER, AUDIENCE, ("RS256",), jwks=JwksKeys(algorithms=("RS256",), file=known_set)
        ),
    ]
    model, policy = copy_pack(tmp_path)
    publish(policy)
    gate = JurisdictionMiddleware(
        Starlette(routes=[Route("/search", search)]),
        issuers=issuers,
        policy=PolicySettings(model, policy, watch_interval=0.1),
        clock=FixedClock(AT),
    )
    unknown_answers: list[tuple[int, float]] = []
    known_answers: list[tuple[int, float]] = []

    async def timed(http: httpx.AsyncClient, bearer: str, into: list[tuple[int, float]]) -> None:
        started = time.monotonic()
        response = await http.get(
            "/search", params={"q": "x"}, headers={"Authorization": f"Bearer {bearer}"}
        )
        into.append((response.status_code, time.monotonic() - started))

    async def flood(http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = [
                token(key, SLOW_ISSUER, secrets.token_hex(6), "US-NY", "flood") for _ in range(8)
            ]
            await asyncio.gather(*(timed(http, t, unknown_answers) for t in batch))
            await asyncio.sleep(0.05)

    async def known(http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():  # a fresh subject each time: verified, not remembered
            bearer = token(key, KNOWN_ISSUER, "known", "US-IL", secrets.token_hex(4))
            await timed(http, bearer, known_answers)
            await asyncio.sleep(0.2)

    async def scenario() -> float:
        first = gate.engine.version
        stop = asyncio.Event()
        async with client(gate) as http:
            started = time.monotonic()
            tasks = [asyncio.create_task(flood(http, stop)), asyncio.create_task(known(http, stop))]
            await asyncio.sleep(FLOOD)
            edit(policy, without_illinois_rule)  # a published policy change, during the flood
            try:
                await until(lambda: gate.engine.version != first, 1.0 + SLACK)
            finally:
                stop.set()
                await asyncio.gather(*tasks)
            elapsed = time.monotonic() - started
            # The edit opened Illinois: the known issuer's police get 200 now.
            await timed(http, token(key, KNOWN_ISSUER, "known", "US-IL", "after"), known_answers)
            assert known_answers[-1][0] == 200
        await gate.aclose()
        return elapsed

    elapsed = asyncio.run(scenario())
    settled = time.monotonic() + SLACK  # the server's threads may lag behind the client a bit
    while time.monotonic() < settled and (
        len(trickling.fetches) < slow.fetches or trickling.open_now
    ):
        time.sleep(0.02)

    assert unknown_answers
    assert {status for status, _ in unknown_answers} == {401}
    assert max(took for _, took in unknown_answers) < DEADLINE + SLACK
    assert {status for status, _ in known_answers[:-1]} <= {451, 200}
    assert max(took for _, took in known_answers) < SLACK
    # Single flight, and no more fetches than the refresh interval allows.
    assert trickling.most_open == 1
    assert 1 <= len(trickling.fetches) <= elapsed / MIN_REFRESH + 1
    assert slow.fetches == len(trickling.fetches)
    # Each fetch really ended at its deadline: the client closed the connection.
    for fetch in trickling.fetches:
        assert fetch.closed is not None, "a fetch outlived its deadline"
        assert fetch.closed - fetch.opened < DEADLINE + SLACK
