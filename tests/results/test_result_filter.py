"""The result-filter middleware: filtering, counts, headers, and failing closed."""

from __future__ import annotations

import gzip
import json

import pytest
from starlette.types import Message, Scope

from jurisgate.middleware import FixedClock, ResultFilterMiddleware, ResultRoute
from jurisgate.middleware.subjects import FixedSuppressions, StaleSuppressions

from .asgi_harness import NOW, json_answer, run, scripted

pytestmark = pytest.mark.anyio

ROUTE = ResultRoute(path="/search", items="results", counts=("total",))
PAGE = {
    "total": 3,
    "results": [
        {"id": "a", "source_region": "US-IL"},
        {"id": "b", "source_region": "US-NY"},
        {"id": "c", "source_region": "US-TX"},
    ],
}


async def test_filters_adjusts_counts_and_fixes_headers() -> None:
    app = scripted(
        json_answer(PAGE, headers={"etag": '"v1"', "cache-control": "public, max-age=60"})
    )
    status, headers, body, scope = await run(app, ROUTE, suppressed=["c"])
    document = json.loads(body)
    assert status == 200
    assert document == {"total": 1, "results": [{"id": "b", "source_region": "US-NY"}]}
    assert headers["content-length"] == str(len(body))
    assert headers["cache-control"] == "private"
    assert "etag" not in headers
    assert scope["state"]["jurisgate.removed"] == {"il-photos-five-years": 1, "il-opt-out": 1}


async def test_nothing_removed_sends_what_was_read_without_the_apps_validators() -> None:
    page = {"total": 1, "results": [{"id": "b", "source_region": "US-NY"}]}
    messages = json_answer(page, headers={"etag": '"v1"', "last-modified": "Mon, 01 Jan 2024"})
    status, headers, body, _ = await run(scripted(messages), ROUTE)
    assert (status, json.loads(body)) == (200, page)
    assert headers["cache-control"] == "private"
    assert "etag" not in headers
    assert "last-modified" not in headers


@pytest.mark.parametrize("mode", ["filter", "verify"])
async def test_a_repeated_key_goes_out_once_as_it_was_checked(mode: str) -> None:
    """Both parsers read a repeated key's last value; a client reading the first must not see
    a list (or an id) the filter never checked."""
    route = ResultRoute(path="/search", items="results", mode=mode)  # type: ignore[arg-type]
    body = (
        b'{"results": [{"id": "a", "source_region": "US-IL"}], "results": '
        b'[{"id": "c", "id": "b", "source_region": "US-IL", "source_region": "US-NY"}]}'
    )
    status, _, sent, _ = await run(scripted(raw(body)), route, suppressed=["c"])
    assert status == 200
    assert sent == b'{"results":[{"id":"b","source_region":"US-NY"}]}'


async def test_integers_beyond_64_bits_go_out_exactly() -> None:
    kept = {"id": "b", "source_region": "US-NY", "n": 2**64 + 1}
    page = {"total": 2, "results": [kept, {"id": "a", "source_region": "US-IL", "n": -(10**30)}]}
    status, _, body, _ = await run(scripted(json_answer(page)), ROUTE, suppressed=["a"])
    assert status == 200
    assert json.loads(body) == {"total": 1, "results": [kept]}
    assert b"18446744073709551617" in body


async def test_a_chunked_body_is_buffered_whole() -> None:
    whole = json.dumps(PAGE).encode()
    chunks = [whole[i : i + 7] for i in range(0, len(whole), 7)]
    messages = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        },
        *({"type": "http.response.body", "body": c, "more_body": True} for c in chunks),
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    status, headers, body, _ = await run(scripted(messages), ROUTE)
    assert status == 200
    assert json.loads(body)["total"] == 2
    assert headers["content-length"] == str(len(body))


NESTED = ResultRoute(
    path="/clusters/*",
    items="clusters[*].faces",
    counts=("total", "clusters[*].face_count"),
    country="country",
)


async def test_nested_lists_and_their_own_counts() -> None:
    page = {
        "total": 4,
        "clusters": [
            {
                "face_count": 2,
                "faces": [{"id": "a", "country": "FR"}, {"id": "b", "country": "BR"}],
            },
            {
                "face_count": 2,
                "faces": [{"id": "c", "country": "BR"}, {"id": "d", "country": "BR"}],
            },
        ],
    }
    status, _, body, _ = await run(
        scripted(json_answer(page)), NESTED, suppressed=["d"], path="/clusters/x"
    )
    assert status == 200
    assert json.loads(body) == {
        "total": 2,
        "clusters": [
            {"face_count": 1, "faces": [{"id": "b", "country": "BR"}]},
            {"face_count": 1, "faces": [{"id": "c", "country": "BR"}]},
        ],
    }


async def test_numbers_beyond_64_bits_are_kept_exactly() -> None:
    body = (
        b'{"total": 2, "results": [{"id": "a", "source_region": "US-IL"}, '
        b'{"id": "b", "source_region": "US-NY", "score": 123456789012345678901234567890, '
        b'"x": 1.5e-300}]}'
    )
    status, _, got, _ = await run(scripted(raw(body)), ROUTE)
    assert status == 200
    assert got == (
        b'{"total":1,"results":[{"id":"b","source_region":"US-NY",'
        b'"score":123456789012345678901234567890,"x":1.5e-300}]}'
    )


def raw(body: bytes) -> list[Message]:
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json")],
    }
    return [start, {"type": "http.response.body", "body": body}]


def problem(status: int, headers: dict[str, str], body: bytes) -> str:
    assert status == 503
    assert headers["content-type"] == "application/problem+json"
    assert headers["content-length"] == str(len(body))
    return str(json.loads(body)["type"])


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(json_answer(PAGE, headers={"content-encoding": "gzip"}), id="pre-encoded"),
        pytest.param(json_answer(PAGE, status=206), id="206"),
        pytest.param(json_answer(PAGE, headers={"content-type": "text/event-stream"}), id="stream"),
        pytest.param(
            json_answer(PAGE, headers={"content-type": "application/x-ndjson"}), id="ndjson"
        ),
        pytest.param(
            json_answer(PAGE, headers={"content-type": "application/json; charset=latin-1"}),
            id="latin-1",
        ),
        pytest.param(json_answer({"total": 3, "hits": []}), id="no items key"),
        pytest.param(json_answer({"total": 3, "results": {"a": 1}}), id="items not a list"),
        pytest.param(json_answer({"total": 3, "results": [1, 2]}), id="entries not objects"),
        pytest.param(json_answer({"results": []}), id="count missing"),
        pytest.param(json_answer({"total": "3", "results": []}), id="count not an int"),
        pytest.param(json_answer([PAGE]), id="a list, not an object"),
        pytest.param(
            [
                *json_answer(PAGE)[:1],
                {"type": "http.response.body", "body": b"{", "more_body": True},
            ],
            id="never completed",
        ),
        pytest.param(
            [*json_answer(PAGE)[:1], {"type": "http.response.body", "body": b"{x"}], id="not JSON"
        ),
        pytest.param(
            [*json_answer(PAGE)[:1], {"type": "http.response.pathsend", "path": "/x"}],
            id="file by path",
        ),
        pytest.param(
            json_answer(PAGE, headers={"content-length": str(10**9)}), id="declared oversize"
        ),
        pytest.param(raw(b'{"total": NaN, "results": []}'), id="NaN"),
        pytest.param(raw(b'{"total": 1e400, "results": []}'), id="infinite number"),
        pytest.param(raw(b'{"total": 0, "results": [], "x": "\xff"}'), id="not UTF-8"),
        pytest.param(raw(b"[" * 5000 + b"]" * 5000), id="deeply nested"),
    ],
)
async def test_what_cannot_be_read_with_certainty_is_a_503(
    messages: list[dict[str, object]],
) -> None:
    status, headers, body, _ = await run(scripted(messages), ROUTE, suppressed=["a"])
    assert problem(status, headers, body) == "urn:jurisgate:problem:results_unfiltered"
    assert b"US-IL" not in body


async def test_an_oversize_chunked_body_is_a_503() -> None:
    small = ResultRoute(path="/search", items="results", max_body_bytes=1024)
    chunk = b" " * 600
    messages = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        },
        {"type": "http.response.body", "body": chunk, "more_body": True},
        {"type": "http.response.body", "body": chunk, "more_body": True},
        {"type": "http.response.body", "body": b"{}", "more_body": False},
    ]
    status, headers, body, _ = await run(scripted(messages), small)
    problem(status, headers, body)


class Stale:
    def current(self) -> frozenset[str]:
        raise StaleSuppressions("behind")


async def test_a_stale_suppression_list_is_a_503_with_retry_after() -> None:
    status, headers, body, _ = await run(scripted(json_answer(PAGE)), ROUTE, suppressions=Stale())
    problem(status, headers, body)
    assert headers["retry-after"] == "2"


@pytest.mark.parametrize("status", [204, 304, 400, 404, 500])
async def test_empty_and_error_answers_pass_as_they_are(status: int) -> None:
    messages = json_answer(
        {"error": "x", "results": [{"id": "a", "source_region": "US-IL"}]},
        status=status,
        headers={"content-encoding": "gzip"},
    )
    got, headers, body, _ = await run(scripted(messages), ROUTE)
    assert (got, body) == (status, messages[1]["body"])
    assert headers["content-encoding"] == "gzip"


async def test_head_and_other_paths_pass_as_they_are() -> None:
    messages = json_answer(PAGE, headers={"content-encoding": "gzip"})
    for method, path in (("HEAD", "/search"), ("GET", "/other"), ("GET", "/searches")):
        status, _, body, _ = await run(scripted(messages), ROUTE, method=method, path=path)
        assert (status, body) == (200, messages[1]["body"])


async def test_gzip_inside_the_filter_fails_closed() -> None:
    body = gzip.compress(json.dumps(PAGE).encode())
    messages: list[Message] = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")],
        },
        {"type": "http.response.body", "body": body},
    ]
    status, headers, got, _ = await run(scripted(messages), ROUTE)
    problem(status, headers, got)


async def test_an_interim_1xx_start_does_not_let_the_final_answer_pass_unfiltered() -> None:
    """A 1xx is no answer: the final status line after it is filtered like any other (ASGI
    servers refuse a second start today; the filter does not count on it)."""
    hint: Message = {
        "type": "http.response.start",
        "status": 103,
        "headers": [(b"link", b"</style.css>; rel=preload")],
    }
    gate = ResultFilterMiddleware(
        scripted([hint, *json_answer(PAGE)]),
        routes=[ROUTE],
        suppressions=FixedSuppressions(["a"]),
        clock=FixedClock(NOW),
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/search", "headers": [], "state": {}}
    await gate(scope, receive, send)
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses == [103, 200]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert [entry["id"] for entry in json.loads(body)["results"]] == ["b", "c"]
    assert scope["state"]["jurisgate.removed"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("chunks", [[], [b""], [b"", b""]])
async def test_a_redirect_without_a_body_passes_as_it_is(status: int, chunks: list[bytes]) -> None:
    headers = [(b"location", b"/elsewhere"), (b"content-length", b"0")]
    start = {"type": "http.response.start", "status": status, "headers": headers}
    bodies = [
        {"type": "http.response.body", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks or [b""])
    ]
    got, got_headers, body, _ = await run(scripted([start, *bodies]), ROUTE)
    assert (got, body) == (status, b"")
    assert got_headers["location"] == "/elsewhere"
    assert got_headers["content-length"] == "0"


@pytest.mark.parametrize("status", [300, 302, 307])
async def test_a_redirect_that_lists_people_is_filtered(status: int) -> None:
    """A redirect is no error: what it carries could list people, so it is filtered like a
    2xx, its status and Location kept."""
    messages = json_answer(PAGE, status=status, headers={"location": "/elsewhere"})
    got, headers, body, scope = await run(scripted(messages), ROUTE, suppressed=["c"])
    assert got == status
    assert headers["location"] == "/elsewhere"
    assert json.loads(body) == {"total": 1, "results": [{"id": "b", "source_region": "US-NY"}]}
    assert scope["state"]["jurisgate.removed"] == {"il-photos-five-years": 1, "il-opt-out": 1}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-encoding": "gzip"}, None),  # encoded: unreadable
        ({"content-type": "text/html"}, b"<a href='/elsewhere'>a</a>"),  # not JSON
    ],
)
async def test_a_redirect_with_a_body_it_cannot_read_is_a_503(
    headers: dict[str, str], body: bytes | None
) -> None:
    messages = json_answer(PAGE, status=302, headers=headers)
    if body is not None:
        messages[1]["body"] = body
    status, got_headers, got_body, _ = await run(scripted(messages), ROUTE)
    problem(status, got_headers, got_body)
