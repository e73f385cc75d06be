"""The gate never lets a ``[[results]]`` route's answer out unfiltered: a 2xx answer (not 204)
that reaches it without the result filter having run is replaced by a 503, logged and
recorded. Over HTTP (httpx into the ASGI stack), with real RS256 tokens."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from jurisgate.middleware import (
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    ResultFilterMiddleware,
    load_config,
)
from jurisgate.middleware.results.route_paths import ResultPaths
from jurisgate.middleware.subjects import FixedSuppressions

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

pytestmark = pytest.mark.anyio

TODAY = "2026-11-26T12:00:00Z"
DEV_KEY = Path(__file__).resolve().parents[2] / "examples" / "dev" / "dev_idp_public.pem"
ISSUER = f"""[[issuers]]
issuer = "https://dev-idp.jurisgate.invalid"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "{DEV_KEY}"
"""
RESULTS = """
[[results]]
path = "/search"
items = "results"
counts = ["total"]

[[results]]
path = "/search/clusters/*"
items = "faces"
"""
FACES = [{"id": f"f{n}", "source_region": "US-NY"} for n in range(5)]
PAGE = {"total": len(FACES), "results": FACES}


async def search(request: Request) -> Response:
    status = int(request.query_params.get("status", "200"))
    if status in (204, 304) or request.query_params.get("empty"):
        return Response(status_code=status, headers={"location": "/elsewhere"})
    return JSONResponse(PAGE, status_code=status, headers={"location": "/elsewhere"})


async def cluster(request: Request) -> JSONResponse:
    return JSONResponse({"faces": FACES})


ROUTES = [
    Route("/search", search, methods=["GET", "HEAD"]),
    Route("/search/plain", search),
    Route("/search/clusters/{n}", cluster),
]
Record = Mapping[str, Any]


def stack(
    config: Path, records: list[Record], *, filter_at: str | None, mode: str = "filter"
) -> Starlette:
    """The gate with ``[[results]]``; the result filter inside it, outside it, or nowhere."""
    settings = load_config(config)
    gate = Middleware(
        JurisdictionMiddleware,
        config=config,
        clock=FixedClock(TODAY),
        audit=AuditLog(observers=[records.append]),
    )
    result_filter = Middleware(
        ResultFilterMiddleware,
        routes=settings.results,
        suppressions=FixedSuppressions({"f3"}),
        clock=FixedClock(TODAY),
    )
    # Starlette runs the first middleware outermost.
    order = {
        None: [gate],
        "inside": [gate, result_filter],
        "outside": [result_filter, gate],
    }[filter_at]
    return Starlette(routes=ROUTES, middleware=order)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "jurisgate.toml"
    path.write_text(ISSUER + RESULTS, encoding="utf-8")
    return path


@pytest.fixture
def bearer(tokens: TokenFactory) -> dict[str, str]:
    now = FixedClock(TODAY).now()
    token = tokens.client(now, "federal_law_enforcement", "US", "US-DC")
    return {"Authorization": f"Bearer {token}"}


async def call(
    app: Starlette, path: str, headers: dict[str, str], method: str = "GET"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, headers=headers)


def assert_unfiltered_503(answer: httpx.Response) -> None:
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-jurisgate-decision-id"]
    assert answer.json()["type"] == "urn:jurisgate:problem:results_unfiltered"
    # Nothing of the app's answer (quoted: a decision id may hold "f0" as hex digits).
    assert b'"results"' not in answer.content
    assert b'"f0"' not in answer.content


async def test_a_forgotten_filter_is_a_503_logged_and_recorded(
    config: Path, bearer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="jurisgate")
    records: list[Record] = []
    answer = await call(stack(config, records, filter_at=None), "/search", bearer)
    assert_unfiltered_503(answer)
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (503, "results_unfiltered")
    assert record["decision_id"] == answer.headers["x-jurisgate-decision-id"]
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    text = error.getMessage()
    assert "ResultFilterMiddleware is not mounted inside the gate" in text
    assert "/search" in text


async def test_a_subtree_route_is_guarded_too(config: Path, bearer: dict[str, str]) -> None:
    records: list[Record] = []
    app = stack(config, records, filter_at=None)
    assert_unfiltered_503(await call(app, "/search/clusters/7", bearer))
    # A route [[results]] does not name is none of the gate's business.
    plain = await call(app, "/search/plain", bearer)
    assert plain.status_code == 200
    assert plain.json() == PAGE


async def test_the_filter_mounted_inside_the_gate_is_served(
    config: Path, bearer: dict[str, str]
) -> None:
    records: list[Record] = []
    answer = await call(stack(config, records, filter_at="inside"), "/search", bearer)
    assert answer.status_code == 200
    assert [face["id"] for face in answer.json()["results"]] == ["f0", "f1", "f2", "f4"]
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (200, "sent")
    assert record["removed"] == {"il-opt-out": 1}


async def test_the_filter_mounted_outside_the_gate_never_leaks(
    config: Path, bearer: dict[str, str]
) -> None:
    """Outside, the filter would see the answer only after the gate: the gate sees no filter
    run and refuses; the filter outside passes the 503 as it is."""
    records: list[Record] = []
    answer = await call(stack(config, records, filter_at="outside"), "/search", bearer)
    assert_unfiltered_503(answer)
    (record,) = records
    assert record["outcome"] == "results_unfiltered"


@pytest.mark.parametrize(
    ("method", "query", "status"),
    [
        ("HEAD", "", 200),
        ("GET", "?status=204", 204),
        ("GET", "?status=304", 304),
        ("GET", "?status=307&empty=1", 307),
        ("GET", "?status=302&empty=1", 302),
        ("GET", "?status=404", 404),
        ("GET", "?status=500", 500),
    ],
)
async def test_head_empty_and_error_answers_pass(
    config: Path, bearer: dict[str, str], method: str, query: str, status: int
) -> None:
    records: list[Record] = []
    app = stack(config, records, filter_at=None)
    answer = await call(app, f"/search{query}", bearer, method)
    assert answer.status_code == status
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (status, "sent")


async def test_the_filters_own_503_passes(config: Path, bearer: dict[str, str]) -> None:
    """A filter that refuses (here: a stale suppression list) ran; its 503 goes out as is."""

    class Stale:
        def current(self) -> frozenset[str]:
            from jurisgate.middleware.subjects import StaleSuppressions

            raise StaleSuppressions("behind")

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
            Middleware(ResultFilterMiddleware, routes=settings.results, suppressions=Stale()),
        ],
    )
    answer = await call(app, "/search", bearer)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (503, "sent")


async def test_without_results_tables_nothing_is_checked(
    tmp_path: Path, bearer: dict[str, str]
) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(ISSUER, encoding="utf-8")
    records: list[Record] = []
    answer = await call(stack(path, records, filter_at=None), "/search", bearer)
    assert answer.status_code == 200
    assert json.loads(answer.content) == PAGE


def test_route_paths_match_every_spelling_of_a_route(config: Path) -> None:
    paths = ResultPaths(load_config(config).results)
    for path in ("/search", "/search/", "//search", "/x/../search"):
        found = paths.find(path)
        assert found is not None, path
        assert found.path == "/search", path
    for path in ("/search/clusters", "/search/clusters/7", "/search/clusters/7/x"):
        found = paths.find(path)
        assert found is not None, path
        assert found.path == "/search/clusters/*", path
    for path in ("/searches", "/search/plain", "/search/clustersx", "/"):
        assert paths.find(path) is None, path


async def test_an_interim_1xx_start_does_not_open_the_gate_to_the_final_answer(
    config: Path, bearer: dict[str, str]
) -> None:
    """A 1xx is no answer, and passing it would pass the unfiltered 2xx that follows it: the
    gate refuses it like a 2xx the result filter did not run on."""

    async def hinted(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 103, "headers": []})
        await JSONResponse(PAGE)(scope, receive, send)

    records: list[Record] = []
    gate = JurisdictionMiddleware(
        hinted, config=config, clock=FixedClock(TODAY), audit=AuditLog(observers=[records.append])
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in bearer.items()]
    scope = {
        "type": "http", "method": "GET", "path": "/search", "raw_path": b"/search",
        "root_path": "", "query_string": b"", "headers": headers,
    }  # fmt: skip
    await gate(scope, receive, send)
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses == [503]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b'"results"' not in body
    (record,) = records
    assert record["outcome"] == "results_unfiltered"


async def test_a_websocket_on_a_results_route_is_refused(
    config: Path, bearer: dict[str, str]
) -> None:
    """No result filter reads a WebSocket's messages: a live search on a ``[[results]]`` route
    would stream entries past the filter and past the gate's check, so it is not opened."""

    async def live(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(PAGE)})
        await send({"type": "websocket.close", "code": 1000})

    records: list[Record] = []
    gate = JurisdictionMiddleware(
        live, config=config, clock=FixedClock(TODAY), audit=AuditLog(observers=[records.append])
    )
    sent: list[Message] = []
    incoming = iter([{"type": "websocket.connect"}])

    async def receive() -> Message:
        return next(incoming, {"type": "websocket.disconnect", "code": 1000})

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in bearer.items()]
    for path in ("/search", "/search/clusters/live"):
        sent.clear()
        records.clear()
        scope = {
            "type": "websocket", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": b"", "headers": headers, "scheme": "ws",
        }  # fmt: skip
        await gate(scope, receive, send)
        assert [m["type"] for m in sent] == ["websocket.close"], path
        (record,) = records
        assert (record["sent_status"], record["outcome"]) == (403, "results_unfiltered")


async def test_a_sign_left_in_the_state_before_the_request_does_not_count(
    config: Path, bearer: dict[str, str]
) -> None:
    """The filter's sign must be this request's: a server that hands every request the same
    lifespan state dict (ASGI asks for a copy) would otherwise carry one request's sign to
    the next, unfiltered one."""

    async def unfiltered(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse(PAGE)(scope, receive, send)

    records: list[Record] = []
    gate = JurisdictionMiddleware(
        unfiltered,
        config=config,
        clock=FixedClock(TODAY),
        audit=AuditLog(observers=[records.append]),
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in bearer.items()]
    scope: Scope = {
        "type": "http", "method": "GET", "path": "/search", "raw_path": b"/search",
        "root_path": "", "query_string": b"", "headers": headers,
        "state": {"jurisgate.removed": {"il-opt-out": 1}},  # left by an earlier request
    }  # fmt: skip
    await gate(scope, receive, send)
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses == [503]
    (record,) = records
    assert record["outcome"] == "results_unfiltered"


async def test_a_request_answered_from_memory_is_guarded_as_the_first(
    config: Path, bearer: dict[str, str]
) -> None:
    """A remembered request keeps the ``[[results]]`` table its path is under: the second
    (answered from memory) is refused like the first, and a route no table names passes."""
    records: list[Record] = []
    app = stack(config, records, filter_at=None)
    for _ in range(2):
        assert_unfiltered_503(await call(app, "/search", bearer))
        assert_unfiltered_503(await call(app, "/search/clusters/7", bearer))
        assert (await call(app, "/search/plain", bearer)).status_code == 200
    node: Any = app.middleware_stack
    while not isinstance(node, JurisdictionMiddleware):
        node = node.app
    assert node.warm.hits == 3
    assert [r["outcome"] for r in records].count("results_unfiltered") == 4


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
async def test_a_redirect_with_a_listing_and_no_filter_is_a_503(
    config: Path, bearer: dict[str, str], status: int
) -> None:
    """A redirect is no error answer: one that carries a list of people is refused like a
    2xx when no filter ran on it (an empty one passes, above)."""
    records: list[Record] = []
    app = stack(config, records, filter_at=None)
    answer = await call(app, f"/search?status={status}", bearer)
    assert_unfiltered_503(answer)
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (503, "results_unfiltered")


async def test_a_redirect_with_a_listing_is_filtered_inside_the_gate(
    config: Path, bearer: dict[str, str]
) -> None:
    records: list[Record] = []
    app = stack(config, records, filter_at="inside")
    answer = await call(app, "/search?status=302", bearer)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/elsewhere"
    assert [face["id"] for face in answer.json()["results"]] == ["f0", "f1", "f2", "f4"]
    (record,) = records
    assert (record["sent_status"], record["removed"]) == (302, {"il-opt-out": 1})
