"""A throw-away redis-server per test, on a free loopback port; never the machine's Redis.

Tests kill, pause (SIGSTOP) and restart it to show what a Redis outage costs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

from jurisgate.middleware import TrustedIssuer
from jurisgate.middleware.clock import parse_instant

from ...fixtures.servers import free_port
from ...fixtures.tokens import hs256_token

if TYPE_CHECKING:
    from .topologies import Cluster, Sentinels

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

ISSUER = "https://idp.test.invalid"
AUDIENCE = "face-search-api"
HMAC_KEY = b"jurisgate-test-issuer-key-0123456789abcdef"
CACHE_SECRET = "test-cache-secret-0123456789abcdef"
# Decisions are made for this instant (a FixedClock); tokens are valid around it.
AT = parse_instant("2026-11-01T12:00:00Z")


class RedisServer:
    """One redis-server process bound to 127.0.0.1:port, no persistence; ``args`` are added to
    its command line (cluster mode, passwords, ``--replicaof``, ``--sentinel``)."""

    def __init__(
        self, port: int, workdir: Path, args: Sequence[str] = (), *, config: Path | None = None
    ) -> None:
        self.port = port
        self.workdir = workdir
        self.args = tuple(args)
        self.config = config  # a config file (Sentinel needs one it can rewrite)
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"redis-{port}.log"  # what it said, quoted if it fails to start
        self.paused = False

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._spawn(log)

    def _spawn(self, log: IO[bytes]) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                *([str(self.config)] if self.config is not None else []),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
                "--daemonize", "no",
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = self.log.read_text(encoding="utf-8", errors="replace")[-600:]
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}: {said}")
            time.sleep(0.02)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                # A server with a password answers -NOAUTH: it is up all the same.
                return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: Redis vanishes mid-run, connections reset."""
        if self.process is not None:
            if self.paused:
                self.resume()
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: Redis accepts connections (the kernel does) but never answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.paused:
            self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("no redis-server binary")
    server = RedisServer(free_port(), tmp_path)
    try:
        server.start()
    except RuntimeError:  # the port was taken between choosing and binding it: another one
        server = RedisServer(free_port(), tmp_path)
        server.start()
    try:
        yield server
    finally:
        server.stop()


def _server_version() -> tuple[int, ...]:
    out = subprocess.run([REDIS_SERVER, "--version"], capture_output=True, text=True, check=True)
    version = out.stdout.split("v=", 1)[1].split()[0]
    return tuple(int(part) for part in version.split(".")[:2])


@pytest.fixture
def redis_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Three primaries with a replica each (topologies.py); parametrize it
    indirectly with another number of replicas per primary."""
    from .topologies import REDIS_CLI, Cluster

    if not (os.access(REDIS_SERVER, os.X_OK) and os.access(REDIS_CLI, os.X_OK)):
        pytest.skip("no redis-server or redis-cli binary")
    if _server_version() < (7, 0):
        pytest.skip("sharded pub/sub needs Redis >= 7.0")
    cluster = Cluster(tmp_path, replicas=getattr(request, "param", 1))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_sentinels(tmp_path: Path) -> Iterator[Sentinels]:
    """A primary, a replica and two sentinels (topologies.py)."""
    from .topologies import Sentinels

    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("no redis-server binary")
    sentinels = Sentinels(tmp_path)
    try:
        try:
            sentinels.start()
        except RuntimeError:  # a port taken between choosing and binding it: other ports
            sentinels.stop()
            sentinels = Sentinels(tmp_path)
            sentinels.start()
        yield sentinels
    finally:
        sentinels.stop()


@pytest.fixture(autouse=True)
def _no_machine_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests pass their own URL and secret; nothing may fall back to ambient settings.
    monkeypatch.delenv("JURISGATE_CACHE_SECRET", raising=False)
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)


@pytest.fixture(scope="session")
def issuer() -> TrustedIssuer:
    return TrustedIssuer(ISSUER, AUDIENCE, ("HS256",), HMAC_KEY)


MakeToken = Callable[..., str]


@pytest.fixture(scope="session")
def make_token() -> MakeToken:
    """A signed test token for ``entity_type``/``country``/``region`` (None leaves it out)."""

    def make(entity_type: str, country: str, region: str | None = None, sub: str = "c") -> str:
        agency = region if entity_type.startswith(("state_", "local_")) else None
        return hs256_token(
            HMAC_KEY,
            {"entity_type": entity_type, "country": country, "region": region,
             "agency_region": agency},  # a state or local agency at home (ISO codes here)
            issuer=ISSUER, audience=AUDIENCE, now=AT, lifetime=3600, subject=sub,
        )  # fmt: skip

    return make
