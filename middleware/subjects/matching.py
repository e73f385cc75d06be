"""Matching a photo to index entries, off the request path, from the registry's job table.

jurisgate ships no face model: the host search system implements :class:`SubjectMatcher` with
its own. A job is leased (``FOR UPDATE SKIP LOCKED`` with a lease), so several workers share the
queue and a worker that dies mid-run only delays the job until its lease lapses; completing it
is idempotent (suppressions are insert-or-nothing) and refused when the lease was taken over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from .errors import RegistryUnavailable
from .registry import SubjectRegistry

__all__ = ["SubjectMatcher", "run_match_jobs", "run_pending_jobs"]

logger = logging.getLogger("jurisgate.subjects")


class SubjectMatcher(Protocol):
    async def match(self, photo: bytes, photo_sha256: str) -> Sequence[str]:
        """The ids of the index entries that show the person in ``photo``."""
        raise NotImplementedError


async def run_pending_jobs(
    registry: SubjectRegistry,
    matcher: SubjectMatcher,
    *,
    rule_id: str = "il-opt-out",
    lease_seconds: float = 60.0,
) -> int:
    """Run jobs until none is free; returns how many were completed here."""
    done = 0
    while (job := await registry.claim_job(lease_seconds)) is not None:
        try:
            entries = await matcher.match(job.photo, job.photo_sha256)
        except Exception:  # a matcher bug must not stop the queue; the lease makes it rerun
            logger.exception("subject matcher failed on request %s", job.request_id)
            continue
        if await registry.complete_job(job, entries, rule_id):
            done += 1
    return done


async def run_match_jobs(
    registry: SubjectRegistry,
    matcher: SubjectMatcher,
    *,
    rule_id: str = "il-opt-out",
    lease_seconds: float = 60.0,
    poll_seconds: float = 0.5,
) -> None:
    """Work the queue forever (cancel the task to stop); registry outages are waited out."""
    while True:
        try:
            await run_pending_jobs(registry, matcher, rule_id=rule_id, lease_seconds=lease_seconds)
        except RegistryUnavailable as exc:
            logger.warning("match jobs: registry unavailable (%s)", exc)
        await asyncio.sleep(poll_seconds)
