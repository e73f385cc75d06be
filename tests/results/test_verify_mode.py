"""``mode = "verify"``: the app filters (``filter_items``); the middleware checks, never rewrites.

A clean answer goes out as it was read (written back from the parsed document); one with an
entry a rule suppresses is an alarm (CRITICAL on ``jurisgate.results``, counts per rule, never
which entries) and a 503."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.types import Message

from jurisgate.middleware import ResultRoute
from jurisgate.middleware.subjects import StaleSuppressions

from .asgi_harness import json_answer, run, scripted

pytestmark = pytest.mark.anyio

VERIFY = ResultRoute(path="/search", items="results", counts=("total",), mode="verify")
CLEAN = {
    "total": 2,
    "results": [{"id": "b", "source_region": "US-NY"}, {"id": "c", "source_region": "US-TX"}],
}
LEAKY = {
    "total": 3,
    "results": [
        {"id": "a", "source_region": "US-IL"},
        {"id": "b", "source_region": "US-NY"},
        {"id": "c", "source_region": "US-TX"},
    ],
}


def test_mode_is_filter_or_verify() -> None:
    assert ResultRoute(path="/s", items="r").mode == "filter"
    with pytest.raises(ValueError, match="mode must be 'filter' or 'verify'"):
        ResultRoute(path="/s", items="r", mode="check")  # type: ignore[arg-type]


async def test_a_clean_answer_goes_out_as_it_was_read() -> None:
    body = b'{ "results" : [{"source_region": "US-NY", "id": "b"}],\n  "total": 1 }'
    messages: list[Message] = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                (b"etag", b'"v1"'),
                (b"cache-control", b"public, max-age=60"),
            ],
        },
        {"type": "http.response.body", "body": body},
    ]
    status, headers, sent, scope = await run(scripted(messages), VERIFY, suppressed=["zz"])
    assert (status, sent) == (200, b'{"results":[{"source_region":"US-NY","id":"b"}],"total":1}')
    assert headers["content-length"] == str(len(sent))
    assert headers["cache-control"] == "private"
    assert "etag" not in headers  # it named the app's bytes, not these
    assert scope["state"]["jurisgate.removed"] == {}  # the filter ran and removed nothing
    assert "jurisgate.leaked" not in scope["state"]


async def test_a_suppressed_entry_is_an_alarm_and_a_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jurisgate.results")
    status, headers, body, scope = await run(scripted(json_answer(LEAKY)), VERIFY, suppressed=["c"])
    assert status == 503
    assert headers["content-type"] == "application/problem+json"
    assert headers["content-length"] == str(len(body))
    assert headers["cache-control"] == "no-store"
    assert json.loads(body)["type"] == "urn:jurisgate:problem:results_leak"
    for leaked in (b"US-IL", b"US-TX", b'"a"', b'"c"', b'results":'):
        assert leaked not in body
    assert scope["state"]["jurisgate.leaked"] == {"il-photos-five-years": 1, "il-opt-out": 1}
    assert scope["state"]["jurisgate.removed"] == {}  # verify mode never removes
    (alarm,) = [r for r in caplog.records if r.name == "jurisgate.results"]
    assert alarm.levelno == logging.CRITICAL
    text = alarm.getMessage()
    assert "/search" in text
    assert "il-photos-five-years" in text
    assert "il-opt-out" in text
    assert "'a'" not in text  # never which entries
    assert "'c'" not in text


async def test_nested_leaks_are_counted_per_rule() -> None:
    route = ResultRoute(
        path="/clusters/*", items="clusters[*].faces", counts=("clusters[*].n",), mode="verify"
    )
    page = {
        "clusters": [
            {"n": 2, "faces": [{"id": "x", "source_region": "US-IL"}, {"id": "y"}]},
            {"n": 1, "faces": [{"id": "z", "source_region": "US-IL"}]},
        ]
    }
    status, _, _, scope = await run(scripted(json_answer(page)), route, path="/clusters/7")
    assert status == 503
    # "y" has no region: the bundled rules refuse unknown provenance.
    assert scope["state"]["jurisgate.leaked"]["il-photos-five-years"] == 3


async def test_a_leak_is_a_leak_even_when_a_count_is_wrong_too() -> None:
    """The entries are read before the counts: what was found is reported as found."""
    page = {**LEAKY, "total": "three"}
    status, _, body, scope = await run(scripted(json_answer(page)), VERIFY)
    assert status == 503
    assert json.loads(body)["type"] == "urn:jurisgate:problem:results_leak"
    assert scope["state"]["jurisgate.leaked"] == {"il-photos-five-years": 1}


class Stale:
    def current(self) -> frozenset[str]:
        raise StaleSuppressions("behind")


@pytest.mark.parametrize(
    ("messages", "stale"),
    [
        pytest.param(json_answer(CLEAN, headers={"content-encoding": "gzip"}), False, id="encoded"),
        pytest.param(json_answer({"total": 1, "hits": []}), False, id="another shape"),
        pytest.param(json_answer(CLEAN, status=206), False, id="206"),
        pytest.param(json_answer(CLEAN), True, id="stale suppressions"),
    ],
)
async def test_what_fails_closed_in_filter_mode_fails_closed_here(
    messages: list[dict[str, object]], stale: bool
) -> None:
    status, _, body, scope = await run(
        scripted(messages), VERIFY, suppressions=Stale() if stale else None
    )
    assert status == 503
    assert json.loads(body)["type"] == "urn:jurisgate:problem:results_unfiltered"
    assert "jurisgate.leaked" not in scope["state"]


@pytest.mark.parametrize("status", [204, 304, 404, 500])
async def test_empty_and_error_answers_pass(status: int) -> None:
    messages = json_answer(LEAKY, status=status)
    got, _, body, _ = await run(scripted(messages), VERIFY)
    assert (got, body) == (status, messages[1]["body"])


async def test_head_passes() -> None:
    messages = json_answer(LEAKY)
    got, _, body, _ = await run(scripted(messages), VERIFY, method="HEAD")
    assert (got, body) == (200, messages[1]["body"])
