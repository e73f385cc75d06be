"""Long paths (issue #12, finding 4): what one decision costs as the path grows.

Times, in-process and without a server, one decision of the policy engine alone and one whole
request through the gate, for a blocked US government client (an Illinois state police token:
451) asking for ``/search/a/a/...`` paths of 8, 32 and 64 KB (every other character a ``/``,
the worst case for prefix matching). The gate's path limit (``[requests] max_path_bytes``) is
raised above the longest path so that the matching itself is measured; with the default limit
such paths are refused with 414 before any per-path work, which is timed too. Nothing here
asserts on time; the unit tests count work instead. Not run by the test suite:

    .venv/bin/python benchmarks/long_paths.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from typing import Any

import jwt
from inprocess import call, http_scope
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jurisgate.middleware import FixedClock, GateConfig, JurisdictionMiddleware, TrustedIssuer

NOW = 1_795_000_000.0  # 2026-11-18: the Illinois rule is in force
SECRET = b"a-benchmark-secret-of-at-least-32-bytes!"
ISSUER = "https://bench-idp.invalid"
SIZES_KB = (8, 32, 64)


def long_path(kilobytes: int, n: int = 0) -> str:
    """``/search/<n>/a/a/...`` of about ``kilobytes`` KB; a distinct ``n`` misses every cache."""
    path = f"/search/{n:06d}/"
    return path + "a/" * ((kilobytes * 1024 - len(path)) // 2)


def gate(max_path_bytes: int | None) -> JurisdictionMiddleware:
    async def search(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/search/{rest:path}", search)])
    config = GateConfig(issuers=(TrustedIssuer(ISSUER, "face-search-api", ("HS256",), SECRET),))
    fields = {field.name for field in dataclasses.fields(GateConfig)}
    if max_path_bytes is not None and "requests" in fields:  # absent before the limit existed
        from jurisgate.middleware import RequestLimits

        config = dataclasses.replace(config, requests=RequestLimits(max_path_bytes=max_path_bytes))
    return JurisdictionMiddleware(app, config=config, clock=FixedClock(NOW))


def token() -> str:
    claims = {
        "iss": ISSUER, "aud": "face-search-api", "sub": "trooper-1", "iat": int(NOW),
        "exp": int(NOW) + 3600, "entity_type": "state_law_enforcement", "country": "US",
        "region": "US-IL",
    }  # fmt: skip
    return jwt.encode(claims, SECRET, algorithm="HS256")


def timed_ms(repeat: int, run: Any) -> float:
    """The median of ``repeat`` calls of ``run(i)``."""
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def row(kb: int, repeat: int, bearer: str, gates: tuple[JurisdictionMiddleware, ...]) -> str:
    raised, default = gates
    engine = raised.engine
    loop = asyncio.new_event_loop()
    statuses: set[int] = set()

    def decide(i: int) -> None:
        engine.decide("state_law_enforcement", "US", "US-IL", "GET", long_path(kb, i), NOW)

    def through(app: JurisdictionMiddleware, i: int) -> None:
        scope = http_scope(long_path(kb, i), token=bearer)  # a new path: decided again
        statuses.add(loop.run_until_complete(call(app, scope)))

    decide_ms = timed_ms(repeat, decide)
    raised_ms = timed_ms(repeat, lambda i: through(raised, i))
    default_ms = timed_ms(repeat, lambda i: through(default, 1000 + i))
    loop.close()
    return (
        f"{kb:>2} KB  {decide_ms:>10.3f} ms  {raised_ms:>15.3f} ms  "
        f"{default_ms:>16.3f} ms   statuses {sorted(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gates = (gate(max_path_bytes=128 * 1024), gate(max_path_bytes=None))
    print("size   engine.decide   gate (limit raised)   gate (default limit)")
    for kb in SIZES_KB:
        print(row(kb, args.repeat, token(), gates))


if __name__ == "__main__":
    main()
