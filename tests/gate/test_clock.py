"""Time as an injectable collaborator."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from jurisgate.middleware.clock import Clock, FixedClock, SystemClock, parse_instant

IL_ENDS = datetime(2027, 5, 11, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "text",
    [
        "2027-05-11",
        "2027-05-11T00:00:00",
        "2027-05-11T00:00:00Z",
        "2027-05-11T00:00:00z",
        "2027-05-11T00:00:00+00:00",
        "2027-05-11T02:00:00+02:00",
        "2027-05-10T20:00:00-04:00",
        " 2027-05-11T00:00:00Z ",
        "2027-05-11 00:00:00",
    ],
)
def test_parse_instant(text: str) -> None:
    assert parse_instant(text) == IL_ENDS


def test_parse_instant_keeps_fractions() -> None:
    assert parse_instant("2027-05-10T23:59:59.5Z") == IL_ENDS - 0.5


@pytest.mark.parametrize("text", ["", "tomorrow", "2027-13-01", "2027-02-30", "11/05/2027"])
def test_parse_instant_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_instant(text)


def test_fixed_clock_accepts_numbers_datetimes_and_text() -> None:
    assert FixedClock(IL_ENDS).now() == IL_ENDS
    assert FixedClock(int(IL_ENDS)).now() == IL_ENDS
    assert FixedClock("2027-05-11T00:00:00Z").now() == IL_ENDS
    assert FixedClock(datetime(2027, 5, 11, tzinfo=UTC)).now() == IL_ENDS
    # A naive datetime is UTC, not local time.
    assert FixedClock(datetime(2027, 5, 11)).now() == IL_ENDS
    eastern = timezone(timedelta(hours=-4))
    assert FixedClock(datetime(2027, 5, 10, 20, tzinfo=eastern)).now() == IL_ENDS


def test_fixed_clock_set_and_advance() -> None:
    clock = FixedClock("2027-05-10T23:59:59Z")
    assert clock.now() == IL_ENDS - 1
    clock.advance(1)
    assert clock.now() == IL_ENDS
    clock.set("2022-05-11")
    assert clock.now() == datetime(2022, 5, 11, tzinfo=UTC).timestamp()
    clock.set(0)
    assert clock.now() == 0.0


@pytest.mark.parametrize("value", [True, None, [1], "not a date"])
def test_fixed_clock_rejects(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        FixedClock(value)  # type: ignore[arg-type]


def test_fixed_clock_rejects_bool_with_type_error() -> None:
    with pytest.raises(TypeError, match="clock instant"):
        FixedClock(True)


def test_system_clock_is_wall_time() -> None:
    before = time.time()
    now = SystemClock().now()
    after = time.time()
    assert before <= now <= after


def test_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(0), Clock)
    assert not isinstance(object(), Clock)
