"""The result filter looks up only the requests a ``[[results]]`` table may cover: a path that
holds no table's telling segment (``ResultPaths.may_cover``) passes without a lookup, any
other is looked up in every spelling, as before."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from jurisgate.middleware import FixedClock, ResultFilterMiddleware, ResultRoute
from jurisgate.middleware.results.route_paths import ResultPaths
from jurisgate.middleware.subjects import FixedSuppressions

from .asgi_harness import json_answer, run, scripted
from .test_filter_required import PAGE, ROUTES, TODAY

pytestmark = pytest.mark.anyio

TABLES = (
    ResultRoute(path="/search", items="results", counts=("total",)),
    ResultRoute(path="/search/clusters/*", items="faces"),
)


class CountingPaths(ResultPaths):
    """The filter's own lookup, counted."""

    __slots__ = ("finds",)

    def __init__(self, routes: tuple[ResultRoute, ...]) -> None:
        super().__init__(routes)
        self.finds = 0

    def find(self, path: str) -> ResultRoute | None:
        self.finds += 1
        return super().find(path)


def counted(app: Starlette) -> CountingPaths:
    """Count the lookups of the result filter in ``app``'s middleware stack."""
    node: Any = app.build_middleware_stack()
    app.middleware_stack = node
    while not isinstance(node, ResultFilterMiddleware):
        node = node.app
    paths = CountingPaths(node.routes)
    node._paths = paths
    return paths


async def get(app: Starlette, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


def filtered_app() -> Starlette:
    return Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(
                ResultFilterMiddleware,
                routes=TABLES,
                suppressions=FixedSuppressions({"f3"}),
                clock=FixedClock(TODAY),
            )
        ],
    )


async def test_only_a_path_a_table_may_cover_is_looked_up() -> None:
    app = filtered_app()
    paths = counted(app)
    answer = await get(app, "/search")
    assert answer.json()["total"] == 4
    cluster = await get(app, "/search/clusters/7")
    assert [face["id"] for face in cluster.json()["faces"]] == ["f0", "f1", "f2", "f4"]
    assert paths.finds == 2
    # It holds "search": looked up, no table covers it, passed as it is.
    assert (await get(app, "/search/plain")).json() == PAGE
    assert paths.finds == 3
    assert (await get(app, "/health")).status_code == 404
    assert paths.finds == 3


@pytest.mark.parametrize(
    "path", ["//search", "/search/", "/x/../search", "/./search", "/search//", "/a/b/../../search"]
)
async def test_every_spelling_of_a_covered_path_is_still_filtered(path: str) -> None:
    status, _, body, _ = await run(
        scripted(json_answer(PAGE)), TABLES[0], suppressed=["f3"], path=path
    )
    assert status == 200
    assert json.loads(body)["total"] == 4
