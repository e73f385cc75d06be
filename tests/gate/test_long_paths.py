"""Long paths (issue #12, findings 4 and 5): refused with 414 over the configured length before
any per-path work, decided in time that grows at most linearly with the path, and never able to
make the gate's memories or audit records grow without bound."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware import (
    AuditLog,
    CacheSettings,
    ConfigError,
    FixedClock,
    GateConfig,
    JurisdictionMiddleware,
    LruTtlCache,
    load_config,
)
from jurisgate.middleware.cache.warm import WarmRequests
from jurisgate.middleware.claims.principal import PolicyView
from jurisgate.middleware.config.request_limits import RequestLimits
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.policies import pack_files

if TYPE_CHECKING:
    from starlette.types import Message

    from tests.fixtures.idps import IdPs

NOW = 1_795_694_400.0  # 2026-11-26T12:00:00Z, the instant the test IdPs mint for
MODEL = pack_files()[0].read_text(encoding="utf-8")


async def _search(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


def gate_for(
    idps: IdPs, records: list[Mapping[str, Any]], limits: RequestLimits | None = None
) -> JurisdictionMiddleware:
    app = Starlette(routes=[Route("/search/{rest:path}", _search), Route("/search", _search)])
    config = GateConfig(issuers=tuple(idps.trusted()))
    if limits is not None:
        config = dataclasses.replace(config, requests=limits)
    return JurisdictionMiddleware(
        app, config=config, clock=FixedClock(NOW), audit=AuditLog(observers=[records.append])
    )


def send_raw(
    app: JurisdictionMiddleware, path: str, *, token: str | None = None, kind: str = "http"
) -> list[Message]:
    headers = [(b"host", b"testserver")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope: dict[str, Any] = {
        "type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1", "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"), "root_path": "",
        "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80), "scheme": "http" if kind == "http" else "ws",
    }  # fmt: skip
    if kind == "http":
        scope["method"] = "GET"
        incoming: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]
    else:
        scope["subprotocols"] = []
        incoming = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def status_of(sent: list[Message]) -> int:
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    status: int = start["status"]
    return status


def header(sent: list[Message], name: bytes) -> str:
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    (value,) = [v for k, v in start["headers"] if k == name]
    text: str = value.decode("latin-1")
    return text


def body(sent: list[Message]) -> dict[str, Any]:
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def search_path(size: int, filler: str = "a") -> str:
    """``/search/aaa...`` of exactly ``size`` UTF-8 bytes (``filler`` of 1 or 2 bytes)."""
    width = len(filler.encode())
    path = "/search/" + filler * ((size - 8) // width)
    assert len(path.encode()) == size
    return path


# -- 414 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [None, 1000])
def test_a_path_at_the_limit_is_decided_one_byte_over_is_414(idps: IdPs, limit: int | None) -> None:
    records: list[Mapping[str, Any]] = []
    limits = RequestLimits(max_path_bytes=limit) if limit is not None else None
    gate = gate_for(idps, records, limits)
    size = limit if limit is not None else 4096  # the documented default
    token = idps.rsa.mint()  # a New York police token: /search and below are allowed

    at_limit = send_raw(gate, search_path(size), token=token)
    assert status_of(at_limit) == 200
    over = send_raw(gate, search_path(size + 1), token=token)
    assert status_of(over) == 414
    problem = body(over)
    assert header(over, b"content-type") == "application/problem+json"
    assert problem["type"] == "urn:jurisgate:problem:path_too_long"
    assert (problem["status"], problem["title"]) == (414, "URI Too Long")
    assert problem["decision_id"] == header(over, b"x-jurisgate-decision-id")
    assert [r["status"] for r in records] == [200, 414]


def test_the_limit_counts_utf8_bytes_not_characters(idps: IdPs) -> None:
    gate = gate_for(idps, [])
    token = idps.rsa.mint()
    assert status_of(send_raw(gate, search_path(4096, "é"), token=token)) == 200
    over = search_path(4098, "é")
    assert len(over) < 4096  # fewer characters than the limit, more bytes
    assert status_of(send_raw(gate, over, token=token)) == 414


def test_414_is_audited_once_before_any_per_path_work(idps: IdPs) -> None:
    records: list[Mapping[str, Any]] = []
    gate = gate_for(idps, records)
    path = "/search/" + "a/" * 30_000
    sent = send_raw(gate, path, token=idps.rsa.mint(region="US-IL"))
    assert status_of(sent) == 414
    (record,) = records
    assert record["decision_id"] == header(sent, b"x-jurisgate-decision-id")
    assert (record["effect"], record["status"], record["reason"]) == ("deny", 414, "path_too_long")
    assert record["sent_status"] == 414
    assert len(record["path"]) < 1200  # the audit field's documented limit (1024 and a marker)
    # Nothing was looked at: no token verified, no decision looked up or computed.
    assert gate.authenticator.tokens.misses == gate.authenticator.tokens.hits == 0
    for cache in (gate.tiers.public, gate.tiers.local):
        assert cache.misses == cache.hits == len(cache) == 0
    assert gate.warm.misses == gate.warm.hits == 0


def test_a_long_websocket_path_is_closed_and_audited(idps: IdPs) -> None:
    records: list[Mapping[str, Any]] = []
    gate = gate_for(idps, records)
    sent = send_raw(gate, search_path(5000), token=idps.rsa.mint(), kind="websocket")
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1008
    (record,) = records
    assert (record["status"], record["reason"]) == (414, "path_too_long")


def test_max_path_bytes_in_the_config_file(tmp_path: Path, idps: IdPs) -> None:
    key = tmp_path / "idp.pem"
    key.write_bytes(idps.rsa.public_key)
    issuer = (
        f'[[issuers]]\nissuer = "{idps.rsa.issuer}"\naudience = "face-search-api"\n'
        f'algorithms = ["RS256"]\npublic_key_file = "{key}"\n'
    )
    config = tmp_path / "jurisgate.toml"
    config.write_text(issuer, encoding="utf-8")
    assert load_config(config).requests.max_path_bytes == 4096
    config.write_text(issuer + "[requests]\nmax_path_bytes = 2048\n", encoding="utf-8")
    assert load_config(config).requests.max_path_bytes == 2048
    for bad in ("0", "100", "16777217", '"4096"', "4096.5"):
        config.write_text(issuer + f"[requests]\nmax_path_bytes = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"requests.*max_path_bytes"):
            load_config(config)
    config.write_text(issuer + "[requests]\nmax_path = 2048\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key requests\.max_path"):
        load_config(config)


# -- linear matching -----------------------------------------------------------------------------


class CountingDict(dict[str, Any]):
    """The subtree index of one bucket, counting the keys looked up and their characters."""

    probes = 0
    characters = 0

    def get(self, key: str, default: Any = None) -> Any:
        type(self).probes += 1
        type(self).characters += len(key)
        return super().get(key, default)


NEW_YORK = PolicyView("state_law_enforcement", "US", "US-NY", "state_law_enforcement", "US-NY")
TEXAS = PolicyView("state_agency", "US", "US-TX", "state_agency", "US-TX")


def engine_of(csv: str) -> PolicyEngine:
    return PolicyEngine(PolicySource(MODEL, read_policy_csv(csv, "t.csv"), "m.conf", "t.csv"))


SUBTREES = """
p, a, allow, state_law_enforcement, US, *, *, *, *, /search/*, GET, , , ,
p, b, deny, state_law_enforcement, US, *, *, *, *, /search/a/a/*, GET, , , ,
p, c, allow, state_law_enforcement, US, *, *, *, *, /*, GET, , , ,
p, d, deny, state_law_enforcement, US, *, *, *, *, /other/deep/tree/*, GET, , , ,
"""


def test_subtree_lookups_do_not_grow_with_the_path() -> None:
    """The work per decision is counted, not timed: the subtree index is probed a number of
    times (and over a number of characters) that depends on the policy, not on the path."""
    engine = engine_of(SUBTREES)
    compiled = engine.compiled
    assert compiled is not None
    compiled.decide(NEW_YORK, "/search", "GET", NOW)
    (bucket,) = compiled._buckets.values()
    bucket.subtree = CountingDict(bucket.subtree)
    bases = {"/search", "/search/a/a", "", "/other/deep/tree"}
    counts = []
    for segments in (10, 1_000, 20_000):
        CountingDict.probes = CountingDict.characters = 0
        path = "/search" + "/a" * segments
        allowed, rule = compiled.decide(NEW_YORK, path, "GET", NOW)
        assert (allowed, rule and rule.id) == (False, "b")
        assert CountingDict.probes <= len(bases)
        assert CountingDict.characters <= sum(len(base) for base in bases)
        counts.append((CountingDict.probes, CountingDict.characters))
    assert counts[0] == counts[1] == counts[2]


SEGMENTS = ["a", "b", "search", ""]


@st.composite
def subtree_policies(draw: st.DrawFn) -> tuple[PolicyEngine, list[str]]:
    patterns = []
    lines = []
    for index in range(draw(st.integers(1, 8))):
        depth = draw(st.integers(0, 4))
        base = "".join("/" + draw(st.sampled_from(SEGMENTS[:3])) for _ in range(depth))
        pattern = draw(st.sampled_from([base + "/*", base or "/", "*"]))
        patterns.append(pattern)
        effect = draw(st.sampled_from(["allow", "deny"]))
        lines.append(f"p, r{index}, {effect}, state_agency, US, *, *, *, *, {pattern}, GET, , , ,")
    return engine_of("\n".join(lines)), patterns


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subtree_policies(),
    st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=12),
    st.integers(0, 300),
)
def test_long_paths_decide_like_casbin(
    policy: tuple[PolicyEngine, list[str]], segments: list[str], repeat: int
) -> None:
    """A reference for long paths: Casbin's own matcher (``pathMatch`` per rule)."""
    engine, _ = policy
    compiled = engine.compiled
    assert compiled is not None
    path = "".join("/" + s for s in segments) + "/a" * repeat
    for candidate in (path, path or "/", path + "/", "/search" + path):
        expected = engine.casbin_decide(TEXAS, "GET", candidate, NOW)
        got = compiled.decide(TEXAS, candidate, "GET", NOW)
        assert got == expected, candidate[:80]


# -- bounded memory and audit records ------------------------------------------------------------


def test_many_distinct_long_paths_stay_within_the_byte_budget(idps: IdPs) -> None:
    """Measured with each memory's own byte accounting (never the process's RSS)."""
    budget = 256 * 1024
    app = Starlette(routes=[Route("/search/{rest:path}", _search)])
    config = dataclasses.replace(
        GateConfig(issuers=tuple(idps.trusted())),
        cache=CacheSettings(local_max_entries=100_000, local_max_bytes=budget),
    )
    gate = JurisdictionMiddleware(app, config=config, clock=FixedClock(NOW))
    memories: dict[str, LruTtlCache[Any, Any] | WarmRequests] = {
        "decisions": gate.tiers.local,
        "public answers": gate.tiers.public,
        "verified tokens": gate.authenticator.tokens,
        "remembered requests": gate.warm,
    }
    long_token = idps.hmac.mint(sub="s" * 256, padding="x" * 5000)
    for n in range(150):
        path = f"/search/{n}/" + "a" * 4000
        send_raw(gate, path, token=long_token)  # a decision per path
        send_raw(gate, path)  # a public answer per path
        send_raw(gate, f"/search/{n}", token=idps.hmac.mint(sub=f"client-{n}", pad="x" * 5000))
        for name, memory in memories.items():
            assert memory.bytes <= budget, name
    for name, memory in memories.items():
        assert 0 < len(memory) < 150, name  # the budget, not the entry count, bounded them
        assert memory.bytes > budget - 16 * 1024, name  # full: nothing evicted before its time


def test_a_long_key_is_counted_by_its_length() -> None:
    cache: LruTtlCache[tuple[str, ...], str] = LruTtlCache(10, 65_536)
    path = "/search/" + "é" * 3000
    cache.put(("v", "state_agency", "US", "US-TX", "GET", path), "d", NOW + 60, NOW)
    assert cache.bytes >= len(path.encode("utf-8"))
    cache.put(("v", "state_agency", "US", "US-TX", "GET", path + "x" * 70_000), "d", NOW + 60, NOW)
    assert len(cache) == 1  # an entry over the whole budget is not kept
    assert cache.get(("v", "state_agency", "US", "US-TX", "GET", path), NOW + 61) is None
    assert (len(cache), cache.bytes) == (0, 0)  # expired, and its bytes given back


def test_audit_fields_have_size_limits(idps: IdPs) -> None:
    records: list[Mapping[str, Any]] = []
    gate = gate_for(idps, records, RequestLimits(max_path_bytes=65536))
    path = "/search/" + "p" * 20_000
    sent = send_raw(gate, path, token=idps.rsa.mint())
    assert status_of(sent) == 200
    (record,) = records
    recorded = record["path"]
    assert recorded.startswith(path[:1024])
    assert len(recorded) <= 1024 + 80
    assert "…[cut " in recorded
    assert "sha256:" in recorded
    assert len(str(record)) < 4096  # the whole line, with a 20 KB path
