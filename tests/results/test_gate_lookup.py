"""The gate hands its ``[[results]]`` lookup to the result filter inside it (``gate_lookup.py``):
the filter does not route the request again, yet takes nothing it cannot prove to be its own
answer. A finding made for another request (a state dict a server shares), from other tables
(another gate), for a path rewritten between the gate and the filter, or of another type is
ignored, and the filter looks the route up itself: none can make it apply another table, nor
pass an answer it would have filtered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jurisgate.middleware import (
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    ResultRoute,
    load_config,
)
from jurisgate.middleware.results.gate_lookup import ROUTE_STATE_KEY, GateLookups, found
from jurisgate.middleware.subjects import FixedSuppressions

from .asgi_harness import json_answer, scripted
from .test_filter_lookups import counted
from .test_filter_required import ISSUER, PAGE, RESULTS, ROUTES, TODAY, Record, call, stack

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

pytestmark = pytest.mark.anyio

SEARCH = ResultRoute(path="/search", items="results", counts=("total",))
CLUSTERS = ResultRoute(path="/search/clusters/*", items="faces")
TABLES = (SEARCH, CLUSTERS)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "jurisgate.toml"
    path.write_text(ISSUER + RESULTS, encoding="utf-8")
    return path


@pytest.fixture
def bearer(tokens: TokenFactory) -> dict[str, str]:
    token = tokens.client(FixedClock(TODAY).now(), "federal_law_enforcement", "US", "US-DC")
    return {"Authorization": f"Bearer {token}"}


async def test_the_filter_inside_the_gate_takes_the_gates_lookup(
    config: Path, bearer: dict[str, str]
) -> None:
    """Tables loaded twice (the gate from the file, the filter from ``load_config``) are equal,
    not the same objects: the finding is taken all the same, on the first request and on one
    the gate answers from memory."""
    records: list[Record] = []
    app = stack(config, records, filter_at="inside")
    paths = counted(app)
    for _ in range(2):
        answer = await call(app, "/search", bearer)
        assert answer.status_code == 200
        assert [face["id"] for face in answer.json()["results"]] == ["f0", "f1", "f2", "f4"]
        cluster = await call(app, "/search/clusters/7", bearer)
        assert [face["id"] for face in cluster.json()["faces"]] == ["f0", "f1", "f2", "f4"]
    assert paths.finds == 0
    assert [r["removed"] for r in records] == [{"il-opt-out": 1}] * 4


class RewriteTo:
    """A middleware that routes every request to ``path`` (a new scope, a new path object)."""

    def __init__(self, app: ASGIApp, *, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rewritten = {**scope, "path": self.path, "raw_path": self.path.encode()}
        await self.app(rewritten, receive, send)


async def test_a_path_rewritten_after_the_gate_is_looked_up_again(
    config: Path, bearer: dict[str, str]
) -> None:
    """The gate found the clusters table for ``/search/clusters/7``; the filter sees
    ``/search``, which another table covers. Taking the gate's finding would read the answer
    with the wrong table (a 503 for the shape); the filter applies its own."""
    settings = load_config(config)
    records: list[Record] = []
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(
                JurisdictionMiddleware,
                config=config,
                clock=FixedClock(TODAY),
                audit=AuditLog(observers=[records.append]),
            ),
            Middleware(RewriteTo, path="/search"),
            Middleware(
                ResultFilterMiddleware,
                routes=settings.results,
                suppressions=FixedSuppressions({"f3"}),
                clock=FixedClock(TODAY),
            ),
        ],
    )
    paths = counted(app)
    answer = await call(app, "/search/clusters/7", bearer)
    assert answer.status_code == 200
    assert answer.json()["total"] == 4
    assert paths.finds == 1
    (record,) = records
    assert record["removed"] == {"il-opt-out": 1}


def request_scope(path: str, **fields: object) -> Scope:
    return {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
        "root_path": "", "headers": [], "state": {}, **fields,
    }  # fmt: skip


async def drive(scope: Scope) -> tuple[int, bytes]:
    """The filter alone, over both tables, on an app answering ``PAGE``."""
    result_filter = ResultFilterMiddleware(
        scripted(json_answer(PAGE)),
        routes=TABLES,
        suppressions=FixedSuppressions({"f3"}),
        clock=FixedClock(TODAY),
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await result_filter(scope, receive, send)
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    return start["status"], b"".join(m.get("body", b"") for m in sent)


async def test_an_earlier_requests_finding_is_not_taken() -> None:
    """A server sharing one state dict leaves the finding for ``/search/clusters/7`` in it:
    ``/search`` is read with its own table (the clusters one would be a 503)."""
    scope = request_scope("/search")
    scope["state"][ROUTE_STATE_KEY] = found(TABLES, CLUSTERS, request_scope("/search/clusters/7"))
    status, body = await drive(scope)
    assert status == 200
    assert json.loads(body)["total"] == 4


async def test_another_gates_finding_is_not_taken() -> None:
    """A gate whose table checks ``/search`` in verify mode: its finding, made for this very
    request, would have the filter refuse the answer as a leak rather than filter it."""
    verify = ResultRoute(path="/search", items="results", counts=("total",), mode="verify")
    scope = request_scope("/search")
    scope["state"][ROUTE_STATE_KEY] = found((verify, CLUSTERS), verify, scope)
    status, body = await drive(scope)
    assert status == 200
    assert json.loads(body)["total"] == 4


async def test_a_finding_naming_a_table_not_among_its_tables_is_not_taken() -> None:
    """The gate's findings name what its lookup returned; one whose table is not among its
    tables is still not taken (``total`` would stay 5)."""
    scope = request_scope("/search")
    uncounted = ResultRoute(path="/search", items="results")
    scope["state"][ROUTE_STATE_KEY] = found(TABLES, uncounted, scope)
    status, body = await drive(scope)
    assert status == 200
    assert json.loads(body)["total"] == 4


@pytest.mark.parametrize("value", ["/search/clusters/*", CLUSTERS, {"route": CLUSTERS}, None])
async def test_a_value_of_another_kind_is_ignored(value: object) -> None:
    status, body = await drive(request_scope("/search", state={ROUTE_STATE_KEY: value}))
    assert status == 200
    assert json.loads(body)["total"] == 4


def test_a_finding_binds_the_tables_and_every_routing_input() -> None:
    path, raw = "/api/search/clusters/7", b"/api/search/clusters/7"
    scope = request_scope(path, raw_path=raw, root_path="/api", app_root_path="/api")
    lookups = GateLookups(TABLES)
    state: dict[str, Any] = {}
    state[ROUTE_STATE_KEY] = found(TABLES, CLUSTERS, scope)
    assert lookups.route({**scope, "state": state}) is CLUSTERS
    # Equal tables, other objects (a configuration loaded twice): taken.
    again = tuple(ResultRoute(path=r.path, items=r.items, counts=r.counts) for r in TABLES)
    state[ROUTE_STATE_KEY] = found(again, again[1], scope)
    assert lookups.route({**scope, "state": state}) is again[1]
    state[ROUTE_STATE_KEY] = found(TABLES, CLUSTERS, scope)
    for key, other in (
        ("path", "/api/search/clusters/8"),
        ("raw_path", b"/api/search/clusters/8"),
        ("root_path", ""),
        ("app_root_path", "/"),
    ):
        assert lookups.route({**scope, key: other, "state": state}) is None, key
    assert lookups.route({**scope, "path": "".join(path), "state": state}) is None  # a copy
    assert lookups.route({**scope, "state": {}}) is None
    assert lookups.route(scope) is None
    # Tables that differ by one, the same route object among them: not taken.
    state[ROUTE_STATE_KEY] = found((CLUSTERS,), CLUSTERS, scope)
    assert lookups.route({**scope, "state": state}) is None
