"""Example face-search API behind jurisgate. Run from the repository root:

    uvicorn examples.search_api:app

Without $JURISGATE_CONFIG it trusts the development issuer in examples/dev/ (keys that are
public knowledge). The face index is synthetic: names are invented and "photos" are digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jurisgate.middleware import JurisdictionMiddleware
from jurisgate.middleware.config import CONFIG_ENV
from jurisgate.middleware.strict_json import bounded_loads

# A request body is client input: bounded before it is read whole, and parsed only when shallow
# (Python's json raises RecursionError, not ValueError, on 2,000 nested "[").
MAX_BODY_BYTES: Final = 4096
MAX_JSON_DEPTH: Final = 4

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


def problem(status: int, code: str, detail: str) -> Response:
    """An RFC 9457 problem+json answer; ``detail`` never echoes what the client sent."""
    body = {"type": f"urn:jurisgate-example:problem:{code}", "status": status, "detail": detail}
    return Response(json.dumps(body), status, media_type="application/problem+json")


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (BodyTooLarge) as soon as it says or shows it is over ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


async def opt_out(request: Request) -> Response:
    """An Illinois resident asks to be removed; needs no account, so no token."""
    try:
        form = bounded_loads(
            await read_body(request, MAX_BODY_BYTES),
            max_bytes=MAX_BODY_BYTES,
            max_depth=MAX_JSON_DEPTH,
        )
    except BodyTooLarge:
        return problem(413, "body_too_large", f"send at most {MAX_BODY_BYTES} bytes")
    except ValueError:
        return problem(400, "bad_json", 'send a JSON object: {"face_id": "face-0000"}')
    face_id = form.get("face_id") if isinstance(form, dict) else None
    if not isinstance(face_id, str) or not any(face["id"] == face_id for face in INDEX):
        return problem(400, "unknown_face", "face_id must name an entry of the index")
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
