"""Every answer is audited exactly once, with its decision id, and the record says what the
client was actually sent (issue #12, findings 6 and 7).

Records are collected by an audit observer (observers see every record); the forced internal
errors come from collaborators injected through the gate's documented Protocols (a Clock, a
DecisionCache), never from a mock of Casbin or PyJWT.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jurisgate.middleware import (
    AuditLog,
    Decision,
    DecisionKey,
    FixedClock,
    GateConfig,
    JurisdictionMiddleware,
)
from jurisgate.middleware.audit.file_sink import AuditFile, AuditUnavailable
from jurisgate.middleware.audit.settings import AuditSettings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from tests.fixtures.idps import IdPs

NOW = 1_795_694_400.0  # 2026-11-26T12:00:00Z, the instant the test IdPs mint for
KEY = b"operator-audit-key-0123456789"
DECISION_ID = b"x-jurisgate-decision-id"


async def _search(request: Request) -> PlainTextResponse:
    return PlainTextResponse("found")


async def _broken(request: Request) -> PlainTextResponse:
    raise RuntimeError("the search index is down")


STARLETTE = Starlette(routes=[Route("/search", _search), Route("/search/broken", _broken)])


class Recorded(list[dict[str, Any]]):
    """An audit observer: every record the gate hands out, in order."""

    def __call__(self, record: Any) -> None:
        self.append(dict(record))


def gate_for(
    idps: IdPs,
    app: ASGIApp = STARLETTE,
    *,
    clock: Any = None,
    shared_cache: Any = None,
    subjects: AuditSettings | None = None,
    sink: Any = None,
) -> tuple[JurisdictionMiddleware, Recorded]:
    records = Recorded()
    gate = JurisdictionMiddleware(
        app,
        config=GateConfig(issuers=tuple(idps.trusted())),
        clock=clock if clock is not None else FixedClock(NOW),
        shared_cache=shared_cache,
        audit=AuditLog(observers=[records], subjects=subjects, sink=sink),
    )
    return gate, records


def get(app: ASGIApp, path: str = "/search", token: str | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=headers, follow_redirects=False)

    return asyncio.run(run())


def one_record(records: Recorded, response: httpx.Response) -> dict[str, Any]:
    assert len(records) == 1, records
    (record,) = records
    assert record["decision_id"] == response.headers["x-jurisgate-decision-id"]
    return record


# -- finding 6: claims that are not UTF-8, internal errors ---------------------------------------


@pytest.mark.parametrize("subjects", [None, AuditSettings("hash", KEY)], ids=["raw", "hash"])
def test_a_lone_surrogate_in_sub_is_refused_as_invalid_claims_and_audited(
    idps: IdPs, subjects: AuditSettings | None
) -> None:
    gate, records = gate_for(idps, subjects=subjects)
    response = get(gate, token=idps.rsa.mint(sub="\ud800"))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:jurisgate:problem:invalid_claims"
    record = one_record(records, response)
    assert (record["status"], record["effect"], record["reason"]) == (403, "deny", "invalid_claims")
    str(record).encode("utf-8")  # the record itself can be written out
    assert "\ud800" not in json.dumps(record, ensure_ascii=False)


@pytest.mark.parametrize(
    "claims",
    [
        {"entity_type": "state_\udc00agency"},
        {"country": "U\ud800"},
        {"region": "US-\udfffNY"},
        {"name": "\ud800 officer"},
        {"groups": ["ok", {"nested": "\udbff"}]},
    ],
)
def test_a_lone_surrogate_in_any_claim_is_refused_as_invalid_claims(
    idps: IdPs, claims: dict[str, object]
) -> None:
    gate, records = gate_for(idps)
    response = get(gate, token=idps.ec.mint(**claims))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:jurisgate:problem:invalid_claims"
    record = one_record(records, response)
    assert record["reason"] == "invalid_claims"
    assert record["issuer"] == idps.ec.issuer


class BrokenClock:
    """A Clock (the documented Protocol) that fails: the gate cannot decide."""

    def now(self) -> float:
        raise OSError("clock source unavailable")


class GarbageCache:
    """A DecisionCache (the documented Protocol) that answers what is not a Decision."""

    async def get(self, key: DecisionKey, now: float) -> Decision | None:
        return "allow"  # type: ignore[return-value]

    async def set(self, key: DecisionKey, decision: Decision, expires_at: float) -> None:
        return None


@pytest.mark.parametrize("broken", ["clock", "shared cache"])
def test_an_internal_error_is_refused_and_audited_exactly_once(idps: IdPs, broken: str) -> None:
    gate, records = gate_for(
        idps,
        clock=BrokenClock() if broken == "clock" else None,
        shared_cache=GarbageCache() if broken == "shared cache" else None,
    )
    response = get(gate, token=idps.rsa.mint())
    assert response.status_code == 403
    assert response.json()["type"] == "urn:jurisgate:problem:gate_error"
    record = one_record(records, response)
    assert (record["status"], record["effect"], record["reason"]) == (403, "deny", "gate_error")
    assert record["sent_status"] == 403


class FullSink:
    """An AuditSink (the documented Protocol, with ``accepting``) that cannot take a record."""

    accepting = False

    def check(self) -> None:
        raise AuditUnavailable("the audit store is full")

    def write(self, line: str) -> None:
        raise AuditUnavailable("the audit store is full")

    def close(self) -> None:
        return None


def test_a_request_that_cannot_be_recorded_is_refused_and_the_logger_still_gets_its_record(
    idps: IdPs,
) -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await STARLETTE(scope, receive, send)

    gate, records = gate_for(idps, app, sink=FullSink())
    response = get(gate, token=idps.rsa.mint())
    assert response.status_code == 403
    assert response.json()["type"] == "urn:jurisgate:problem:audit_unavailable"
    assert reached == []  # never served
    record = one_record(records, response)
    assert (record["status"], record["reason"]) == (403, "audit_unavailable")


# -- finding 7: what was sent ---------------------------------------------------------------------


def test_the_record_holds_the_status_the_app_sent(idps: IdPs) -> None:
    """``GET /search/`` is allowed (200) and answered 307 by Starlette's slash redirect."""
    gate, records = gate_for(idps)
    token = idps.rsa.mint()
    for attempt in range(2):  # decided, then answered from the memory of whole requests
        records.clear()
        response = get(gate, "/search/", token)
        assert response.status_code == 307
        record = one_record(records, response)
        assert (record["effect"], record["status"]) == ("allow", 200)
        assert (record["sent_status"], record["outcome"]) == (307, "sent"), attempt
    assert gate.warm.hits == 1


def test_an_app_that_fails_before_answering_is_recorded_as_app_error(idps: IdPs) -> None:
    """Mounted the usual way: Starlette's error middleware, outside the gate, answers 500."""
    records = Recorded()
    app = Starlette(
        routes=list(STARLETTE.routes),
        middleware=[
            Middleware(
                JurisdictionMiddleware,
                config=GateConfig(issuers=tuple(idps.trusted())),
                clock=FixedClock(NOW),
                audit=AuditLog(observers=[records]),
            )
        ],
    )
    response = get(app, "/search/broken", idps.rsa.mint())
    assert response.status_code == 500
    (record,) = records
    assert (record["effect"], record["status"]) == ("allow", 200)
    assert (record["sent_status"], record["outcome"]) == (None, "app_error")


def test_an_app_500_is_recorded_as_sent_500(idps: IdPs) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"oops"})

    gate, records = gate_for(idps, app)
    response = get(gate, token=idps.rsa.mint())
    assert response.status_code == 500
    record = one_record(records, response)
    assert (record["effect"], record["status"], record["sent_status"]) == ("allow", 200, 500)
    assert record["outcome"] == "sent"


async def _call(app: ASGIApp, receive: Receive, send: Send, token: str) -> None:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/search", "raw_path": b"/search", "root_path": "",
        "query_string": b"", "server": ("testserver", 80), "client": ("127.0.0.1", 5),
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    await app(scope, receive, send)


async def _request_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _gone() -> Message:
    return {"type": "http.disconnect"}


async def _collect(message: Message) -> None:
    return None


def test_an_app_that_never_answers_still_leaves_one_record(idps: IdPs) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    gate, records = gate_for(idps, app)
    asyncio.run(_call(gate, _request_body, _collect, idps.rsa.mint()))
    (record,) = records
    assert (record["effect"], record["sent_status"], record["outcome"]) == (
        "allow",
        None,
        "no_response",
    )


def test_a_client_gone_before_the_answer_is_recorded_as_disconnected(idps: IdPs) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})

    gate, records = gate_for(idps, app)
    asyncio.run(_call(gate, _gone, _collect, idps.rsa.mint()))
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (None, "disconnected")


def test_a_failing_server_send(idps: IdPs) -> None:
    """A refusal the server cannot send is recorded as disconnected. An allowed answer's record
    is written as its status line is handed to the server (no coroutine of ours on every
    answer): it says sent, and the server's error still reaches the caller."""

    async def closed(message: Message) -> None:
        raise OSError("connection reset by peer")

    gate, records = gate_for(idps)
    token = idps.rsa.mint()
    for _ in range(2):  # decided, then remembered
        records.clear()
        with pytest.raises(OSError, match="reset"):
            asyncio.run(_call(gate, _request_body, closed, token))
        (record,) = records
        assert (record["sent_status"], record["outcome"]) == (200, "sent")
    records.clear()
    with pytest.raises(OSError, match="reset"):
        asyncio.run(_call(gate, _request_body, closed, idps.rsa.mint(region="US-IL")))
    (record,) = records
    assert (record["status"], record["sent_status"], record["outcome"]) == (
        451,
        None,
        "disconnected",
    )


def test_an_app_cancelled_before_answering_is_recorded_as_disconnected(idps: IdPs) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise asyncio.CancelledError  # as a server cancels an app whose client left

    gate, records = gate_for(idps, app)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(_call(gate, _request_body, _collect, idps.rsa.mint()))
    (record,) = records
    assert (record["sent_status"], record["outcome"]) == (None, "disconnected")


def test_refusals_record_what_they_sent(idps: IdPs) -> None:
    gate, records = gate_for(idps)
    for token, status in ((None, 401), ("x.y.z", 401), (idps.rsa.mint(region="US-IL"), 451)):
        records.clear()
        response = get(gate, token=token)
        assert response.status_code == status
        record = one_record(records, response)
        assert (record["status"], record["sent_status"], record["outcome"]) == (
            status,
            status,
            "sent",
        )


def test_the_audit_file_line_holds_the_sent_status(idps: IdPs, tmp_path: Path) -> None:
    """The file's lines, decided and remembered alike, carry the new fields after the old ones."""
    sink = AuditFile(tmp_path / "audit.jsonl", flush_interval=0.05)
    gate, _ = gate_for(idps, sink=sink)
    token = idps.rsa.mint()
    try:
        for _ in range(2):
            assert get(gate, "/search/", token).status_code == 307
        assert get(gate, "/search", token).status_code == 200
    finally:
        sink.close()
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["status"], r["sent_status"], r["outcome"]) for r in records] == [
        (200, 307, "sent"),
        (200, 307, "sent"),
        (200, 200, "sent"),
    ]
    assert list(records[0])[-3:] == ["latency_us", "sent_status", "outcome"]
    assert records[1]["tier"] == "local"


def test_an_accepted_websocket_is_recorded_as_sent_101(idps: IdPs) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})

    gate, records = gate_for(idps, app)
    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/search",
        "raw_path": b"/search", "root_path": "", "query_string": b"", "subprotocols": [],
        "headers": [(b"host", b"t"), (b"authorization", f"Bearer {idps.rsa.mint()}".encode())],
        "server": ("t", 80), "client": ("127.0.0.1", 5),
    }  # fmt: skip
    asyncio.run(gate(scope, receive, send))
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    (record,) = records
    assert (record["effect"], record["sent_status"], record["outcome"]) == ("allow", 101, "sent")
