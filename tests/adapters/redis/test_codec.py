"""Keys and sealed entries of the Redis tier, the breaker, single flight, and [cache] keys.

These need no server; they pin the pieces the server tests rely on.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jurisgate.adapters.breaker import CircuitBreaker
from jurisgate.adapters.redis_codec import (
    ENTRY_FORMAT,
    EntryRejected,
    open_entry,
    redis_key,
    seal_entry,
)
from jurisgate.middleware import CacheSettings, Citation, ConfigError, Decision, load_config
from jurisgate.middleware.cache.lru import DecisionKey
from jurisgate.middleware.cache.singleflight import SingleFlight
from jurisgate.middleware.claims.principal import PolicyView

pytestmark = pytest.mark.redis

SECRET = b"s" * 32
KEY: DecisionKey = (
    "v1",
    PolicyView("state_agency", "US", "US-TX", "state_agency", "US-TX", "official"),
    "GET",
    "/search",
)
NAME = redis_key("jurisgate:", KEY)
DENY = Decision("deny", 451, "il", Citation("ACLU v. Clearview AI", "https://x.test"), "v1", 50.0)

fields = st.text(alphabet='ab|:,"\\\x1f', max_size=4)


views = st.builds(PolicyView, *[fields] * 6)
keys = st.tuples(fields, views, fields, fields)


@given(keys, keys)
def test_different_inputs_never_share_a_key(one: DecisionKey, two: DecisionKey) -> None:
    assert (redis_key("p:", one) == redis_key("p:", two)) == (one == two)


def test_a_join_ambiguity_gives_two_keys() -> None:
    assert redis_key("p:", ("v", PolicyView("a|b", "c", ""), "", "")) != redis_key(
        "p:", ("v", PolicyView("a", "b|c", ""), "", "")
    )


@pytest.mark.parametrize(
    "other",
    [
        KEY[1]._replace(capacity="personal"),
        KEY[1]._replace(agency_region="US-IL"),
        KEY[1]._replace(agency_type="state_law_enforcement"),
        KEY[1]._replace(entity="individual", capacity="personal"),
    ],
)
def test_agency_and_capacity_are_part_of_the_key(other: PolicyView) -> None:
    """A shared decision for an official must never be found for a personal account, nor one
    for a Texas agency for an Illinois one in Texas."""
    assert redis_key("p:", (KEY[0], other, KEY[2], KEY[3])) != NAME


def test_seal_and_open() -> None:
    raw = seal_entry(SECRET, NAME, DENY, 40.0)
    assert open_entry(SECRET, NAME, "v1", raw, 10.0) == DENY
    inf = Decision("allow", 200, "r", None, "v1")
    assert open_entry(SECRET, NAME, "v1", seal_entry(SECRET, NAME, inf, 40.0), 10.0) == inf


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda raw: raw.replace(b'"deny"', b'"allow"'), "bad_mac"),
        (lambda raw: b"0" * 64 + raw[64:], "bad_mac"),
        (lambda raw: raw[:10], "malformed"),
        (lambda raw: raw.replace(b".", b"", 1), "malformed"),
        (lambda raw: b"x" * 20_000, "oversized"),
    ],
)
def test_tampering_is_refused(mutate: Callable[[bytes], bytes], reason: str) -> None:
    raw = seal_entry(SECRET, NAME, DENY, 40.0)
    with pytest.raises(EntryRejected) as info:
        open_entry(SECRET, NAME, "v1", mutate(raw), 10.0)
    assert info.value.reason == reason


def test_other_key_version_secret_or_time_is_refused() -> None:
    raw = seal_entry(SECRET, NAME, DENY, 40.0)
    cases = {
        "wrong_key": (
            SECRET,
            redis_key("jurisgate:", ("v1", PolicyView("x", "US", ""), "GET", "/")),
            "v1",
            1.0,
        ),
        "wrong_version": (SECRET, NAME, "v2", 10.0),
        "bad_mac": (b"t" * 32, NAME, "v1", 10.0),
        "expired": (SECRET, NAME, "v1", 40.0),
    }
    for reason, (secret, name, version, now) in cases.items():
        with pytest.raises(EntryRejected) as info:
            open_entry(secret, name, version, raw, now)
        assert info.value.reason == reason
    past_rule_change = seal_entry(SECRET, NAME, DENY, 60.0)  # entry outlives valid_until
    with pytest.raises(EntryRejected, match="expired"):
        open_entry(SECRET, NAME, "v1", past_rule_change, 55.0)


def test_a_validly_sealed_but_inconsistent_decision_is_refused() -> None:
    payload = {
        "format": ENTRY_FORMAT,
        "key": NAME,
        "policy_version": "v1",
        "effect": "allow",
        "status": 451,
        "rule": "r",
        "citation": None,
        "valid_until": None,
        "expires_at": 40.0,
    }
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    raw = hmac.new(SECRET, body, hashlib.sha256).hexdigest().encode() + b"." + body
    with pytest.raises(EntryRejected, match="inconsistent"):
        open_entry(SECRET, NAME, "v1", raw, 10.0)


def test_an_entry_from_a_replica_whose_clock_runs_ahead_is_refused() -> None:
    # Decided at 100 on a fast clock, just after a rule changed at 100: at 99 on ours, the
    # rule has not changed yet, so the entry must not answer.
    ahead = Decision("allow", 200, "r", None, "v1", math.inf, 100.0)
    raw = seal_entry(SECRET, NAME, ahead, 200.0)
    with pytest.raises(EntryRejected, match="not_yet_valid"):
        open_entry(SECRET, NAME, "v1", raw, 99.0)
    assert open_entry(SECRET, NAME, "v1", raw, 100.0) == ahead


def test_seal_needs_a_finite_expiry() -> None:
    with pytest.raises(ValueError, match="finite"):
        seal_entry(SECRET, NAME, DENY, math.inf)


def test_breaker_opens_after_repeated_failures_and_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    breaker = CircuitBreaker("dep", failures=2, cooldown=1.0, monotonic=lambda: 7.0)
    assert not breaker.record_failure(OSError("a"))
    breaker.record_success()
    assert not breaker.record_failure(OSError("b"))
    with caplog.at_level(logging.WARNING, logger="jurisgate.cache"):
        assert breaker.record_failure(OSError("c"))
        assert not breaker.is_closed
        assert not breaker.record_failure(OSError("d"))  # already open: no second line
        breaker.close()
    assert breaker.is_closed
    assert [r.getMessage().split(" ")[1] for r in caplog.records] == ["failed", "is"]
    assert breaker.snapshot()["state"] == "closed"


def test_single_flight_shares_one_computation_and_its_error() -> None:
    calls = 0

    async def slow() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    async def failing() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    async def scenario() -> None:
        flights: SingleFlight[str, int] = SingleFlight()
        results = await asyncio.gather(*(flights.run("k", slow) for _ in range(10)))
        assert [value for value, _ in results] == [42] * 10
        assert [shared for _, shared in results].count(False) == 1
        assert calls == 1
        assert len(flights) == 0
        outcomes = await asyncio.gather(
            *(flights.run("k", failing) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        # A waiter that goes away does not cancel the others' answer.
        first = asyncio.ensure_future(flights.run("j", slow))
        second = asyncio.ensure_future(flights.run("j", slow))
        await asyncio.sleep(0)
        first.cancel()
        assert (await second)[0] == 42

    asyncio.run(scenario())


def test_cache_keys_in_the_config_file(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_text("x" * 32)
    issuer = (
        f'[[issuers]]\nissuer="i"\naudience="a"\nalgorithms=["HS256"]\npublic_key_file="{key}"\n'
    )
    config = tmp_path / "j.toml"
    config.write_text(
        issuer + '[cache]\nredis_url="redis://127.0.0.1:1/0"\nkey_prefix="jg:"\n'
        'secret_env="MY_SECRET"\nsocket_timeout=0.02\nbreaker_failures=5\nbreaker_cooldown=2\n'
        "[policy]\nwatch_interval=0\n"
    )
    loaded = load_config(config)
    assert loaded.cache == CacheSettings(
        redis_url="redis://127.0.0.1:1/0",
        key_prefix="jg:",
        secret_env="MY_SECRET",
        socket_timeout=0.02,
        breaker_failures=5,
        breaker_cooldown=2.0,
    )
    assert loaded.policy.watch_interval == 0
    config.write_text(issuer + "[cache]\nsocket_timeout=10\n")
    with pytest.raises(ConfigError, match=r"\[cache\] socket_timeout"):
        load_config(config)
    config.write_text(issuer + '[cache]\nsecret="short"\n')
    with pytest.raises(ConfigError, match="secret must be at least 16 bytes"):
        load_config(config)
    assert "hunter2hunter2hunter2" not in repr(CacheSettings(secret="hunter2hunter2hunter2"))
