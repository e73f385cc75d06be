"""Fixtures for the data-subject registry tests: a fresh database per test, a receipt key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from jurisgate.middleware.subjects import ReceiptSigner


@pytest.fixture
def subjects_dsn(pg_server: str) -> Iterator[str]:
    """A database of this test's own (the registry's tables and sequences are global)."""
    if pg_server == "skip":
        pytest.skip("JURISGATE_TEST_PG_DSN=skip")
    name = f"jurisgate_subjects_{secrets.token_hex(5)}"
    with psycopg.connect(pg_server, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(pg_server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(pg_server, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def signer() -> ReceiptSigner:
    return ReceiptSigner(Ed25519PrivateKey.generate())
