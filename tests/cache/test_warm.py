"""WarmRequests: the bounded, expiring memory of whole requests (the gate's hottest lookup)."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from jurisgate.middleware import AuditLog, Decision, Principal, load_engine
from jurisgate.middleware.cache.warm import RememberedRequest, WarmRequests, request_key
from jurisgate.middleware.config.gate_config import PolicySettings

ENGINE = load_engine(PolicySettings())
OTHER_ENGINE = load_engine(PolicySettings())
PRINCIPAL = Principal("https://idp.test", "s", "state_agency", "US", "US-TX")
ALLOW = Decision("allow", 200, "r", None, ENGINE.version)
FIELDS = AuditLog().remembered(PRINCIPAL, ALLOW, "GET", "/search")


def entry(not_before: float = 100.0, engine: object = ENGINE) -> RememberedRequest:
    return RememberedRequest(engine, PRINCIPAL, ALLOW, "GET", "/search", not_before, FIELDS)  # type: ignore[arg-type]


def key(n: int) -> tuple[bytes, str, str]:
    return (b"Bearer t%d" % n, "GET", "/search")


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
    assert request_key(scope((b"host", b"x"), one), "/a/../b") == (b"Bearer abc", "HEAD", "/a/../b")
    assert request_key(scope((b"host", b"x")), "/a/../b") is None
    assert request_key(scope(one, one), "/a/../b") is None
    assert request_key(scope(one, (b"authorization", b"Bearer other")), "/a/../b") is None


def test_many_long_keys_stay_within_the_byte_budget() -> None:
    """Counted by the memory's own byte accounting: each entry at least its header's size."""
    warm = WarmRequests(100_000, max_bytes=200_000)
    for n in range(500):
        header = b"Bearer " + b"t" * 7000 + b"%d" % n
        warm.remember((header, "GET", "/search"), entry(), 200.0, 100.0)
        assert warm.bytes <= 200_000
    assert 7000 * len(warm) <= warm.bytes
    assert len(warm) < 500
    assert warm.get((b"Bearer " + b"t" * 7000 + b"499", "GET", "/search"), ENGINE, 150.0)
    assert warm.get((b"Bearer " + b"t" * 7000 + b"0", "GET", "/search"), ENGINE, 150.0) is None
    warm.clear()
    assert warm.bytes == 0
