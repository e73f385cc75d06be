"""The registry's tables, as numbered migrations (``jurisgate subjects init`` applies the ones a
database has not seen, in one transaction, under the registry's write lock).

Append-only is enforced by the database, not only by our code: triggers refuse UPDATE, DELETE
and TRUNCATE on the suppression log and the audit chain, and anything but the one status step
(``received`` to ``active``) on a request. A role that owns the tables can still drop a trigger;
grant the application a role that does not own them (see the admin guide).
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "WRITE_LOCK"]

# pg_advisory_xact_lock key for every write that takes a sequence number ("jurisgat" in ASCII).
WRITE_LOCK: Final = 0x6A75726973676174

_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION jurisgate_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'jurisgate: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
"""

_REQUEST_STEP = """
CREATE OR REPLACE FUNCTION jurisgate_request_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'jurisgate: opt-out requests are never deleted (% refused)', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status')
     OR NOT (OLD.status = NEW.status OR (OLD.status = 'received' AND NEW.status = 'active')) THEN
    RAISE EXCEPTION 'jurisgate: an opt-out request only steps from received to active'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""


def _append_only(table: str) -> tuple[str, str]:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION jurisgate_refuse_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION jurisgate_refuse_change()",
    )


_V1: Final = (
    _APPEND_ONLY,
    _REQUEST_STEP,
    "CREATE SEQUENCE jurisgate_subject_seq",
    "CREATE SEQUENCE jurisgate_subject_audit_seq",
    """CREATE TABLE jurisgate_optout_requests (
        request_id uuid PRIMARY KEY,
        idempotency_scope text NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
        received_at timestamptz NOT NULL,
        basis text NOT NULL CHECK (basis <> ''),
        jurisdiction text NOT NULL CHECK (jurisdiction <> ''),
        consent_version text NOT NULL CHECK (consent_version <> ''),
        status text NOT NULL CHECK (status IN ('received', 'active')),
        effective_by timestamptz NOT NULL,
        photo_sha256 text NOT NULL CHECK (photo_sha256 ~ '^[0-9a-f]{64}$'),
        contact_hmac text,
        status_token_sha256 text NOT NULL,
        receipt bytea NOT NULL,
        UNIQUE (idempotency_scope, idempotency_key))""",
    "CREATE TRIGGER jurisgate_optout_requests_step BEFORE UPDATE OR DELETE"
    " ON jurisgate_optout_requests FOR EACH ROW EXECUTE FUNCTION jurisgate_request_step()",
    "CREATE TRIGGER jurisgate_optout_requests_no_truncate BEFORE TRUNCATE"
    " ON jurisgate_optout_requests FOR EACH STATEMENT EXECUTE FUNCTION jurisgate_refuse_change()",
    """CREATE TABLE jurisgate_optout_photos (
        request_id uuid PRIMARY KEY REFERENCES jurisgate_optout_requests,
        photo bytea NOT NULL)""",
    """CREATE TABLE jurisgate_match_jobs (
        request_id uuid PRIMARY KEY REFERENCES jurisgate_optout_requests,
        state text NOT NULL CHECK (state IN ('pending', 'done')),
        lease_until timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        finished_at timestamptz)""",
    """CREATE TABLE jurisgate_suppressions (
        seq bigint PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('entry')),
        key text NOT NULL CHECK (key <> ''),
        rule_id text NOT NULL CHECK (rule_id <> ''),
        request_id uuid REFERENCES jurisgate_optout_requests,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (kind, key))""",
    *_append_only("jurisgate_suppressions"),
    """CREATE TABLE jurisgate_suppression_revocations (
        seq bigint PRIMARY KEY,
        suppression_seq bigint NOT NULL UNIQUE REFERENCES jurisgate_suppressions,
        reason text NOT NULL CHECK (reason <> ''),
        actor text NOT NULL CHECK (actor <> ''),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp())""",
    *_append_only("jurisgate_suppression_revocations"),
    """CREATE TABLE jurisgate_subject_audit (
        seq bigint PRIMARY KEY,
        body text NOT NULL,
        prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'))""",
    *_append_only("jurisgate_subject_audit"),
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1,)
