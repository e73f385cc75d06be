"""The data-subject registry on PostgreSQL, the system of record for opt-outs.

Tables (created and migrated by ``jurisgate subjects init``; names start ``jurisgate_``):

- ``optout_requests``: one row per request: server-made id, idempotency scope and key, the
  payload's fingerprint, received time, basis (a rule id), attested jurisdiction, consent text
  version, status, ``effective_by``, the photo's SHA-256, an HMAC of the contact, the receipt
  exactly as first sent. Never the photo, never a name. Only ``status`` may change, and only
  from ``received`` to ``active``; rows are never deleted (triggers refuse it).
- ``optout_photos``: the photo, only until its match job completes (deleted then, in the same
  transaction): the matcher needs it after a crash, and nothing needs it afterwards.
- ``match_jobs``: the queue, leased with ``FOR UPDATE SKIP LOCKED``.
- ``suppressions`` and ``suppression_revocations``: append-only (triggers refuse UPDATE, DELETE
  and TRUNCATE); one sequence numbers both, so a replica replays them in order. A suppression
  is unique per kind and key (insert-or-nothing); it is lifted only by a revocation row.
- ``subject_audit``: append-only and hash-chained: each row's ``hash`` is
  ``sha256(prev_hash + "\\n" + body)``, ``body`` the row's canonical JSON.

Every write that takes a sequence number first takes one transaction-level advisory lock, so
sequence order is commit order: a replica that has applied ``seq`` N can never later miss a
row below N committed by a slower transaction. psycopg's errors (the set that
``third_party.errors_of`` names, the project's one translation table) become
RegistryUnavailable here.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Final

import psycopg
from psycopg.conninfo import make_conninfo

from jurisgate.middleware.subjects.errors import IdempotencyConflict, RegistryUnavailable
from jurisgate.middleware.subjects.model import (
    OptOutSubmission,
    SubmitOutcome,
    SuppressionChange,
)
from jurisgate.middleware.subjects.registry import (
    AuditCheck,
    FaultHook,
    MakeReceipt,
    MatchJob,
)
from jurisgate.middleware.third_party import errors_of

from .postgres_subjects_schema import MIGRATIONS, WRITE_LOCK

__all__ = ["GENESIS", "PostgresSubjectRegistry"]

GENESIS: Final = "0" * 64
_Conn = psycopg.AsyncConnection[tuple[object, ...]]


class PostgresSubjectRegistry:
    """Implements ``SubjectRegistry``. Each call opens its own short connection (opt-outs are
    rare; a dead connection is never reused), with client-side deadlines on every step."""

    def __init__(
        self,
        dsn: str | Callable[[], str],
        *,
        effective_within: timedelta = timedelta(days=1),
        connect_timeout: int = 5,
        statement_timeout_ms: int = 5000,
        faults: FaultHook | None = None,
    ) -> None:
        self._effective_within = effective_within
        self._dsn = dsn  # a callable is asked on every connect (a server started later)
        # Client-side deadlines on every step: connect, each statement, and a dead peer
        # (keepalives and TCP_USER_TIMEOUT end a black-holed connection; issue #12).
        self._options: dict[str, str | int] = dict(
            connect_timeout=connect_timeout,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            tcp_user_timeout=statement_timeout_ms + 5000,
            options=f"-c statement_timeout={statement_timeout_ms} -c lock_timeout=4000",
        )
        self._faults = faults

    def __repr__(self) -> str:
        return "PostgresSubjectRegistry()"  # never the DSN: it may hold a password

    async def init(self) -> None:
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS jurisgate_subjects_schema ("
                " version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            row = await (
                await conn.execute(
                    "SELECT coalesce(max(version), 0) FROM jurisgate_subjects_schema"
                )
            ).fetchone()
            current = int(str(row[0])) if row else 0
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO jurisgate_subjects_schema (version) VALUES (%s)", (version,)
                )

    async def submit(
        self, submission: OptOutSubmission, photo: bytes, make_receipt: MakeReceipt
    ) -> SubmitOutcome:
        async with self._transaction() as conn:
            scope, key = submission.idempotency_scope, submission.idempotency_key
            key_lock = f"{len(scope)}:{scope}{key}"  # one lock per (scope, key)
            got = await (
                await conn.execute(
                    "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", (key_lock,)
                )
            ).fetchone()
            if not got or got[0] is not True:
                raise IdempotencyConflict("in_flight")
            found = await (
                await conn.execute(
                    "SELECT request_id, fingerprint, receipt FROM jurisgate_optout_requests"
                    " WHERE idempotency_scope = %s AND idempotency_key = %s",
                    (submission.idempotency_scope, submission.idempotency_key),
                )
            ).fetchone()
            if found is not None:
                if found[1] != submission.fingerprint:
                    raise IdempotencyConflict("other_payload")
                return SubmitOutcome(str(found[0]), False, _bytes(found[2]), None)
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            request_id = str(uuid.uuid4())
            received = await _db_now(conn)
            effective_by = received + self._effective_within
            token = secrets.token_urlsafe(32)
            receipt = make_receipt(request_id, _iso(received), _iso(effective_by), token)
            await conn.execute(
                "INSERT INTO jurisgate_optout_requests (request_id, idempotency_scope,"
                " idempotency_key, fingerprint, received_at, basis, jurisdiction,"
                " consent_version, status, effective_by, photo_sha256, contact_hmac,"
                " status_token_sha256, receipt)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'received', %s, %s, %s, %s, %s)",
                (
                    request_id,
                    submission.idempotency_scope,
                    submission.idempotency_key,
                    submission.fingerprint,
                    received,
                    submission.basis,
                    submission.jurisdiction,
                    submission.consent_version,
                    effective_by,
                    submission.photo_sha256,
                    submission.contact_hmac,
                    _sha256(token),
                    receipt,
                ),
            )
            await conn.execute(
                "INSERT INTO jurisgate_optout_photos (request_id, photo) VALUES (%s, %s)",
                (request_id, photo),
            )
            await conn.execute(
                "INSERT INTO jurisgate_match_jobs (request_id, state) VALUES (%s, 'pending')",
                (request_id,),
            )
            await _audit(
                conn,
                "request_accepted",
                {
                    "request_id": request_id,
                    "basis": submission.basis,
                    "jurisdiction": submission.jurisdiction,
                    "photo_sha256": submission.photo_sha256,
                },
            )
            self._fault("after_insert")
        self._fault("after_commit")
        return SubmitOutcome(request_id, True, receipt, token)

    async def status(self, request_id: str, status_token: str) -> dict[str, str] | None:
        try:
            uuid.UUID(request_id)
        except ValueError:
            return None
        async with self._connection() as conn:
            found = await (
                await conn.execute(
                    "SELECT status, received_at, effective_by FROM jurisgate_optout_requests"
                    " WHERE request_id = %s AND status_token_sha256 = %s",
                    (request_id, _sha256(status_token)),
                )
            ).fetchone()
        if found is None:
            return None
        status, received, effective_by = found
        return {
            "request_id": request_id,
            "status": str(status),
            "received_at": _iso(received),
            "effective_by": _iso(effective_by),
        }

    async def claim_job(self, lease_seconds: float) -> MatchJob | None:
        async with self._transaction() as conn:
            claimed = await (
                await conn.execute(
                    "UPDATE jurisgate_match_jobs j SET attempts = j.attempts + 1,"
                    " lease_until = clock_timestamp() + make_interval(secs => %s)"
                    " WHERE j.request_id = ("
                    "  SELECT request_id FROM jurisgate_match_jobs"
                    "  WHERE state = 'pending'"
                    "   AND (lease_until IS NULL OR lease_until < clock_timestamp())"
                    "  ORDER BY request_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                    " RETURNING j.request_id, j.attempts",
                    (lease_seconds,),
                )
            ).fetchone()
            if claimed is None:
                return None
            request_id, attempt = str(claimed[0]), int(str(claimed[1]))
            found = await (
                await conn.execute(
                    "SELECT p.photo, r.photo_sha256 FROM jurisgate_optout_photos p"
                    " JOIN jurisgate_optout_requests r USING (request_id)"
                    " WHERE p.request_id = %s",
                    (request_id,),
                )
            ).fetchone()
        if found is None:
            return None
        return MatchJob(request_id, attempt, _bytes(found[0]), str(found[1]))

    async def complete_job(self, job: MatchJob, entries: Sequence[str], rule_id: str) -> bool:
        async with self._transaction() as conn:
            held = await (
                await conn.execute(
                    "SELECT 1 FROM jurisgate_match_jobs WHERE request_id = %s"
                    " AND state = 'pending' AND attempts = %s FOR UPDATE",
                    (job.request_id, job.attempt),
                )
            ).fetchone()
            if held is None:
                return False  # done already, or another worker took the lapsed lease over
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            added = 0
            for entry in dict.fromkeys(entries):
                row = await (
                    await conn.execute(
                        "INSERT INTO jurisgate_suppressions (seq, kind, key, rule_id, request_id)"
                        " VALUES (nextval('jurisgate_subject_seq'), 'entry', %s, %s, %s)"
                        " ON CONFLICT (kind, key) DO NOTHING RETURNING seq",
                        (entry, rule_id, job.request_id),
                    )
                ).fetchone()
                if row is not None:
                    added += 1
                    await _audit(
                        conn,
                        "suppression_added",
                        {
                            "suppression_seq": row[0],
                            "kind": "entry",
                            "key": entry,
                            "rule": rule_id,
                            "request_id": job.request_id,
                        },
                    )
            await _audit(
                conn,
                "matcher_run",
                {
                    "request_id": job.request_id,
                    "attempt": job.attempt,
                    "matched": len(set(entries)),
                    "added": added,
                },
            )
            await conn.execute(
                "UPDATE jurisgate_optout_requests SET status = 'active' WHERE request_id = %s",
                (job.request_id,),
            )
            await conn.execute(
                "UPDATE jurisgate_match_jobs SET state = 'done', finished_at = clock_timestamp()"
                " WHERE request_id = %s",
                (job.request_id,),
            )
            await conn.execute(
                "DELETE FROM jurisgate_optout_photos WHERE request_id = %s", (job.request_id,)
            )
        return True

    async def revoke(self, entry: str, *, reason: str, actor: str) -> bool:
        if not reason.strip() or not actor.strip():
            raise ValueError("a revocation needs a reason and an actor")
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            row = await (
                await conn.execute(
                    "SELECT s.seq FROM jurisgate_suppressions s"
                    " LEFT JOIN jurisgate_suppression_revocations r ON r.suppression_seq = s.seq"
                    " WHERE s.kind = 'entry' AND s.key = %s AND r.seq IS NULL",
                    (entry,),
                )
            ).fetchone()
            if row is None:
                return False
            revoked = await (
                await conn.execute(
                    "INSERT INTO jurisgate_suppression_revocations"
                    " (seq, suppression_seq, reason, actor)"
                    " VALUES (nextval('jurisgate_subject_seq'), %s, %s, %s) RETURNING seq",
                    (row[0], reason, actor),
                )
            ).fetchone()
            await _audit(
                conn,
                "suppression_revoked",
                {
                    "revocation_seq": revoked[0] if revoked else None,
                    "suppression_seq": row[0],
                    "kind": "entry",
                    "key": entry,
                    "reason": reason,
                    "actor": actor,
                },
            )
        return True

    async def changes_since(self, seq: int, *, limit: int) -> tuple[list[SuppressionChange], int]:
        async with self._connection() as conn:
            head_row = await (
                await conn.execute(
                    "SELECT greatest((SELECT coalesce(max(seq), 0) FROM jurisgate_suppressions),"
                    " (SELECT coalesce(max(seq), 0) FROM jurisgate_suppression_revocations))"
                )
            ).fetchone()
            rows = await (
                await conn.execute(
                    "SELECT seq, kind, key, true FROM jurisgate_suppressions WHERE seq > %s"
                    " UNION ALL"
                    " SELECT r.seq, s.kind, s.key, false FROM jurisgate_suppression_revocations r"
                    " JOIN jurisgate_suppressions s ON s.seq = r.suppression_seq WHERE r.seq > %s"
                    " ORDER BY 1 LIMIT %s",
                    (seq, seq, limit),
                )
            ).fetchall()
        head = int(str(head_row[0])) if head_row else 0
        changes = [
            SuppressionChange(int(str(r[0])), str(r[1]), str(r[2]), r[3] is True) for r in rows
        ]
        return changes, head

    async def verify_audit(self) -> AuditCheck:
        previous = GENESIS
        count = 0
        async with self._connection() as conn:
            cursor = conn.cursor()
            await cursor.execute(
                "SELECT seq, body, prev_hash, hash FROM jurisgate_subject_audit ORDER BY seq"
            )
            async for seq, body, prev_hash, digest in cursor:
                count += 1
                number = int(str(seq))
                if prev_hash != previous:
                    return AuditCheck(count, number, "prev_hash does not name the row before")
                if digest != _chain(previous, str(body)):
                    return AuditCheck(count, number, "hash does not match the row's content")
                try:
                    claimed = json.loads(str(body)).get("seq")
                except (ValueError, AttributeError):
                    claimed = None
                if claimed != number:
                    return AuditCheck(count, number, "the body names another sequence number")
                previous = str(digest)
        return AuditCheck(count, None, None)

    async def aclose(self) -> None:
        return None  # no connection outlives a call

    def _fault(self, point: str) -> None:
        if self._faults is not None:
            self._faults(point)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Conn]:
        try:
            dsn = self._dsn() if callable(self._dsn) else self._dsn
            conn = await psycopg.AsyncConnection.connect(
                make_conninfo(dsn, **self._options), autocommit=True
            )
        except errors_of("psycopg") as exc:
            raise _unavailable(exc) from exc
        try:
            async with conn:
                yield conn
        except errors_of("psycopg") as exc:
            raise _unavailable(exc) from exc

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Conn]:
        async with self._connection() as conn:
            try:
                async with conn.transaction():
                    yield conn
            except errors_of("psycopg") as exc:
                raise _unavailable(exc) from exc


async def _db_now(conn: _Conn) -> datetime:
    row = await (await conn.execute("SELECT clock_timestamp()")).fetchone()
    if row is None or not isinstance(row[0], datetime):
        raise RegistryUnavailable("the registry did not say what time it is")
    return row[0].astimezone(UTC)


async def _audit(conn: _Conn, event: str, detail: dict[str, object]) -> None:
    """Append one chained audit row; the caller holds WRITE_LOCK."""
    if {"seq", "at", "event"} & detail.keys():
        raise ValueError("an audit row's detail cannot name seq, at or event")
    last = await (
        await conn.execute("SELECT hash FROM jurisgate_subject_audit ORDER BY seq DESC LIMIT 1")
    ).fetchone()
    previous = str(last[0]) if last else GENESIS
    seq_row = await (await conn.execute("SELECT nextval('jurisgate_subject_audit_seq')")).fetchone()
    seq = int(str(seq_row[0])) if seq_row else 0
    body = json.dumps(
        {"seq": seq, "at": _iso(await _db_now(conn)), "event": event, **detail},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    await conn.execute(
        "INSERT INTO jurisgate_subject_audit (seq, body, prev_hash, hash) VALUES (%s, %s, %s, %s)",
        (seq, body, previous, _chain(previous, body)),
    )


def _chain(previous: str, body: str) -> str:
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes | memoryview):
        raise RegistryUnavailable("the registry answered a value of the wrong type")
    return bytes(value)


def _iso(instant: object) -> str:
    if not isinstance(instant, datetime):
        raise RegistryUnavailable("the registry answered a value of the wrong type")
    return instant.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _unavailable(exc: BaseException) -> RegistryUnavailable:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return RegistryUnavailable(f"the subject registry failed ({type(exc).__name__}: {detail})")
