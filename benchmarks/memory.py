"""Memory under many distinct tokens and principals: is RSS bounded by the cache sizes?

Run by bench.py in a fresh process: ``python benchmarks/memory.py --requests N``; prints one
JSON object. Every request carries a never-seen HS256 token for a new subject (so a new
principal), with entity types and US regions rotating; the gate keeps its default cache sizes
(10,000 verified tokens, 10,000 decisions). Audit records go to a real handler writing to
/dev/null. HS256 keeps token minting cheap: this measures the gate's memory, not RSA.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any

import stacks
from inprocess import call, http_scope

from jurisgate.middleware import JurisdictionMiddleware, TrustedIssuer

SECRET = b"benchmark-only-hs256-secret-" + b"x" * 40
ISSUER = "https://hs256-bench.jurisgate.invalid"
ENTITIES = ("federal_agency", "state_agency", "local_law_enforcement", "state_law_enforcement")
REGIONS = (  # the 50 states and DC
    "US-AL", "US-AK", "US-AZ", "US-AR", "US-CA", "US-CO", "US-CT", "US-DE", "US-FL", "US-GA",
    "US-HI", "US-ID", "US-IN", "US-IA", "US-KS", "US-KY", "US-LA", "US-ME", "US-MD", "US-MA",
    "US-MI", "US-MN", "US-MS", "US-MO", "US-MT", "US-NE", "US-NV", "US-NH", "US-NJ", "US-NM",
    "US-NY", "US-NC", "US-ND", "US-OH", "US-OK", "US-OR", "US-PA", "US-RI", "US-SC", "US-SD",
    "US-TN", "US-TX", "US-UT", "US-VT", "US-VA", "US-WA", "US-WV", "US-WI", "US-WY", "US-DC",
)  # fmt: skip


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


def mint(n: int, now: int) -> str:
    claims = {
        "iss": ISSUER,
        "aud": stacks.AUDIENCE,
        "sub": f"client-{n}",
        "iat": now,
        "exp": now + 3600,
        "entity_type": ENTITIES[n % len(ENTITIES)],
        "country": "US",
        "region": REGIONS[n % len(REGIONS)],
    }
    if claims["entity_type"] != "federal_agency":  # state and local: whose government (decree)
        claims["agency_region"] = claims["region"]
    signing_input = _HEADER + b"." + _b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode("ascii")


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def peak_rss_mib() -> float:
    """VmHWM: this process's own peak (ru_maxrss can carry the parent's peak across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


async def run(requests: int) -> dict[str, Any]:
    handler = logging.FileHandler(os.devnull)
    audit = logging.getLogger("jurisgate.audit")
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    audit.propagate = False
    issuer = TrustedIssuer(ISSUER, stacks.AUDIENCE, ("HS256",), SECRET)
    gate = JurisdictionMiddleware(stacks.bare_app(), issuers=[issuer])
    now = int(time.time())
    samples: list[tuple[int, float]] = [(0, rss_mib())]
    every = max(1, requests // 20)
    began = time.perf_counter()
    for n in range(requests):
        scope = http_scope("/search", token=mint(n, now), query=b"q=a")
        status = await call(gate, scope)
        if status != 200:
            raise RuntimeError(f"request {n} answered {status}")
        if (n + 1) % every == 0:
            samples.append((n + 1, rss_mib()))
    elapsed = time.perf_counter() - began
    quarter = next(rss for done, rss in samples if done >= requests // 4)
    return {
        "requests": requests,
        "distinct_tokens": requests,
        "distinct_principals": requests,
        "seconds": round(elapsed, 1),
        "token_cache_entries": len(gate.tokens),
        "decision_cache_entries": len(gate.decisions),
        "cache_limit": gate.config.cache.local_max_entries,
        "rss_mib_samples": samples,
        "rss_mib_growth_after_first_quarter": round(samples[-1][1] - quarter, 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.requests))))


if __name__ == "__main__":
    main()
