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
row, and an edit made with plain SQL is noticed too. psycopg errors become PolicyError (or its
PolicyUnavailable) here.

Every call has a client-side deadline (``timeout``, ``[policy] store_timeout``): connecting
is bounded by libpq's ``connect_timeout`` (whole seconds, at least 2), the rest of the call by
a SocketDeadline that shuts the socket down when time runs out (a push: at least 60 s), so a
black-holed server costs one call ``timeout`` seconds and a fresh connection, never a thread
forever. Such failures (and any other error of the server's) are PolicyUnavailable: the
reloader tries again rather than refuse a policy it never saw. TCP keepalives and
``tcp_user_timeout`` are set too (defaults below; the DSN's own values win), for a dead peer
noticed by the kernel between calls, and ``statement_timeout`` makes the server give up too.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from jurisgate.adapters.socket_deadline import SocketDeadline
from jurisgate.middleware.config.store import connect_timeout
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.errors import PolicyError, PolicyUnavailable
from jurisgate.middleware.third_party import errors_of

__all__ = ["DEFAULT_TABLE", "PostgresPolicyStore"]

DEFAULT_TABLE: Final = "jurisgate_policy"
_TABLE_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# libpq settings for a peer that dies between calls; a DSN that sets one keeps its own value.
_KEEPALIVES: Final = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
_PUSH_DEADLINE: Final = 60.0  # seconds, for replace()
T = TypeVar("T")


class PostgresPolicyStore:
    """The rows of one policy table. Thread-safe: calls share one connection under a lock.

    ``timeout`` (seconds, defaults to 5) bounds each call; see the module docstring.
    """

    def __init__(self, dsn: str, *, table: str = DEFAULT_TABLE, timeout: float = 5.0) -> None:
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError("table must be 1-63 lower-case letters, digits or '_'")
        if not 0.1 <= timeout <= 300:
            raise ValueError("timeout must be between 0.1 and 300 seconds")
        self.table = table
        self.origin = f"postgresql:{table}"
        self.timeout = timeout
        self._conninfo = _with_deadlines(dsn, timeout)  # holds the password: never shown
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

        # A push also compiles the policy twice (``check``) while its transaction is open, and
        # a person is waiting for it: a minute at least, not a poll's few seconds.
        return self._run(write, deadline=max(self.timeout, _PUSH_DEADLINE))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _run(
        self,
        work: Callable[[psycopg.Connection[tuple[object, ...]]], T],
        *,
        deadline: float | None = None,
    ) -> T:
        seconds = self.timeout if deadline is None else deadline
        with self._lock:
            expiry: SocketDeadline | None = None
            try:
                conn, fresh = self._conn, False
                if conn is None or conn.closed:
                    self._conn = None
                    conn = psycopg.connect(self._conninfo, autocommit=True)
                    self._conn, fresh = conn, True
                with SocketDeadline(conn.fileno(), seconds) as expiry:
                    if fresh:  # the server gives up too, so no query outlives our deadline
                        conn.execute(f"SET statement_timeout = {math.ceil(self.timeout * 1000)}")
                    return work(conn)
            except psycopg.errors.UndefinedTable as exc:
                raise PolicyError(
                    f"{self.origin}: the table does not exist; push a policy first"
                ) from exc
            except errors_of("psycopg") as exc:
                expired = expiry is not None and expiry.expired
                if self._conn is not None and (self._conn.broken or expired):
                    self._conn.close()
                    self._conn = None
                if expired:
                    raise PolicyUnavailable(
                        f"{self.origin}: no answer within {seconds:g} s (store_timeout); "
                        "the connection is dropped and opened again on the next call"
                    ) from exc
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise PolicyUnavailable(
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
        if not all(isinstance(value, str) for value in values):  # a table without our CHECK
            raise PolicyError(f"{self.origin}#{position}: a value is NULL (not a policy row)")
        return PolicyRow(ptype, tuple(values), f"{self.origin}#{position}")


def _with_deadlines(dsn: str, timeout: float) -> str:
    """``dsn`` with the deadline and keepalive settings it leaves out (its own values win)."""
    try:
        given = conninfo_to_dict(dsn)
    except errors_of("psycopg"):
        raise PolicyError("[policy] store is not a valid PostgreSQL connection URL") from None
    wanted: dict[str, int] = {
        "connect_timeout": connect_timeout(timeout),  # libpq counts whole seconds, >= 2
        **_KEEPALIVES,
        "tcp_user_timeout": math.ceil(timeout * 1000),  # unacknowledged data, milliseconds
    }
    return make_conninfo(dsn, **{key: v for key, v in wanted.items() if key not in given})
