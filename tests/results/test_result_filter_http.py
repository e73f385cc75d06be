"""The result filter in a real Starlette stack: GZip outside it, and a real uvicorn (h11)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import FixedClock, ResultFilterMiddleware, ResultRoute
from jurisgate.middleware.subjects import FixedSuppressions

from ..fixtures.servers import app_server

pytestmark = pytest.mark.anyio
FACES = [{"id": f"f{n}", "source_region": "US-NY", "pad": "x" * 200} for n in range(20)]


async def search(request: Request) -> JSONResponse:
    return JSONResponse({"total": len(FACES), "results": FACES})


def stack(*, gzip_inside: bool) -> Starlette:
    filtered = [
        Middleware(
            ResultFilterMiddleware,
            routes=[ResultRoute(path="/search", items="results", counts=("total",))],
            suppressions=FixedSuppressions({"f3"}),
            clock=FixedClock("2026-06-01T00:00:00Z"),
        )
    ]
    compress = [Middleware(GZipMiddleware, minimum_size=100)]
    # Starlette runs the first middleware outermost.
    order = [*filtered, *compress] if gzip_inside else [*compress, *filtered]
    return Starlette(routes=[Route("/search", search)], middleware=order)


async def test_gzip_outside_compresses_the_filtered_answer() -> None:
    transport = httpx.ASGITransport(app=stack(gzip_inside=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/search", headers={"accept-encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.json()["total"] == 19
    assert "f3" not in answer.text
    assert answer.headers["cache-control"] == "private"


async def test_gzip_inside_fails_closed() -> None:
    transport = httpx.ASGITransport(app=stack(gzip_inside=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/search", headers={"accept-encoding": "gzip"})
        plain = await client.get("/search", headers={"accept-encoding": "identity"})
    assert answer.status_code == 503
    assert plain.status_code == 200
    assert plain.json()["total"] == 19


APP = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from jurisgate.middleware import ResultFilterMiddleware, ResultRoute
from jurisgate.middleware.subjects import FixedSuppressions

FACES = [{"id": f"f{n}", "source_region": "US-NY", "name": "é" * n} for n in range(20)]

async def search(request):
    return JSONResponse({"total": len(FACES), "results": FACES})

async def health(request):
    return JSONResponse({"status": "ok"})

app = Starlette(
    routes=[Route("/search", search), Route("/health", health)],
    middleware=[Middleware(ResultFilterMiddleware,
        routes=[ResultRoute(path="/search", items="results", counts=("total",))],
        suppressions=FixedSuppressions({"f3", "f7"}))],
)
"""


@pytest.mark.slow
def test_content_length_under_uvicorn_h11(tmp_path: Path) -> None:
    (tmp_path / "filtered_app.py").write_text(textwrap.dedent(APP))
    with app_server("uvicorn", "filtered_app:app", ["--http", "h11"], cwd=tmp_path) as port:
        answer = httpx.get(f"http://127.0.0.1:{port}/search")
    assert answer.status_code == 200
    assert int(answer.headers["content-length"]) == len(answer.content)
    document = answer.json()
    assert document["total"] == 18
    assert [f["id"] for f in document["results"]] == [f"f{n}" for n in range(20) if n not in (3, 7)]
