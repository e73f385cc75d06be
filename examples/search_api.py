"""Example face-search API behind jurisgate. Run from the repository root:

    uvicorn examples.search_api:app

Without $JURISGATE_CONFIG it trusts the development issuer in examples/dev/ (keys that are
public knowledge). The face index is synthetic: names are invented and each entry's photo is a
drawn cartoon in examples/photos/ (``photo_sha256`` is its file's digest). Opt-outs go to the
data-subject registry (examples/subjects_runtime.py); ``/search`` leaves out every suppressed
entry for every client, and answers 503 rather than an unfiltered list when this replica's
suppression list is stale.

Who may be found is decided twice, by the same item rules (the settlement's opt-outs and
Illinois photos, the foreign regulators' orders): ``/search`` calls ``filter_items`` before it
cuts the page, so pages stay full, and the result-filter middleware (``[[results]]`` in the
config, ``mode = "verify"``) checks every answer on its way out: one that still holds a
suppressed entry is refused (503) with an alarm, never sent. The gate refuses an answer on
``/search`` that no result filter ran on. Both read the item rules the gate
has in force for the request (``items_in_force``), so they follow the gate's policy reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from jurisgate.adapters.embedded_postgres import EmbeddedPostgres
from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.adapters.subjects_factory import open_subjects
from jurisgate.middleware import (
    Clock,
    ItemFields,
    ItemPolicy,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    SystemClock,
    filter_items,
    items_in_force,
    load_config,
)
from jurisgate.middleware.config.gate_config import CONFIG_ENV
from jurisgate.middleware.subjects import (
    OptOutEndpoints,
    ReceiptSigner,
    StaleSuppressions,
    SubjectsService,
    Suppressions,
)

Lifespan = Callable[[object], contextlib.AbstractAsyncContextManager[None]]
DEV_CONFIG = Path(__file__).parent / "dev" / "jurisgate.dev.toml"
DEV_RECEIPT_KEY = Path(__file__).parent / "dev" / "receipt-ed25519.pem"
PHOTOS = Path(__file__).parent / "photos"
SUBJECTS_DSN_ENV = "JURISGATE_SUBJECTS_DSN"
logger = logging.getLogger("jurisgate.example")

_FIRST = [
    "Avery",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Quinn",
    "Harper",
    "Rowan",
    "Emery",
    "Skyler",
]
_LAST = ["Lindqvist", "Okafor", "Marchetti", "Novak", "Haddad", "Tanaka", "Moreau", "Kowalski"]
_REGIONS = ["US-NY", "US-TX", "US-CA", "US-DC", "US-IL", "FR-75C", "IT-RM", "GB-LND"]


def synthetic_index(size: int = 40) -> list[dict[str, str]]:
    """A deterministic, invented face index: no real person; photos are drawn cartoons."""
    index = []
    for n in range(size):
        name = f"{_FIRST[n % len(_FIRST)]} {_LAST[(n * 3) % len(_LAST)]}"
        photo = PHOTOS / f"face-{n:04d}.jpg"
        index.append(
            {
                "id": f"face-{n:04d}",
                "name": name,
                "photo": f"photos/{photo.name}",
                "photo_sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
                "source_region": _REGIONS[n % len(_REGIONS)],
                "source_country": _REGIONS[n % len(_REGIONS)].split("-", 1)[0],
                # When the photo was collected: read by item rules with a collection window.
                "collected_at": f"{2018 + (n // 5) % 9}-{1 + n % 12:02d}-15T12:00:00Z",
            }
        )
    return index


INDEX = synthetic_index()
# Where the example's entries keep what the item rules read (as in its [[results]] table).
FIELDS = ItemFields(
    id="id", region="source_region", country="source_country", collected_at="collected_at"
)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def routes(
    suppressions: Suppressions,
    opt_out: OptOutEndpoints | None,
    *,
    clock: Clock | None = None,
    items: ItemPolicy | None = None,
) -> list[BaseRoute]:
    """The API's routes; ``/search`` filters through the item rules (``items``, defaults to those
    the gate has in force for the request, reloaded with its policy) and ``suppressions`` for
    every client, before it cuts the page."""
    now = (clock or SystemClock()).now

    async def search(request: Request) -> Response:
        try:
            suppressed = suppressions.current()
        except StaleSuppressions:
            return JSONResponse(
                {
                    "type": "urn:jurisgate:problem:suppressions_stale",
                    "title": "Service Unavailable",
                    "status": 503,
                    "detail": "Results cannot be filtered right now; try again shortly.",
                },
                status_code=503,
                media_type="application/problem+json",
                headers={"retry-after": "2"},
            )
        query = request.query_params.get("q", "").strip().lower()
        found = [face for face in INDEX if not query or query in face["name"].lower()]
        rules = items if items is not None else items_in_force(request)
        results = filter_items(
            found, at=now(), suppressed=suppressed, policy=rules, fields=FIELDS
        ).items[:20]
        principal = request.state.principal
        return JSONResponse(
            {
                "query": query,
                "count": len(results),
                "results": results,
                "served_to": {"entity_type": principal.entity_type, "region": principal.region},
            },
            headers={"cache-control": "private"},
        )

    found: list[BaseRoute] = [Route("/health", health), Route("/search", search)]
    if opt_out is not None:
        found.extend(opt_out.routes)
    return found


class DigestMatcher:
    """The example's "face model": an uploaded photo matches the entries whose photo file has
    the same SHA-256, so a demo user opts out face-0003 by uploading photos/face-0003.jpg."""

    def __init__(self, index: Sequence[dict[str, str]]) -> None:
        self._by_digest: dict[str, list[str]] = {}
        for entry in index:
            self._by_digest.setdefault(entry["photo_sha256"], []).append(entry["id"])

    async def match(self, photo: bytes, photo_sha256: str) -> list[str]:
        if hashlib.sha256(photo).hexdigest() != photo_sha256:
            return []  # never trust a digest the photo does not have
        return list(self._by_digest.get(photo_sha256, []))


def example_subjects(config: str | os.PathLike[str]) -> tuple[SubjectsService, Lifespan]:
    """``[subjects]`` from the config; else $JURISGATE_SUBJECTS_DSN; else (the demo's embedded
    default) a throw-away PostgreSQL for this process, which forgets everything when it ends.
    Either way with the example's matcher, and the registry's tables created at start-up."""
    matcher = DigestMatcher(INDEX)
    settings = load_config(config).subjects
    embedded: EmbeddedPostgres | None = None
    if settings is not None:
        subjects = open_subjects(settings, matcher=matcher, init_schema=True)
    else:
        given = os.environ.get(SUBJECTS_DSN_ENV)
        if not given:
            embedded = EmbeddedPostgres()
        registry = PostgresSubjectRegistry(given or (lambda: embedded.dsn if embedded else ""))
        signer = ReceiptSigner.from_file(DEV_RECEIPT_KEY)
        subjects = SubjectsService(registry, signer, matcher=matcher, init_schema=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        if embedded is not None:
            await asyncio.to_thread(embedded.start)
            logger.warning("subject registry: an embedded, throw-away PostgreSQL (demo only)")
        try:
            async with subjects.lifespan(app):
                yield
        finally:
            if embedded is not None:
                await asyncio.to_thread(embedded.stop)

    return subjects, lifespan


def create_app(config: str | os.PathLike[str] | None = None) -> Starlette:
    """The example behind the gate, honouring opt-outs (see ``example_subjects``) and every
    item rule, in its own code and again in the result filter."""
    chosen = config or os.environ.get(CONFIG_ENV) or DEV_CONFIG
    subjects, lifespan = example_subjects(chosen)
    settings = load_config(chosen)
    app = Starlette(
        # Both filters use the item rules the gate has in force (items_in_force): a published
        # or pushed change of a p2 row or an [items] file reaches them without a restart.
        routes=routes(subjects.suppressions, subjects.endpoints),
        middleware=[
            Middleware(JurisdictionMiddleware, config=chosen),
            # Inside the gate (refusals are not filtered; the gate refuses what the filter did not
            # see) and inside any compression. Verify mode ([[results]] mode): /search filters.
            Middleware(
                ResultFilterMiddleware,
                routes=settings.results,
                suppressions=subjects.suppressions,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.subjects = subjects
    return app


app = create_app()
