"""The data-subject registry on a real PostgreSQL: idempotent submissions, append-only
suppressions enforced by the database, the hash chain, the job lease, the sync's fail-closed
rules."""

from __future__ import annotations

import asyncio
import hashlib
import json

import psycopg
import pytest

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware.clock import FixedClock
from jurisgate.middleware.subjects import (
    IdempotencyConflict,
    OptOutSubmission,
    ReceiptSigner,
    ReceiptVerifier,
    RegistryUnavailable,
    StaleSuppressions,
    SuppressionSync,
)
from jurisgate.middleware.subjects.matching import run_pending_jobs
from jurisgate.middleware.subjects.registry import MakeReceipt

from .conftest import unreachable_dsn
from .subjects_fixtures import signer, subjects_dsn

__all__ = ["signer", "subjects_dsn"]

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]

PHOTO = b"\xff\xd8\xff\xe0 a photo of nobody in particular"


def submission(key: str = "key-1", photo: bytes = PHOTO) -> OptOutSubmission:
    return OptOutSubmission(
        idempotency_scope="api",
        idempotency_key=key,
        basis="il-opt-out",
        jurisdiction="US-IL",
        consent_version="2026-12-01",
        photo_sha256=hashlib.sha256(photo).hexdigest(),
        contact_hmac=None,
    )


def receipts(signer: ReceiptSigner) -> MakeReceipt:
    return signer.for_submission(submission())


class Matcher:
    """The example's rule: a photo matches the entries listed for its digest."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries
        self.calls = 0

    async def match(self, photo: bytes, photo_sha256: str) -> list[str]:
        self.calls += 1
        return self.entries.get(photo_sha256, [])


@pytest.fixture
async def registry(subjects_dsn: str) -> PostgresSubjectRegistry:
    found = PostgresSubjectRegistry(subjects_dsn)
    await found.init()
    return found


def count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - test's own names
    assert row is not None
    return int(row[0])


async def test_init_is_idempotent(registry: PostgresSubjectRegistry, subjects_dsn: str) -> None:
    await registry.init()
    await registry.init()
    assert count(subjects_dsn, "jurisgate_subjects_schema") == 1


async def test_a_replay_is_the_same_receipt_and_one_row(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    first = await registry.submit(submission(), PHOTO, receipts(signer))
    again = await registry.submit(submission(), PHOTO, receipts(signer))
    assert first.created
    assert first.status_token is not None
    assert not again.created
    assert again.request_id == first.request_id
    assert again.receipt == first.receipt  # byte-identical
    assert ReceiptVerifier([signer.public_key]).verify(again.receipt)["request_id"] == (
        first.request_id
    )
    assert count(subjects_dsn, "jurisgate_optout_requests") == 1
    assert count(subjects_dsn, "jurisgate_match_jobs") == 1


async def test_a_key_reused_with_another_photo_is_refused(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner
) -> None:
    await registry.submit(submission(), PHOTO, receipts(signer))
    with pytest.raises(IdempotencyConflict) as caught:
        await registry.submit(submission(photo=b"another"), b"another", receipts(signer))
    assert caught.value.reason == "other_payload"


async def test_fifty_concurrent_posts_with_one_key_make_one_row(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    async def post() -> str:
        try:
            outcome = await registry.submit(submission("same"), PHOTO, receipts(signer))
        except IdempotencyConflict as exc:
            return exc.reason
        return "created" if outcome.created else "replay"

    outcomes = await asyncio.gather(*(post() for _ in range(50)))
    assert outcomes.count("created") == 1
    assert set(outcomes) <= {"created", "replay", "in_flight"}
    assert count(subjects_dsn, "jurisgate_optout_requests") == 1


async def test_one_person_twice_two_requests_one_suppression_per_entry(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    digest = hashlib.sha256(PHOTO).hexdigest()
    matcher = Matcher({digest: ["face-0003", "face-0007"]})
    await registry.submit(submission("a"), PHOTO, receipts(signer))
    await registry.submit(submission("b"), PHOTO, receipts(signer))
    assert await run_pending_jobs(registry, matcher) == 2
    assert count(subjects_dsn, "jurisgate_optout_requests") == 2
    assert count(subjects_dsn, "jurisgate_suppressions") == 2
    assert count(subjects_dsn, "jurisgate_optout_photos") == 0  # deleted once matched
    with psycopg.connect(subjects_dsn) as conn:
        events = [
            json.loads(row[0])["event"]
            for row in conn.execute("SELECT body FROM jurisgate_subject_audit ORDER BY seq")
        ]
    assert events.count("request_accepted") == 2
    assert events.count("suppression_added") == 2
    assert events.count("matcher_run") == 2


async def test_status_needs_the_capability_and_never_says_what_matched(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner
) -> None:
    outcome = await registry.submit(submission(), PHOTO, receipts(signer))
    assert outcome.status_token is not None
    assert await registry.status(outcome.request_id, "wrong") is None
    assert await registry.status("not-a-uuid", outcome.status_token) is None
    before = await registry.status(outcome.request_id, outcome.status_token)
    assert before is not None
    assert before["status"] == "received"
    await run_pending_jobs(registry, Matcher({}))  # nothing matched: still just "active"
    after = await registry.status(outcome.request_id, outcome.status_token)
    assert after is not None
    assert sorted(after) == ["effective_by", "received_at", "request_id", "status"]
    assert after["status"] == "active"


async def test_the_database_refuses_update_delete_and_truncate(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    digest = hashlib.sha256(PHOTO).hexdigest()
    await registry.submit(submission(), PHOTO, receipts(signer))
    await run_pending_jobs(registry, Matcher({digest: ["face-0003"]}))
    refused = [
        "UPDATE jurisgate_suppressions SET key = 'face-0004'",
        "DELETE FROM jurisgate_suppressions",
        "TRUNCATE jurisgate_suppressions CASCADE",
        "DELETE FROM jurisgate_subject_audit",
        "UPDATE jurisgate_subject_audit SET body = '{}'",
        "DELETE FROM jurisgate_optout_requests",
        "UPDATE jurisgate_optout_requests SET photo_sha256 = repeat('0', 64)",
        "UPDATE jurisgate_optout_requests SET status = 'received'",
    ]
    for statement in refused:
        with psycopg.connect(subjects_dsn) as conn, pytest.raises(psycopg.Error):
            conn.execute(statement)
    assert count(subjects_dsn, "jurisgate_suppressions") == 1


async def test_revocation_is_an_audited_row_and_syncs_as_a_removal(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    digest = hashlib.sha256(PHOTO).hexdigest()
    await registry.submit(submission(), PHOTO, receipts(signer))
    await run_pending_jobs(registry, Matcher({digest: ["face-0003"]}))
    sync = SuppressionSync(registry, max_staleness=60)
    await sync.sync_once()
    assert sync.contains("face-0003")
    assert await registry.revoke("face-0003", reason="court order 12", actor="dpo@example")
    assert not await registry.revoke("face-0003", reason="again", actor="dpo@example")
    await sync.sync_once()
    assert not sync.contains("face-0003")
    assert count(subjects_dsn, "jurisgate_suppressions") == 1  # the row stays
    assert (await registry.verify_audit()).broken_at is None


async def test_a_lapsed_lease_is_taken_over_and_the_old_worker_cannot_complete(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner
) -> None:
    await registry.submit(submission(), PHOTO, receipts(signer))
    # Long enough that the next claim surely comes within it on a loaded machine (0.05 s did
    # not, once), short enough to wait out.
    first = await registry.claim_job(lease_seconds=0.5)
    assert first is not None
    assert await registry.claim_job(lease_seconds=60) is None  # leased
    await asyncio.sleep(0.6)
    second = await registry.claim_job(lease_seconds=60)
    assert second is not None
    assert second.attempt == first.attempt + 1
    assert not await registry.complete_job(first, ["face-1"], "il-opt-out")
    assert await registry.complete_job(second, ["face-1"], "il-opt-out")
    assert not await registry.complete_job(second, ["face-1"], "il-opt-out")  # done once


async def test_a_tampered_audit_row_is_found(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    for key in ("a", "b", "c"):
        await registry.submit(submission(key), PHOTO, receipts(signer))
    check = await registry.verify_audit()
    assert (check.rows, check.broken_at) == (3, None)
    with psycopg.connect(subjects_dsn) as conn:
        conn.execute("ALTER TABLE jurisgate_subject_audit DISABLE TRIGGER USER")
        second = conn.execute(
            "SELECT seq, body FROM jurisgate_subject_audit ORDER BY seq OFFSET 1 LIMIT 1"
        ).fetchone()
        assert second is not None
        forged = str(second[1]).replace("US-IL", "US-IN")
        conn.execute(
            "UPDATE jurisgate_subject_audit SET body = %s WHERE seq = %s", (forged, second[0])
        )
    check = await registry.verify_audit()
    assert check.broken_at == second[0]
    assert check.reason == "hash does not match the row's content"


async def test_the_sync_fails_closed_when_stale_or_when_the_registry_goes_backwards(
    registry: PostgresSubjectRegistry, signer: ReceiptSigner, subjects_dsn: str
) -> None:
    clock = FixedClock(1_000_000)
    sync = SuppressionSync(registry, max_staleness=2.0, clock=clock)
    with pytest.raises(StaleSuppressions):
        sync.current()  # never synced
    digest = hashlib.sha256(PHOTO).hexdigest()
    await registry.submit(submission(), PHOTO, receipts(signer))
    await run_pending_jobs(registry, Matcher({digest: ["face-0003", "face-0004"]}))
    await sync.sync_once()
    assert sync.current() == {"face-0003", "face-0004"}
    clock.advance(2.5)
    with pytest.raises(StaleSuppressions):
        sync.contains("face-0003")
    await sync.sync_once()
    assert sync.contains("face-0004")
    # An older backup restored: the log's highest sequence number is below what was applied.
    with psycopg.connect(subjects_dsn) as conn:
        conn.execute("ALTER TABLE jurisgate_suppressions DISABLE TRIGGER USER")
        conn.execute("DELETE FROM jurisgate_suppressions WHERE key = 'face-0004'")
    with pytest.raises(StaleSuppressions, match="older backup"):
        await sync.sync_once()
    with pytest.raises(StaleSuppressions):
        sync.current()


async def test_an_unreachable_registry_is_an_outage_not_a_wrong_answer(
    signer: ReceiptSigner,
) -> None:
    down = PostgresSubjectRegistry(unreachable_dsn(), connect_timeout=1)
    with pytest.raises(RegistryUnavailable) as caught:
        await down.submit(submission(), PHOTO, receipts(signer))
    assert "s3cret" not in str(caught.value)
    sync = SuppressionSync(down, max_staleness=1.0)
    await sync.start()  # logged, not raised: the app still starts
    try:
        with pytest.raises(StaleSuppressions):
            sync.current()
        assert sync.health()["fresh"] is False
    finally:
        await sync.aclose()
