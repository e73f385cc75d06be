"""A policy kept in PostgreSQL: one table of rows, replaced whole by ``jurisgate policy push``.

Why not a Casbin SQL adapter from PyPI (issue #3, checked 2026-11): ``casbin-sqlalchemy-adapter``
1.4.0 requires the old ``casbin`` distribution, which overwrites pycasbin's ``casbin`` import
name; its successor ``sqlalchemy-adapter`` 1.9.0 stores six values per row (``v0``..``v5``, a
custom ``db_class`` must have exactly those) and reloads a row by joining it with commas and
splitting it again, so our eleven fields and citations such as "ACLU v. Clearview AI, Inc."
do not survive a round trip. This table keeps each row's values as an ordered ``text[]``::

    position integer primary key   -- 1, 2, ... in the pushed file's order
    ptype    text                  -- "p"
    vals     text[]                -- the values after the ptype, never split or joined
    origin   text                  -- where the row was pushed from, e.g. "policy.csv:12"

Loaded rows are named ``postgresql:<table>#<position>`` in messages (never the DSN: it may hold a
password). ``content_version()`` hashes the table in the database, so replicas poll one short
row, and an edit made with plain SQL is noticed too. psycopg errors become PolicyError here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import psycopg
from psycopg import sql

from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.errors import PolicyError
from jurisgate.middleware.third_party import errors_of

__all__ = ["DEFAULT_TABLE", "PostgresPolicyStore"]

DEFAULT_TABLE: Final = "jurisgate_policy"
_TABLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_STATEMENT_TIMEOUT_MS: Final = 5000  # a hung server must not hang a reload thread forever
T = TypeVar("T")


class PostgresPolicyStore:
    """The rows of one policy table. Thread-safe: calls share one connection under a lock."""

    def __init__(self, dsn: str, *, table: str = DEFAULT_TABLE, connect_timeout: int = 5) -> None:
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError("table must be 1-63 lower-case letters, digits or '_'")
        self._dsn = dsn
        self.table = table
        self.origin = f"postgresql:{table}"
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def __repr__(self) -> str:
        return f"PostgresPolicyStore(table={self.table!r})"  # never the DSN

    def load_rows(self) -> tuple[PolicyRow, ...]:
        """Every row, in position order. Raises PolicyError when absent, empty or unreachable."""
        query = sql.SQL("SELECT position, ptype, vals FROM {} ORDER BY position")
        found = self._run(lambda conn: conn.execute(query.format(self._ident())).fetchall())
        if not found:
            raise PolicyError(f"{self.origin}: the table holds no rows; push a policy first")
        return tuple(self._row(record) for record in found)

    def content_version(self) -> str:
        """A hash of the table's content, computed by the server (cheap to poll)."""
        query = sql.SQL(
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.position), '')) FROM {} t"
        ).format(self._ident())
        found = self._run(lambda conn: conn.execute(query).fetchone())
        return str(found[0]) if found else ""

    def replace(
        self, rows: Sequence[PolicyRow], *, check: Callable[[tuple[PolicyRow, ...]], None]
    ) -> tuple[PolicyRow, ...]:
        """Replace every row in one transaction; ``check`` sees the rows as stored and read back,
        and anything it raises rolls the whole push back. Returns the stored rows."""

        def write(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[PolicyRow, ...]:
            with conn.transaction():
                self._create(conn)
                # Two pushes at once would interleave their rows; readers are not blocked.
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self._ident()))
                conn.execute(sql.SQL("DELETE FROM {}").format(self._ident()))
                insert = sql.SQL(
                    "INSERT INTO {} (position, ptype, vals, origin) VALUES (%s, %s, %s, %s)"
                ).format(self._ident())
                with conn.cursor() as cursor:
                    cursor.executemany(
                        insert,
                        [
                            (n, row.ptype, list(row.values), row.source)
                            for n, row in enumerate(rows, start=1)
                        ],
                    )
                query = sql.SQL("SELECT position, ptype, vals FROM {} ORDER BY position")
                stored = tuple(self._row(r) for r in conn.execute(query.format(self._ident())))
                check(stored)
                return stored

        return self._run(write)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _run(self, work: Callable[[psycopg.Connection[tuple[object, ...]]], T]) -> T:
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(
                        self._dsn, autocommit=True, connect_timeout=self._connect_timeout
                    )
                    self._conn.execute(f"SET statement_timeout = {_STATEMENT_TIMEOUT_MS}")
                return work(self._conn)
            except psycopg.errors.UndefinedTable as exc:
                raise PolicyError(
                    f"{self.origin}: the table does not exist; push a policy first"
                ) from exc
            except errors_of("psycopg") as exc:
                if self._conn is not None and self._conn.broken:
                    self._conn.close()
                    self._conn = None
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise PolicyError(
                    f"{self.origin}: PostgreSQL error ({type(exc).__name__}: {detail})"
                ) from exc

    def _create(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " position integer PRIMARY KEY CHECK (position > 0),"
                " ptype text NOT NULL CHECK (ptype <> ''),"
                " vals text[] NOT NULL"
                "  CHECK (array_ndims(vals) = 1 AND array_position(vals, NULL) IS NULL),"
                " origin text NOT NULL)"
            ).format(self._ident())
        )

    def _ident(self) -> sql.Identifier:
        return sql.Identifier(self.table)

    def _row(self, record: tuple[object, ...]) -> PolicyRow:
        position, ptype, values = record
        if not isinstance(ptype, str) or not isinstance(values, list):
            raise PolicyError(f"{self.origin}#{position}: not a policy row")
        return PolicyRow(ptype, tuple(str(v) for v in values), f"{self.origin}#{position}")
