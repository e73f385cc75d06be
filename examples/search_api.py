"""Example face-search API behind jurisgate. Run from the repository root:

    uvicorn examples.search_api:app

Without $JURISGATE_CONFIG it trusts the development issuer in examples/dev/ (keys that are
public knowledge). The face index is synthetic: names are invented and "photos" are digests.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import JurisdictionMiddleware
from jurisgate.middleware.config.gate_config import CONFIG_ENV

DEV_CONFIG = Path(__file__).parent / "dev" / "jurisgate.dev.toml"

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
_REGIONS = ["US-IL", "US-NY", "US-TX", "US-CA", "US-DC", "FR-75C", "IT-RM", "GB-LND"]


def synthetic_index(size: int = 40) -> list[dict[str, str]]:
    """A deterministic, invented face index: no real person, no real photo."""
    index = []
    for n in range(size):
        name = f"{_FIRST[n % len(_FIRST)]} {_LAST[(n * 3) % len(_LAST)]}"
        index.append(
            {
                "id": f"face-{n:04d}",
                "name": name,
                "photo_sha256": hashlib.sha256(f"synthetic-{n}".encode()).hexdigest(),
                "source_region": _REGIONS[n % len(_REGIONS)],
            }
        )
    return index


INDEX = synthetic_index()
OPTED_OUT: dict[str, dict[str, str]] = {}


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def search(request: Request) -> JSONResponse:
    query = request.query_params.get("q", "").strip().lower()
    results = [
        face
        for face in INDEX
        if face["id"] not in OPTED_OUT and (not query or query in face["name"].lower())
    ]
    principal = request.state.principal
    return JSONResponse(
        {
            "query": query,
            "results": results[:20],
            "served_to": {"entity_type": principal.entity_type, "region": principal.region},
        }
    )


async def opt_out(request: Request) -> JSONResponse:
    """An Illinois resident asks to be removed; needs no account, so no token."""
    try:
        form = await request.json()
    except ValueError:
        return JSONResponse({"error": "send a JSON object"}, status_code=400)
    face_id = form.get("face_id") if isinstance(form, dict) else None
    if not isinstance(face_id, str) or not any(face["id"] == face_id for face in INDEX):
        return JSONResponse({"error": "face_id must name an entry of the index"}, status_code=400)
    request_id = secrets.token_hex(8)
    OPTED_OUT[face_id] = {"request_id": request_id}
    return JSONResponse({"request_id": request_id, "status": "removed"}, status_code=202)


def create_app(config: str | os.PathLike[str] | None = None) -> Starlette:
    chosen = config or os.environ.get(CONFIG_ENV) or DEV_CONFIG
    return Starlette(
        routes=[
            Route("/health", health),
            Route("/search", search),
            Route("/opt-out", opt_out, methods=["POST"]),
        ],
        middleware=[Middleware(JurisdictionMiddleware, config=chosen)],
    )


app = create_app()
