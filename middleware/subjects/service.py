"""The subjects side of an app in one object: the opt-out routes, this replica's suppression
list and (optionally) the match worker, started and stopped by the app's lifespan.

    subjects = open_subjects(config.subjects, matcher=MyFaceModel())   # jurisgate.adapters
    app = Starlette(routes=[*my_routes, *subjects.endpoints.routes], lifespan=subjects.lifespan)
    ... in a route that lists people:  suppressed = subjects.suppressions.current()

An unreachable registry is an outage, not a config error: the app starts, the opt-out answers
503 and ``current()`` raises StaleSuppressions once the list is older than ``max_staleness``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from .errors import RegistryUnavailable
from .matching import SubjectMatcher, run_match_jobs
from .opt_out import OptOutEndpoints
from .receipts import ReceiptSigner
from .registry import SubjectRegistry
from .suppressions import SuppressionSync

__all__ = ["SubjectsService"]

logger = logging.getLogger("jurisgate.subjects")


class SubjectsService:
    def __init__(
        self,
        registry: SubjectRegistry,
        signer: ReceiptSigner,
        *,
        max_staleness: float = 2.0,
        max_photo_bytes: int = 8 * 1024 * 1024,
        requests_per_minute: int = 10,
        matcher: SubjectMatcher | None = None,
        init_schema: bool = False,
    ) -> None:
        self.registry = registry
        self.signer = signer
        self.suppressions = SuppressionSync(registry, max_staleness=max_staleness)
        self.endpoints = OptOutEndpoints(
            registry,
            signer,
            max_photo_bytes=max_photo_bytes,
            requests_per_minute=requests_per_minute,
        )
        self.matcher = matcher
        self._init_schema = init_schema

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """Sync the suppressions (and run the match worker, if given) while the app runs."""
        if self._init_schema:
            try:
                await self.registry.init()
            except RegistryUnavailable as exc:
                logger.error("subject registry unavailable at start-up: %s", exc)
        await self.suppressions.start()
        worker = None
        if self.matcher is not None:
            worker = asyncio.get_running_loop().create_task(
                run_match_jobs(self.registry, self.matcher, poll_seconds=0.2)
            )
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await self.suppressions.aclose()
            await self.registry.aclose()
