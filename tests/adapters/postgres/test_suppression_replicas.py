"""Two replicas, one registry, a real Redis that fails: no answer ever lists a suppressed entry.

Suppression never asks Redis (a flushed or restarted Redis answers "not suppressed" without an
error), so Redis faults may only slow the gate; a replica whose own list goes stale answers
503, never an unfiltered 200."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from types import ModuleType

import httpx
import pytest
import redis
from starlette.applications import Starlette

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware import CacheSettings, FixedClock, JurisdictionMiddleware, TrustedIssuer
from jurisgate.middleware.subjects import (
    OptOutSubmission,
    ReceiptSigner,
    SubjectsService,
    run_pending_jobs,
)

from ...conftest import EXAMPLES
from ..redis.conftest import AT, CACHE_SECRET, MakeToken, RedisServer
from .subjects_fixtures import signer, subjects_dsn

__all__ = ["signer", "subjects_dsn"]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.anyio]

# Twice the polls' bound a loaded machine once overran (a 503 at request 233 with 0.5 s).
MAX_STALENESS = 1.0


def photo_of(entry: str) -> bytes:
    return (EXAMPLES / "photos" / f"{entry}.jpg").read_bytes()


async def opt_out(registry: PostgresSubjectRegistry, signer: ReceiptSigner, entry: str) -> None:
    data = photo_of(entry)
    submission = OptOutSubmission(
        "api",
        f"replicas-{entry}",
        "il-opt-out",
        "US-IL",
        "2026-12-01",
        hashlib.sha256(data).hexdigest(),
        None,
    )

    await registry.submit(submission, data, signer.for_submission(submission))


@pytest.fixture
async def replicas(
    subjects_dsn: str,
    signer: ReceiptSigner,
    search_api: ModuleType,
    redis_server: RedisServer,
    issuer: TrustedIssuer,
) -> AsyncIterator[list[tuple[SubjectsService, httpx.AsyncClient]]]:
    found = []
    gates: list[JurisdictionMiddleware] = []
    for _ in range(2):
        service = SubjectsService(
            PostgresSubjectRegistry(subjects_dsn),
            signer,
            max_staleness=MAX_STALENESS,
            init_schema=True,  # no matcher: the test runs the match jobs itself, in order
        )
        app = JurisdictionMiddleware(
            Starlette(routes=search_api.routes(service.suppressions, None)),
            issuers=[issuer],
            cache=CacheSettings(
                redis_url=redis_server.url,
                secret=CACHE_SECRET,
                local_max_entries=0,
                breaker_cooldown=0.2,
                socket_timeout=0.05,
            ),
            clock=FixedClock(AT),
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        gates.append(app)
        found.append((service, client))
    async with found[0][0].lifespan(), found[1][0].lifespan():
        try:
            yield found
        finally:
            for _, client in found:
                await client.aclose()
            for gate in gates:
                await gate.aclose()


async def test_no_answer_lists_a_suppressed_entry_through_redis_faults_and_stalls(
    replicas: list[tuple[SubjectsService, httpx.AsyncClient]],
    signer: ReceiptSigner,
    redis_server: RedisServer,
    make_token: MakeToken,
    search_api: ModuleType,
) -> None:
    token = make_token("federal_law_enforcement", "US", "US-DC")
    (first, first_http), (second, second_http) = replicas
    registry = first.registry
    assert isinstance(registry, PostgresSubjectRegistry)
    loop = asyncio.get_running_loop()
    suppressed_at: dict[str, float] = {}
    matcher = search_api.DigestMatcher(search_api.INDEX)

    async def suppress(entry: str) -> None:
        await opt_out(registry, signer, entry)
        assert await run_pending_jobs(registry, matcher) == 1
        suppressed_at[entry] = loop.time()  # committed: every replica must honour it soon

    await suppress("face-0003")
    statuses: dict[int, int] = {}
    for n in range(1000):
        if n == 150:
            redis.Redis.from_url(redis_server.url).flushall()
        elif n == 300:
            redis_server.kill()  # Redis down: the gate is slower, suppression is unchanged
        elif n == 450:
            redis_server.start()  # back, and empty
            await suppress("face-0005")
        elif n == 600:
            await second.suppressions.aclose()  # the second replica's syncer stalls
        elif n == 800:
            await asyncio.sleep(MAX_STALENESS)  # however fast the requests: now past its bound
        http = first_http if n % 2 else second_http
        asked = loop.time()
        response = await http.get("/search", headers={"Authorization": f"Bearer {token}"})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 503), response.text
        if response.status_code == 200:
            listed = {face["id"] for face in response.json()["results"]}
            for entry, at in suppressed_at.items():
                if asked > at + MAX_STALENESS:  # past the bound every replica promises
                    assert entry not in listed, (n, entry)
        elif n < 600:
            pytest.fail(f"request {n}: a replica with a live syncer answered 503")
        await asyncio.sleep(0.002)
    assert statuses.get(503, 0) > 0  # the stalled replica refused rather than answer stale
    assert statuses[200] > 600
