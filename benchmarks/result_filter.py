"""What the result filter costs (issue #16's targets, in-process: the middleware adds at most
50 us to an answer of 20 results and 250 us to one of 100; ``filter_items`` at most 20 us per
100 items). Part of ``run.sh`` (bench.py calls :func:`measure`); alone:
``.venv/bin/python benchmarks/result_filter.py``.

The middleware is timed as one ASGI call of a Starlette JSON route with and without
``ResultFilterMiddleware`` around it (bare and filtered in alternating rounds, medians of
per-round means), on answers where one entry in five is removed (so the body is parsed,
rewritten and serialized again), with the bundled packs and 100,000 suppressed ids. Verify
mode (``mode = "verify"``) is timed the same way on the answer the app filtered itself (the same
entries less the suppressed fifth): parsed and checked, sent as the app's bytes.

``filter_items_windowed`` times the other path: the bundled packs plus one rule with a
collection window (docs/admin-guide.md, "Collection windows"), entries carrying
``collected_at``: judged entry by entry, rule by rule (no target; the bundled packs never
take it).

Each figure is reported as the median and the minimum over rounds: on a shared machine the
minimum is the least disturbed round. Where valgrind is installed, ``filter_items`` is also
counted in instructions per call (callgrind, the process run twice and the difference taken),
a figure the neighbours' load cannot move.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any, Literal

import instructions
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import (
    FixedClock,
    ItemFields,
    ResultFilterMiddleware,
    ResultRoute,
    filter_items,
)
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.results import bundled_item_policy
from jurisgate.middleware.results.packs import item_policy_from_rows, pack_item_rows
from jurisgate.middleware.subjects import FixedSuppressions

REGIONS = [
    "US-NY",
    "US-TX",
    "US-CA",
    "US-DC",
    "US-IL",
    "US-OR",
    "JP-13",
    "BR-SP",
    "US-WA",
    "US-FL",
]
NOW = "2026-06-01T00:00:00Z"
Mode = Literal["filter", "verify"]
SUPPRESSED = FixedSuppressions({f"face-{n:07d}" for n in range(0, 100_000)})


def entries(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"face-{n:07d}" if n % 10 == 3 else f"kept-{n}",
            "name": f"Person {n}",
            "photo": f"photos/face-{n:04d}.jpg",
            "photo_sha256": f"{n:064x}",
            "source_region": REGIONS[n % len(REGIONS)],
            "score": 0.5 + n / 1000,
        }
        for n in range(count)
    ]  # 1 in 10 opted out, 1 in 10 from Illinois (US-IL): one in five removed


def apps(count: int, mode: Mode = "filter") -> tuple[Any, Any]:
    found = entries(count)
    if mode == "verify":  # the app filtered its own entries
        at, suppressed = FixedClock(NOW).now(), SUPPRESSED.current()
        found = filter_items(found, at=at, suppressed=suppressed).items

    async def search(request: Request) -> JSONResponse:
        return JSONResponse({"query": "", "count": len(found), "results": found})

    bare = Starlette(routes=[Route("/search", search)])
    route = ResultRoute(path="/search", items="results", counts=("count",), mode=mode)
    filtered = ResultFilterMiddleware(
        bare, routes=[route], suppressions=SUPPRESSED, clock=FixedClock(NOW)
    )
    return bare, filtered


async def call(app: Any) -> bytes:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/search",
        "raw_path": b"/search",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("t", 80),
        "client": ("c", 1),
        "state": {},
    }
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return bytes(body)


async def per_call_us(app: Any, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        await call(app)
    return (time.perf_counter() - start) / number * 1e6


async def middleware_cost(
    count: int, rounds: int = 15, number: int = 300, mode: Mode = "filter"
) -> dict[str, Any]:
    bare, filtered = apps(count, mode)
    out = json.loads(await call(filtered))
    assert out["count"] == count - count // 5, out["count"]
    bares, filters = [], []
    for _ in range(rounds):
        bares.append(await per_call_us(bare, number))
        filters.append(await per_call_us(filtered, number))
    added = [f - b for f, b in zip(filters, bares, strict=True)]
    return {
        "results": count,
        "rounds": rounds,
        "bare_us": round(statistics.median(bares), 1),
        "filtered_us": round(statistics.median(filters), 1),
        "added_us": round(statistics.median(added), 1),
        "added_us_min": round(min(added), 1),
        "added_us_max": round(max(added), 1),
    }


def filter_items_cost(count: int = 100, rounds: int = 15, number: int = 2000) -> dict[str, Any]:
    found = entries(count)
    policy, suppressed = bundled_item_policy(), SUPPRESSED.current()
    at = FixedClock(NOW).now()
    assert len(filter_items(found, at=at, suppressed=suppressed, policy=policy).items) == 80
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            filter_items(found, at=at, suppressed=suppressed, policy=policy)
        times.append((time.perf_counter() - start) / number * 1e6)
    return {
        "items": count,
        "rounds": rounds,
        "us": round(statistics.median(times), 2),
        "us_min": round(min(times), 2),
        "us_max": round(max(times), 2),
    }


def filter_items_instructions(count: int = 100, calls: int = 2000) -> dict[str, Any] | None:
    """Instructions per ``filter_items`` call under callgrind: this file run with ``--calls 0``
    and ``--calls N``, the difference over N (start-up and imports cancel out)."""
    found = instructions.per_call(
        lambda n: [__file__, "--calls", str(n), "--items", str(count)], calls, timeout=900
    )
    return None if found is None else {"items": count, "calls": calls, "per_call": found}


def _calls(count: int, number: int) -> None:
    """What callgrind counts: one warm-up call, then ``number`` calls."""
    found = entries(count)
    policy, suppressed = bundled_item_policy(), SUPPRESSED.current()
    at = FixedClock(NOW).now()
    for _ in range(number + 1):
        filter_items(found, at=at, suppressed=suppressed, policy=policy)


WINDOWED_RULE = PolicyRow(
    "p2",
    (
        "il-collected-during-ban", "suppress", "collected_in", "US-IL", "2022-05-11", "",
        "refuse", "photos collected in Illinois during the ban", "an order",
        "https://example.org/order", "2022-05-11..2027-05-11T05:00:00Z",
    ),
    "bench:1",
)  # fmt: skip


def filter_items_windowed_cost(count: int = 100, rounds: int = 15, number: int = 2000) -> Any:
    found = [
        {**entry, "collected_at": f"{2018 + n % 8}-06-01T12:00:00Z"}
        for n, entry in enumerate(entries(count))
    ]
    packs = [pack_item_rows(pack) for pack in ("clearview_settlement", "foreign_orders")]
    policy = item_policy_from_rows(packs, [WINDOWED_RULE])
    suppressed, fields = SUPPRESSED.current(), ItemFields(collected_at="collected_at")
    at = FixedClock(NOW).now()
    kept = filter_items(found, at=at, suppressed=suppressed, policy=policy, fields=fields)
    assert len(kept.items) == 80, len(kept.items)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            filter_items(found, at=at, suppressed=suppressed, policy=policy, fields=fields)
        times.append((time.perf_counter() - start) / number * 1e6)
    return {
        "items": count,
        "us": round(statistics.median(times), 2),
        "us_min": round(min(times), 2),
    }


TARGETS = {"added_us_20": 50, "added_us_100": 250, "filter_items_us_per_100": 20}


def measure(rounds: int = 15, *, count_instructions: bool = True) -> dict[str, Any]:
    """Every figure of this file (``rounds`` rounds each), the load average around them."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    report: dict[str, Any] = {
        "middleware": [asyncio.run(middleware_cost(n, rounds)) for n in (20, 100)],
        "verify": [asyncio.run(middleware_cost(n, rounds, mode="verify")) for n in (20, 100)],
        "filter_items": filter_items_cost(rounds=rounds),
        "filter_items_windowed": filter_items_windowed_cost(rounds=rounds),
        "targets": TARGETS,
    }
    report["loadavg"] = [load_before, [round(x, 2) for x in os.getloadavg()]]
    if count_instructions:
        report["filter_items_instructions"] = filter_items_instructions()
    return report


def main() -> None:
    if "--calls" in sys.argv:
        option = sys.argv.index
        _calls(int(sys.argv[option("--items") + 1]), int(sys.argv[option("--calls") + 1]))
        return
    print(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
