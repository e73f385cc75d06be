"""The embedded server the suite and the demo start when no DSN is given."""

from __future__ import annotations

import socket

import psycopg
import pytest

from jurisgate.adapters.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError

pytestmark = pytest.mark.postgres


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_private_server_starts_on_loopback_and_is_gone_after_stop() -> None:
    server = EmbeddedPostgres()
    with pytest.raises(EmbeddedPostgresError, match="not running"):
        _ = server.dsn
    dsn = server.start()
    try:
        assert dsn.startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()
            listen = conn.execute("SHOW listen_addresses").fetchone()
        assert version is not None
        assert int(str(version[0])) >= 180000
        assert listen == ("127.0.0.1",)
        assert server.start() == dsn  # starting twice is the same server
    finally:
        server.stop()
    assert not _listening(server.port)
    server.stop()  # a second stop is harmless
