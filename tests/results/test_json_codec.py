"""The result filter's JSON codec: whatever it reads, it writes back with the same value (the
stdlib, which keeps integers exact, is the oracle), fast through orjson unless a long integer
may be in the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jurisgate.middleware.results import json_codec
from jurisgate.middleware.results.json_codec import UnreadableJson

_TEXT = st.text(alphabet='0123456789-:,[ e.abc"\\', max_size=40)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(_VALUES, st.sampled_from([None, 1]))
def test_what_is_read_is_written_back_with_the_same_value(doc: Any, indent: int | None) -> None:
    body = json.dumps(doc, indent=indent).encode()
    read, exact = json_codec.loads(body)
    assert json.loads(json_codec.dumps(read, exact)) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "slow"),
    [
        (b'{"n": 12345678901234567890}', True),
        (b'{"n":-12345678901234567890}', True),
        (b"[1, \n 12345678901234567890]", True),
        (b"12345678901234567890", True),
        (b'{"id": "face-00000000000000000000001"}', False),  # in a string
        (b'{"sha": "a1234567890123456789012"}', False),
        (b'{"x": 0.12345678901234567890123}', False),  # a fraction: a float either way
        (b'{"id": "face-0001", "e": 1e-5}', False),
        (b'{"s": "x:12345678901234567890"}', True),  # looks like a number: slower, not wrong
    ],
)
def test_only_a_possible_long_integer_takes_the_stdlib(body: bytes, slow: bool) -> None:
    assert json_codec.loads(body)[1] is slow


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": 1e400}', b"{x", b'"\xff"', b'"\\ud800"'])
def test_what_cannot_be_written_back_exactly_is_unreadable(body: bytes) -> None:
    with pytest.raises(UnreadableJson):
        json_codec.dumps(*json_codec.loads(body))
