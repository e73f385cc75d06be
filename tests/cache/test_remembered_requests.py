"""Remembered requests (cache/warm.py): answering a request again from memory must never change
what the gate says, only how fast. A gate with the memory is checked against the same gate
without it, request by request, while the clock moves across rule boundaries, token expiries
and public-path openings, forwards and backwards."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import (
    AuditLog,
    FixedClock,
    JurisdictionMiddleware,
    PolicySettings,
    TrustedIssuer,
    load_engine,
)
from jurisgate.middleware.cache.warm import WarmRequests
from jurisgate.policies import pack_file

if TYPE_CHECKING:
    from tests.conftest import TokenFactory

START = 1_795_000_000.0  # 2026-11-18
IL_ENDS = 1_810_011_600.0  # 2027-05-11T05:00:00Z (midnight in Chicago): the Illinois rules' end
LATER_OPENS = 1_796_000_000.0  # a path that becomes public during the test
# Rules on top of the settlement pack: /later opens to anonymous callers at LATER_OPENS.
EXTRA_RULES = (
    "p, later-public, allow, anonymous, *, *, *, *, *, /later, GET, 2026-11-30T00:53:20Z, , ,\n"
)


class ListSink:
    """An audit sink that keeps the lines (the AuditSink protocol)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.records: list[Mapping[str, Any]] = []  # what an observer saw, when there is one

    def write(self, line: str) -> None:
        self.lines.append(line)

    def close(self) -> None:
        pass


async def echo(request: Request) -> JSONResponse:
    user = request.user
    return JSONResponse(
        {
            "authenticated": user.is_authenticated,
            "subject": user.principal.subject if user.is_authenticated else None,
        }
    )


def routes() -> list[Route]:
    methods = ["GET", "HEAD", "POST"]
    return [Route(path, echo, methods=methods) for path in ("/search", "/later", "/health")] + [
        Route("/search/{rest:path}", echo, methods=methods)
    ]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policy")
    (folder / "model.conf").write_text(Path(str(pack_file("model.conf"))).read_text())
    pack = Path(str(pack_file("policy.csv"))).read_text()
    (folder / "policy.csv").write_text(pack + EXTRA_RULES)
    return folder


def make_gate(
    policy_dir: Path,
    issuer: TrustedIssuer,
    clock: FixedClock,
    *,
    remember: bool,
    observed: bool = False,
) -> tuple[JurisdictionMiddleware, ListSink]:
    """``observed``: an observer wants every record, so a remembered request's record is
    built whole (from the entry's template) rather than written straight to the sink."""
    sink = ListSink()
    observers = [sink.records.append] if observed else []
    gate = JurisdictionMiddleware(
        Starlette(routes=routes()),
        issuers=[issuer],
        policy=PolicySettings(
            model=policy_dir / "model.conf", policy=policy_dir / "policy.csv", watch_interval=0
        ),
        clock=clock,
        audit=AuditLog(sink=sink, observers=observers),
    )
    if not remember:
        gate.warm = WarmRequests(0)
    return gate, sink


async def send(
    gate: JurisdictionMiddleware,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    root_path: str = "",
) -> tuple[int, Any]:
    transport = httpx.ASGITransport(app=gate, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.request(method, path, headers=headers)
    body = response.json() if response.content else None
    if isinstance(body, dict):
        body.pop("decision_id", None)
        body.pop("instance", None)
    return response.status_code, body


def comparable(line: str) -> dict[str, Any]:
    """An audit line without what differs between two runs of the same request."""
    record: dict[str, Any] = json.loads(line)
    for varying in ("ts", "decision_id", "latency_us", "tier"):
        record.pop(varying)
    return record


CLIENTS = [
    ("fbi-hq", "federal_law_enforcement", "US-DC", 7200),
    ("fbi-chicago", "federal_law_enforcement", "US-IL", 7200),
    ("nypd-short", "local_law_enforcement", "US-NY", 90),  # expires during the test
    ("texas-company", "private_company", "US-TX", 7200),
]
PATHS = ["/search", "/search/x", "/search/../health", "/later", "/health", "//search/"]
# Clock moves: small steps, across the /later opening and the Illinois rule's end, and back.
MOVES = [0.0, 1.0, 45.0, 200.0, -30.0, -4000.0, LATER_OPENS - START, IL_ENDS - START + 5]

step = st.tuples(
    st.sampled_from(MOVES),
    st.integers(0, len(CLIENTS)),  # len(CLIENTS): no token
    st.sampled_from(["GET", "HEAD", "POST"]),
    st.sampled_from(PATHS),
    st.booleans(),  # the Authorization header twice
    st.sampled_from(["", "/search"]),  # the server's root path: the same path routes apart
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
@pytest.mark.parametrize("observed", [False, True], ids=["sink-only", "whole-record"])
def test_remembering_never_changes_an_answer(
    observed: bool,
    steps: list[tuple[float, int, str, str, bool, str]],
    policy_dir: Path,
    dev_issuer: TrustedIssuer,
    tokens: TokenFactory,
) -> None:
    clock = FixedClock(START)
    remembering, remembered = make_gate(
        policy_dir, dev_issuer, clock, remember=True, observed=observed
    )
    deciding, decided = make_gate(policy_dir, dev_issuer, clock, remember=False, observed=observed)
    remembered_lines, decided_lines = remembered.lines, decided.lines
    signed = [
        tokens.client(START, entity, "US", region, lifetime=lifetime, subject=subject)
        for subject, entity, region, lifetime in CLIENTS
    ]

    async def run() -> None:
        for move, client, method, path, twice, root in steps:
            clock.advance(move)
            headers = []
            if client < len(signed):
                headers.append(("authorization", f"Bearer {signed[client]}"))
                if twice:
                    headers.append(("authorization", f"Bearer {signed[client]}"))
            first = await send(remembering, method, path, headers, root)
            second = await send(deciding, method, path, headers, root)
            assert first == second, (move, client, method, path, twice, root)
            # Each request leaves exactly one audit line, the same in both.
            assert len(remembered_lines) == len(decided_lines)
            assert comparable(remembered_lines[-1]) == comparable(decided_lines[-1])
            if observed:  # the record itself too: its keys, in order, and its values
                ours, theirs = remembered.records[-1], decided.records[-1]
                assert list(ours) == list(theirs)
                assert comparable(json.dumps(ours)) == comparable(json.dumps(theirs))
                assert json.loads(remembered_lines[-1]) == json.loads(json.dumps(ours))

    asyncio.run(run())


def test_a_repeated_request_is_answered_from_memory(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    clock = FixedClock(START)
    gate, sink = make_gate(policy_dir, dev_issuer, clock, remember=True)
    lines = sink.lines
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]

    async def run() -> list[tuple[int, Any]]:
        return [await send(gate, "GET", "/search", bearer) for _ in range(3)]

    answers = asyncio.run(run())
    assert answers == [(200, {"authenticated": True, "subject": "client-1"})] * 3
    assert gate.warm.hits == 2
    assert gate.health()["remembered_requests"] == {"entries": 1, "hits": 2, "misses": 1}
    records = [json.loads(line) for line in lines]
    assert [r["tier"] for r in records] == ["engine", "local", "local"]
    assert len({r["decision_id"] for r in records}) == 3
    assert comparable(lines[1]) == comparable(lines[0]) == comparable(lines[2])
    assert records[1]["ts"] >= records[0]["ts"]


def test_a_policy_reload_forgets_remembered_requests(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory, tmp_path: Path
) -> None:
    clock = FixedClock(START)
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]
    (tmp_path / "model.conf").write_text((policy_dir / "model.conf").read_text())
    (tmp_path / "policy.csv").write_text(
        "p, no-texas, deny, *, US, US-TX, *, *, *, *, *, , , Texas order, https://example.invalid/tx\n"
        + (policy_dir / "policy.csv").read_text()
    )
    stricter = load_engine(
        PolicySettings(model=tmp_path / "model.conf", policy=tmp_path / "policy.csv")
    )

    async def run() -> list[int]:
        statuses = [(await send(gate, "GET", "/search", bearer))[0]]
        gate.engine = stricter  # what a reload does
        statuses.append((await send(gate, "GET", "/search", bearer))[0])
        return statuses

    assert asyncio.run(run()) == [200, 451]
    assert gate.warm.hits == 0


def test_memory_is_bounded_by_the_local_cache_size(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    clock = FixedClock(START)
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    gate.warm = WarmRequests(3)
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]

    async def run() -> None:
        for n in range(10):
            assert (await send(gate, "GET", f"/search/{n}", bearer))[0] == 200

    asyncio.run(run())
    assert len(gate.warm) == 3


@pytest.mark.parametrize(
    ("entity", "region", "path", "lifetime", "first", "move", "then"),
    [
        # The token expires: 401, not the remembered 200.
        ("local_law_enforcement", "US-NY", "/search", 5, 80.0, 40.0, 401),
        # The Illinois rule ends: 200, not the remembered 451.
        ("federal_law_enforcement", "US-IL", "/search", 3600, IL_ENDS - 1 - START, 2.0, 200),
        # /later opens to anonymous callers: passed through as anonymous, not remembered 403.
        ("federal_law_enforcement", "US-DC", "/later", 3600, LATER_OPENS - 1 - START, 2.0, 200),
    ],
)
def test_memory_ends_where_the_answer_changes(
    policy_dir: Path,
    dev_issuer: TrustedIssuer,
    tokens: TokenFactory,
    entity: str,
    region: str,
    path: str,
    lifetime: int,
    first: float,
    move: float,
    then: int,
) -> None:
    clock = FixedClock(START)
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    # Issued shortly before the first request: the token outlives the boundary but for the
    # expiry case.
    issued = START + first - 60
    token = tokens.client(issued, entity, "US", region, lifetime=lifetime + 60)
    bearer = [("authorization", f"Bearer {token}")]

    async def run() -> list[int]:
        clock.advance(first)
        before = [(await send(gate, "GET", path, bearer))[0] for _ in range(2)]
        clock.advance(move)
        return [*before, (await send(gate, "GET", path, bearer))[0]]

    statuses = asyncio.run(run())
    assert statuses[0] == statuses[1] != then
    assert statuses[2] == then
    assert gate.warm.hits == 1  # the repeat before the boundary, not the one after


def test_a_clock_stepped_back_is_not_answered_from_memory(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    clock = FixedClock(IL_ENDS + 10)  # the Illinois rule has ended: the FBI in Chicago may search
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    token = tokens.client(IL_ENDS - 100, "federal_law_enforcement", "US", "US-IL")
    bearer = [("authorization", f"Bearer {token}")]

    async def run() -> list[int]:
        statuses = [(await send(gate, "GET", "/search", bearer))[0]]
        clock.advance(-20)  # back before the rule's end
        statuses.append((await send(gate, "GET", "/search", bearer))[0])
        return statuses

    assert asyncio.run(run()) == [200, 451]
    assert gate.warm.hits == 0


def test_each_request_gets_a_user_object_of_its_own(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    """What the app writes on request.user must not reach the next request with that token."""

    async def act_as(request: Request) -> JSONResponse:
        user = request.user
        if "as" in request.query_params:  # an app that narrows the user for one request
            user.principal = dataclasses.replace(user.principal, subject=request.query_params["as"])
        return JSONResponse(
            {"user": user.principal.subject, "state": request.state.principal.subject}
        )

    gate = JurisdictionMiddleware(
        Starlette(routes=[Route("/search", act_as)]),
        issuers=[dev_issuer],
        policy=PolicySettings(
            model=policy_dir / "model.conf", policy=policy_dir / "policy.csv", watch_interval=0
        ),
        clock=FixedClock(START),
    )
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]

    async def run() -> list[tuple[int, Any]]:
        return [
            await send(gate, "GET", "/search?as=someone-else", bearer),
            await send(gate, "GET", "/search", bearer),
        ]

    first, second = asyncio.run(run())
    assert first == (200, {"user": "someone-else", "state": "client-1"})
    assert second == (200, {"user": "client-1", "state": "client-1"})
    assert gate.warm.hits == 1


def test_a_reload_frees_the_remembered_requests(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory, tmp_path: Path
) -> None:
    (tmp_path / "model.conf").write_text((policy_dir / "model.conf").read_text())
    policy = tmp_path / "policy.csv"
    policy.write_text((policy_dir / "policy.csv").read_text())
    settings = PolicySettings(model=tmp_path / "model.conf", policy=policy, watch_interval=60)
    publish_policy(settings)
    gate = JurisdictionMiddleware(
        Starlette(routes=routes()),
        issuers=[dev_issuer],
        policy=settings,
        clock=FixedClock(START),
    )
    assert gate.reloader is not None
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]

    async def run() -> bool:
        for n in range(5):
            assert (await send(gate, "GET", f"/search/{n}", bearer))[0] == 200
        assert len(gate.warm) == 5
        policy.write_text(policy.read_text() + "p, extra, deny, *, UA, *, *, *, *, *, *, , , ,\n")
        publish_policy(settings)
        assert gate.reloader is not None
        swapped = await gate.reloader.check("test")
        gate.reloader.stop()
        return swapped

    assert asyncio.run(run())
    assert len(gate.warm) == 0  # no entry keeps the old engine alive


def test_a_clock_stepped_back_before_the_token_was_issued_verifies_it_again(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    clock = FixedClock(START)
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    bearer = [("authorization", f"Bearer {tokens.client(START, 'state_agency', 'US', 'US-TX')}")]

    async def run() -> list[int]:
        statuses = [(await send(gate, "GET", "/search", bearer))[0]]
        clock.advance(-1000)  # the token's iat is now 1000 s in the future
        statuses.append((await send(gate, "GET", "/search", bearer))[0])
        return statuses

    assert asyncio.run(run()) == [200, 401]


def test_a_clock_set_after_construction_is_the_one_read(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    gate, _ = make_gate(policy_dir, dev_issuer, FixedClock(START), remember=True)
    gate.clock = FixedClock(IL_ENDS + 10)  # after the Illinois rule's end
    token = tokens.client(IL_ENDS, "federal_law_enforcement", "US", "US-IL")
    bearer = [("authorization", f"Bearer {token}")]
    assert asyncio.run(send(gate, "GET", "/search", bearer))[0] == 200


def test_a_path_routed_elsewhere_is_decided_again(
    policy_dir: Path, dev_issuer: TrustedIssuer, tokens: TokenFactory
) -> None:
    """The memory is keyed on the scope's routing inputs as sent, not on a routed path: the
    same path below another root path (here routed to the public /health) or with a raw path
    a framework rewrote must not be answered with what the first one was."""
    clock = FixedClock(START)
    gate, _ = make_gate(policy_dir, dev_issuer, clock, remember=True)
    token = tokens.client(START, "private_company", "US", "US-TX")
    bearer = [("authorization", f"Bearer {token}")]

    async def run() -> list[int]:
        return [
            (await send(gate, "GET", "/search/health", bearer, root))[0]
            for root in ("", "/search", "", "/search")
        ]

    assert asyncio.run(run()) == [451, 200, 451, 200]
    assert gate.warm.hits == 1  # the third (a public answer is not remembered)

    async def rewritten() -> int:
        header = (b"authorization", bearer[0][1].encode())
        scope = {
            "type": "http", "method": "GET", "path": "/search/health", "raw_path": b"/other",
            "root_path": "", "query_string": b"", "headers": [header],
        }  # fmt: skip
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def sent(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await gate(scope, receive, sent)
        return statuses[0]

    assert asyncio.run(rewritten()) == 403  # refused as rewritten, not the remembered 451
