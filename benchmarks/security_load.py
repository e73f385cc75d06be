"""Security load test: valid, denied and hostile tokens at 64 concurrent connections.

Starts the example search API behind jurisgate under uvicorn on 127.0.0.1 (a free port, in
this process), trusting a throw-away identity provider generated here, and replays a mix of
requests. Every answer is compared with an oracle written here from the settlement's words;
the run fails (exit 1) on any wrong decision or any 5xx. Throughput and latency are printed
for the benchmark report; nothing here asserts on time. Not run by the test suite:

    .venv/bin/python benchmarks/security_load.py [--requests 6000] [--concurrency 64] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from loadgen import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "https://load-idp.invalid"
AUDIENCE = "face-search-api"
IL_RULE_ENDS = datetime(2027, 5, 11, tzinfo=UTC).timestamp()
GOVERNMENT = {
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
}


@dataclass(frozen=True)
class Case:
    kind: str  # valid / denied / hostile
    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    expected: int


def oracle(claims: dict[str, Any] | None, token_ok: bool, now: float) -> int:
    """The status the settlement requires for GET /search, restated without jurisgate's code."""
    if claims is None or not token_ok:
        return 401
    entity, country, region = claims.get("entity_type"), claims.get("country"), claims.get("region")
    if country == "US" and entity in ("private_company", "individual"):
        return 451
    if country == "US" and region == "US-IL" and now < IL_RULE_ENDS:
        return 451
    if country == "US" and entity in GOVERNMENT and isinstance(region, str):
        return 200
    return 403


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def build_cases(key: rsa.RSAPrivateKey, evil: rsa.RSAPrivateKey, now: float) -> list[Case]:
    def claims(entity: str, country: str, region: str | None, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "load",
            "iat": int(now) - 10,
            "exp": int(now) + 3600,
            "entity_type": entity,
            "country": country,
        }
        if region is not None:
            base["region"] = region
        base.update(extra)
        return base

    def bearer(token: str) -> tuple[tuple[str, str], ...]:
        return (("Authorization", f"Bearer {token}"),)

    cases: list[Case] = []
    clients = [
        ("federal_law_enforcement", "US", "US-DC"),
        ("local_law_enforcement", "US", "US-NY"),
        ("state_agency", "US", "US-TX"),
        ("federal_law_enforcement", "US", "US-IL"),
        ("state_law_enforcement", "US", "US-IL"),
        ("private_company", "US", "US-TX"),
        ("individual", "US", "US-CA"),
        ("foreign_law_enforcement", "UA", None),
        ("local_law_enforcement", "US", None),
    ]
    for entity, country, region in clients:
        body = claims(entity, country, region)
        expected = oracle(body, True, now)
        kind = "valid" if expected == 200 else "denied"
        token = jwt.encode(body, key, algorithm="RS256")
        cases.append(
            Case(kind, f"{entity}/{region}", "GET", "/search?q=a", bearer(token), expected)
        )
        # ("//search" is not sendable with httpx: it reads it as a network-path reference.)
        for spelling in ("/search//", "/search/", "/%73earch", "/search/."):
            # Other spellings never do better than /search; the router may 404 or redirect them.
            cases.append(
                Case(
                    kind, f"{entity}/{region}{spelling}", "GET", spelling, bearer(token), -expected
                )
            )

    good = claims("federal_law_enforcement", "US", "US-DC")
    header = b64(json.dumps({"alg": "none"}).encode())
    payload = b64(json.dumps(good).encode())
    hostile = {
        "alg-none": f"{header}.{payload}.",
        "attacker-key": jwt.encode(good, evil, algorithm="RS256"),
        "expired": jwt.encode({**good, "exp": int(now) - 3600}, key, algorithm="RS256"),
        "exp-string": jwt.encode({**good, "exp": str(int(now) + 60)}, key, algorithm="RS256"),
        "wrong-issuer": jwt.encode({**good, "iss": "https://evil.invalid"}, key, algorithm="RS256"),
        "huge": jwt.encode({**good, "pad": "x" * 9000}, key, algorithm="RS256"),
        "garbage": "a.b.c",
    }
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256'}).encode())}.{b64(json.dumps(good).encode())}"
    ).encode()
    confused = b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    hostile["alg-confusion"] = f"{signing_input.decode()}.{confused}"
    raw_payload = json.dumps(claims("foreign_law_enforcement", "IR", None))[:-1]
    duplicate = (raw_payload + ', "country": "US", "region": "US-NY"}').encode()
    dup_input = f"{b64(json.dumps({'alg': 'RS256'}).encode())}.{b64(duplicate)}".encode()
    signature = jwt.get_algorithm_by_name("RS256").sign(dup_input, key)
    hostile["duplicate-members"] = f"{dup_input.decode()}.{b64(signature)}"
    for name, token in hostile.items():
        cases.append(Case("hostile", name, "GET", "/search?q=a", bearer(token), 401))
    fbi = jwt.encode(good, key, algorithm="RS256")
    cases.append(
        Case(
            "hostile",
            "two-authorization-headers",
            "GET",
            "/search",
            (("Authorization", f"Bearer {fbi}"), ("Authorization", f"Bearer {fbi}")),
            400,
        )
    )
    cases.append(
        Case(
            "hostile",
            "method-override",
            "POST",
            "/search",
            (("Authorization", f"Bearer {fbi}"), ("X-HTTP-Method-Override", "GET")),
            403,
        )
    )
    cases.append(Case("hostile", "no-token", "GET", "/search", (), 401))
    cases.append(Case("valid", "health", "GET", "/health", (), 200))
    return cases


def correct(case: Case, status: int) -> bool:
    if case.expected >= 0:
        return status == case.expected
    # A path spelling: refused like /search, or (when /search is allowed) not refused at all.
    if -case.expected == 200:
        return status not in (401, 403, 451) and status < 500
    return status == -case.expected


def start_server(config_path: Path, port: int) -> subprocess.Popen[bytes]:
    """uvicorn in its own process (so the load generator does not share its GIL)."""
    env = {**os.environ, "JURISGATE_CONFIG": str(config_path)}
    command = [sys.executable, "-m", "uvicorn", "examples.search_api:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--backlog", "512"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_for_port(process, port, "uvicorn", seconds=20)
    except BaseException:
        stop(process)
        raise
    return process


async def run_load(
    base: str, cases: list[Case], total: int, concurrency: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    plan = [rng.choice(cases) for _ in range(total)]
    queue: asyncio.Queue[Case] = asyncio.Queue()
    for case in plan:
        queue.put_nowait(case)
    latencies: list[float] = []
    wrong: Counter[str] = Counter()
    server_errors: Counter[str] = Counter()
    transport_errors: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:

        async def worker() -> None:
            while True:
                try:
                    case = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    response = await client.request(
                        case.method, case.path, headers=list(case.headers)
                    )
                except httpx.HTTPError as exc:
                    transport_errors[f"{case.name}: {type(exc).__name__}"] += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[f"{case.kind}:{response.status_code}"] += 1
                if response.status_code >= 500:
                    server_errors[case.name] += 1
                if not correct(case, response.status_code):
                    wrong[f"{case.name} -> {response.status_code} (want {case.expected})"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "requests": total,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
        "latency_ms": {
            "p50": pct(0.50),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "mean": round(statistics.fmean(ordered) * 1000, 2) if ordered else None,
        },
        "statuses": dict(sorted(statuses.items())),
        "wrong_decisions": sum(wrong.values()),
        "wrong_examples": dict(wrong.most_common(10)),
        "server_errors_5xx": sum(server_errors.values()),
        "transport_errors": dict(transport_errors),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200_000 or not 1 <= args.concurrency <= 256:
        parser.error("--requests must be 1..200000 and --concurrency 1..256")

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    evil = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="jurisgate-load-") as tmp:
        folder = Path(tmp)
        (folder / "idp.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        config = folder / "jurisgate.toml"
        config.write_text(
            "[[issuers]]\n"
            f'issuer = "{ISSUER}"\n'
            f'audience = "{AUDIENCE}"\n'
            'algorithms = ["RS256"]\n'
            'public_key_file = "idp.pem"\n',
            encoding="utf-8",
        )
        port = free_port()
        server = start_server(config, port)
        try:
            cases = build_cases(key, evil, now)
            report = asyncio.run(
                run_load(
                    f"http://127.0.0.1:{port}", cases, args.requests, args.concurrency, args.seed
                )
            )
        finally:
            stop(server)
    report["cases"] = len(cases)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    failed = report["wrong_decisions"] or report["server_errors_5xx"] or report["transport_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
