"""WarmRequests: the bounded, expiring memory of whole requests (the gate's hottest lookup)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Scope

from jurisgate.middleware import AuditLog, Decision, Principal, load_engine
from jurisgate.middleware.cache.warm import (
    RememberedRequest,
    RequestKey,
    WarmRequests,
    request_key,
)
from jurisgate.middleware.claims.routed_path import routed_path
from jurisgate.middleware.config.gate_config import PolicySettings

ENGINE = load_engine(PolicySettings())
OTHER_ENGINE = load_engine(PolicySettings())
PRINCIPAL = Principal("https://idp.test", "s", "state_agency", "US", "US-TX")
ALLOW = Decision("allow", 200, "r", None, ENGINE.version)
FIELDS = AuditLog().remembered(PRINCIPAL, ALLOW, "GET", "/search")


def entry(not_before: float = 100.0, engine: object = ENGINE) -> RememberedRequest:
    return RememberedRequest(engine, PRINCIPAL, ALLOW, "GET", "/search", not_before, FIELDS)  # type: ignore[arg-type]


def key(n: int) -> RequestKey:
    return (b"Bearer t%d" % n, "GET", "/search", b"/search", "", None)


def test_an_entry_holds_from_its_start_until_its_expiry_only() -> None:
    warm = WarmRequests(10)
    warm.remember(key(1), entry(not_before=100.0), 200.0, 100.0)
    assert warm.get(key(1), ENGINE, 99.9) is None  # a clock stepped back
    assert warm.get(key(1), ENGINE, 100.0) is not None
    assert warm.get(key(1), ENGINE, 199.9) is not None
    assert warm.get(key(1), ENGINE, 200.0) is None
    assert len(warm) == 0  # an expired entry is dropped when met
    assert (warm.hits, warm.misses) == (2, 2)


def test_another_engine_never_reuses_an_entry() -> None:
    warm = WarmRequests(10)
    warm.remember(key(1), entry(), 200.0, 100.0)
    assert warm.get(key(1), OTHER_ENGINE, 150.0) is None
    assert warm.get(key(1), ENGINE, 150.0) is not None


def test_the_least_recently_used_entry_goes_first() -> None:
    warm = WarmRequests(2)
    warm.remember(key(1), entry(), 200.0, 100.0)
    warm.remember(key(2), entry(), 200.0, 100.0)
    assert warm.get(key(1), ENGINE, 150.0) is not None  # 1 is now the most recent
    warm.remember(key(3), entry(), 200.0, 100.0)
    assert warm.get(key(2), ENGINE, 150.0) is None
    assert warm.get(key(1), ENGINE, 150.0) is not None
    assert len(warm) == 2


def test_zero_entries_remembers_nothing_and_past_expiries_are_not_stored() -> None:
    off = WarmRequests(0)
    off.remember(key(1), entry(), 200.0, 100.0)
    assert len(off) == 0
    warm = WarmRequests(5)
    warm.remember(key(1), entry(), 100.0, 100.0)
    assert len(warm) == 0
    with pytest.raises(ValueError, match="max_entries"):
        WarmRequests(-1)


def scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "method": "HEAD", "path": "/a/../b", "headers": list(headers)}


def test_request_key_needs_exactly_one_authorization_header() -> None:
    one = (b"authorization", b"Bearer abc")
    expected = (b"Bearer abc", "HEAD", "/a/../b", None, None, None)
    assert request_key(scope((b"host", b"x"), one)) == expected
    assert request_key(scope((b"host", b"x"))) is None
    assert request_key(scope(one, one)) is None
    assert request_key(scope(one, (b"authorization", b"Bearer other"))) is None


class ReadScope(dict[str, Any]):
    """A scope that notes which of its keys were read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


ROUTING = ("path", "raw_path", "root_path", "app_root_path")
TEXT = st.sampled_from(["", "/", "/api", "/api/search", "/search", "/a%2Fb", "/a/b", "/é", "//x"])


@given(
    path=TEXT,
    raw=st.one_of(st.none(), TEXT.map(lambda t: t.encode("utf-8"))),
    root=st.one_of(st.none(), TEXT),
    app_root=st.one_of(st.none(), TEXT),
)
def test_the_key_holds_every_input_of_the_routed_path(
    path: str, raw: bytes | None, root: str | None, app_root: str | None
) -> None:
    """A remembered request is not routed again: two requests with one key must route alike,
    so the key holds whatever ``routed_path`` reads, and each of those changes the key."""
    fields = {"path": path, "raw_path": raw, "root_path": root, "app_root_path": app_root}
    base = {"type": "http", "method": "GET", "headers": [(b"authorization", b"Bearer t")]}
    seen = ReadScope({**base, **{k: v for k, v in fields.items() if v is not None}})
    routed_path(seen)
    assert seen.read <= set(ROUTING)
    key = request_key(seen)
    assert key is not None
    for name in ROUTING:
        other = {**fields, name: "/other" if name != "raw_path" else b"/other"}
        changed = {**base, **{k: v for k, v in other.items() if v is not None}}
        assert request_key(changed) != key, name


def test_many_long_keys_stay_within_the_byte_budget() -> None:
    """Counted by the memory's own byte accounting: each entry at least its header's size."""
    warm = WarmRequests(100_000, max_bytes=200_000)
    for n in range(500):
        header = b"Bearer " + b"t" * 7000 + b"%d" % n
        warm.remember((header, "GET", "/search", b"/search", "", None), entry(), 200.0, 100.0)
        assert warm.bytes <= 200_000
    assert 7000 * len(warm) <= warm.bytes
    assert len(warm) < 500
    last, first = (b"Bearer " + b"t" * 7000 + b"%d" % n for n in (499, 0))
    assert warm.get((last, "GET", "/search", b"/search", "", None), ENGINE, 150.0)
    assert warm.get((first, "GET", "/search", b"/search", "", None), ENGINE, 150.0) is None
    warm.clear()
    assert warm.bytes == 0
