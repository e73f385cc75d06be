"""What a ``[[results]]`` table costs the requests of a warm client, in-process: the gate
(audit off) without a table, with one on another route than the one requested (the gate and
the result filter inside it look the route up and let the request pass), and with one on the
requested route (the filter reads and rewrites the answer). Run by hand (not part of
``run.sh``): ``.venv/bin/python benchmarks/results_table.py``.

Each variant is timed in alternating rounds (medians of per-round means, the minimum beside
them) and, where valgrind is installed, counted in instructions per request: this file run
under callgrind with 0 and with N requests after the same warm-up, the difference over N, a
figure the neighbours' load cannot move. The scope carries a fresh ``state`` dict, as uvicorn's
does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import instructions as callgrind
import stacks
from inprocess import http_scope
from starlette.types import ASGIApp, Message

from jurisgate.middleware import ResultRoute

WARM_UP = 50


def _plain() -> ASGIApp:
    return stacks.jurisgate_app()


def _elsewhere() -> ASGIApp:
    return stacks.jurisgate_app(results=(ResultRoute("/people/*", items="results"),))


def _here() -> ASGIApp:
    return stacks.jurisgate_app(results=(ResultRoute("/search", items="results"),), regional=True)


VARIANTS: dict[str, Callable[[], ASGIApp]] = {
    "no [[results]]": _plain,
    "[[results]] on another route": _elsewhere,
    "[[results]] on this route (filtered)": _here,
}


def _requests(app: ASGIApp) -> Callable[[int], Any]:
    """``run(n)``: n requests of the warm client on ``/search``, each answered 200."""
    logging.getLogger("jurisgate.audit").setLevel(logging.WARNING)  # audit off
    scope = http_scope("/search", token=stacks.sign(stacks.WARM_CLIENT), query=b"q=x")
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    async def run(number: int) -> None:
        for _ in range(number):
            await app({**scope, "state": {}}, receive, send)
            if status != 200:
                raise RuntimeError(f"answered {status}")

    return run


async def _timed(rounds: int, number: int) -> dict[str, dict[str, float]]:
    runs = {name: _requests(make()) for name, make in VARIANTS.items()}
    for run in runs.values():
        await run(WARM_UP)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            await run(number)
            times[name].append((time.perf_counter() - start) / number * 1e6)
    return {
        name: {"us": round(statistics.median(t), 2), "us_min": round(min(t), 2)}
        for name, t in times.items()
    }


def instructions(requests: int = 2000) -> dict[str, int] | None:
    """Instructions per request of each variant under callgrind (None without valgrind)."""
    if shutil.which("valgrind") is None:
        return None
    counts = {}
    for index, name in enumerate(VARIANTS):

        def argv(number: int, index: int = index) -> list[str]:
            return [__file__, "--variant", str(index), "--requests", str(number)]

        found = callgrind.per_call(argv, requests, timeout=1800)
        if found is None:
            raise RuntimeError(f"no callgrind total for {name}")
        counts[name] = found
    return counts


def main() -> None:
    if "--variant" in sys.argv:  # what callgrind counts: the warm-up, then the requests
        option = sys.argv.index
        make = list(VARIANTS.values())[int(sys.argv[option("--variant") + 1])]
        run = _requests(make())
        number = int(sys.argv[option("--requests") + 1])

        async def both() -> None:
            await run(WARM_UP)
            await run(number)

        asyncio.run(both())
        return
    report: dict[str, Any] = {"timed": asyncio.run(_timed(rounds=21, number=500))}
    if "--no-instructions" not in sys.argv:
        report["instructions_per_request"] = instructions()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
