"""A replica whose store connection is black-holed (the peer stops answering, no RST) says so
within a bound, and applies a change pushed meanwhile once the store answers again (issue #12).

The black hole is a TCP proxy of the test's own between the replica and the machine's
PostgreSQL: it stops reading both sides without closing anything, as a dropped route would.
"""

from __future__ import annotations

import asyncio
import logging
import math
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jurisgate.adapters.factory import open_store
from jurisgate.adapters.metrics import GateMetrics
from jurisgate.adapters.postgres_store import PostgresPolicyStore
from jurisgate.admin.push import push_policy
from jurisgate.middleware import PolicySettings, TrustedIssuer
from jurisgate.middleware.errors import PolicyError

from ..redis.app import client, gate, status_of, until
from ..redis.conftest import MakeToken
from .test_reload import without_illinois

pytestmark = pytest.mark.postgres

INTERVAL = 0.1  # [policy] watch_interval of the replica
TIMEOUT = 0.5  # [policy] store_timeout of the replica
# The documented bounds (README, "A store that stops answering"), with C = max(2, ceil(TIMEOUT)),
# libpq's connect timeout: degraded within INTERVAL + C + TIMEOUT + 1 s of the store going
# silent; a change applied within INTERVAL + C + TIMEOUT of it answering again. Plus two
# seconds of slack each, for a loaded 2-core machine.
CONNECT = max(2, math.ceil(TIMEOUT))
SAYS_DEGRADED = INTERVAL + CONNECT + TIMEOUT + 1.0 + 2.0
APPLIES = INTERVAL + CONNECT + TIMEOUT + 2.0


class BlackHoleProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` until ``black_hole()``: then it stops reading
    either side, closing nothing, until ``resume()``. Threads; ``close()`` ends them."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # closing it would not wake a thread blocked in accept
        self.port: int = self.listener.getsockname()[1]
        self.forwarding = threading.Event()
        self.forwarding.set()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def black_hole(self) -> None:
        self.forwarding.clear()

    def resume(self) -> None:
        self.forwarding.set()

    def close(self) -> None:
        self.closed.set()
        self.forwarding.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()
        for sock in list(self.sockets):
            sock.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            downstream.settimeout(None)
            upstream = socket.create_connection(self.upstream)
            self.sockets += [downstream, upstream]
            pump = threading.Thread(target=self._pump, args=(downstream, upstream), daemon=True)
            self.threads.append(pump)
            pump.start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        with selectors.DefaultSelector() as selector:
            selector.register(a, selectors.EVENT_READ)
            selector.register(b, selectors.EVENT_READ)
            while not self.closed.is_set():
                if not self.forwarding.wait(0.05):
                    continue  # black hole: nothing is read, so nothing is acknowledged upward
                for key, _ in selector.select(0.05):
                    try:
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            raise OSError("closed")
                        peer[key.fileobj].sendall(data)  # type: ignore[index]
                    except OSError:
                        a.close()
                        b.close()
                        return


@pytest.fixture
def proxy(store_settings: PolicySettings) -> Iterator[BlackHoleProxy]:
    assert store_settings.store is not None
    parts = urlsplit(store_settings.store)
    assert parts.hostname is not None
    proxy = BlackHoleProxy((parts.hostname, parts.port or 5432))
    yield proxy
    proxy.close()


def through(proxy: BlackHoleProxy, settings: PolicySettings) -> PolicySettings:
    """``settings`` with the store reached through ``proxy``, and the test's short deadlines."""
    assert settings.store is not None
    parts = urlsplit(settings.store)
    credentials = parts.netloc.rpartition("@")[0]
    url = parts._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}").geturl()
    return replace(settings, store=url, watch_interval=INTERVAL, store_timeout=TIMEOUT)


def test_a_store_call_ends_at_its_deadline_and_the_next_one_reconnects(
    store_settings: PolicySettings, pack_policy: Path, proxy: BlackHoleProxy
) -> None:
    push_policy(store_settings, pack_policy)
    store = open_store(through(proxy, store_settings))
    assert isinstance(store, PostgresPolicyStore)
    try:
        version = store.content_version()
        proxy.black_hole()
        started = time.monotonic()
        with pytest.raises(PolicyError, match=r"no answer within 0\.5 s"):
            store.content_version()
        assert time.monotonic() - started < TIMEOUT + 2.0
        proxy.resume()
        assert store.content_version() == version  # a fresh connection, the same table
    finally:
        store.close()


def test_a_black_holed_store_is_reported_and_a_push_applied_after_it_answers(
    store_settings: PolicySettings,
    pack_policy: Path,
    issuer: TrustedIssuer,
    make_token: MakeToken,
    caplog: pytest.LogCaptureFixture,
    proxy: BlackHoleProxy,
) -> None:
    direct, proxied = store_settings, through(proxy, store_settings)
    push_policy(direct, without_illinois(pack_policy))
    police = make_token("state_law_enforcement", "US", "US-IL")
    metrics = GateMetrics()
    caplog.set_level(logging.WARNING, logger="jurisgate.reload")

    def failing_gauge() -> float | None:
        return metrics.registry.get_sample_value("jurisgate_policy_checks_failing")

    async def scenario() -> None:
        replica = gate(issuer, redis_url=None, local_max_entries=100, policy=proxied)
        metrics.bind(replica)
        open_version = replica.engine.version
        try:
            async with client(replica) as http:
                assert await status_of(http, police) == 200  # Illinois is open; starts the watcher
                await until(lambda: replica.health()["status"] == "ok", 5)
                assert failing_gauge() == 0

                proxy.black_hole()
                await until(lambda: replica.health()["status"] == "degraded", SAYS_DEGRADED)
                assert failing_gauge() == 1
                failures = metrics.registry.get_sample_value(
                    "jurisgate_policy_check_failures_total"
                )
                assert failures is not None
                assert failures >= 1
                assert "cannot check the policy for changes" in caplog.text

                # The revocation comes in from elsewhere, while this replica cannot see it.
                await asyncio.to_thread(push_policy, direct, pack_policy)
                await asyncio.sleep(TIMEOUT)  # it keeps polling (and failing) meanwhile
                proxy.resume()
                await until(lambda: replica.engine.version != open_version, APPLIES)
                assert await status_of(http, police) == 451
                await until(lambda: replica.health()["status"] == "ok", 1)
                assert failing_gauge() == 0
                assert "the policy can be checked for changes again" in caplog.text
        finally:
            await replica.aclose()

    asyncio.run(scenario())
