"""jurisgate benchmark suite (issue #5). Run it with ``bash benchmarks/run.sh [--quick]``.

Phases, each interleaving its variants round by round so drift and neighbours' load hit all
of them alike:
1. in-process ASGI calls, one request at a time: bare app, jurisgate warm / cold / new token /
   Redis tiers, raw PyJWT decode, the usual stack (whose decisions are first checked equal to
   jurisgate's on every benchmark client);
2. uncached decision time of the policy engine for the settlement pack and generated packs;
3. under uvicorn with wrk (or an asyncio client): bare, jurisgate, the usual stack; then the
   same servers under valgrind's callgrind, counting instructions per request (when valgrind
   is installed): a figure the machine's neighbours cannot move;
4. a cProfile of jurisgate's warm in-process loop;
5. memory, the suppression check (issue #15), the result filter and ``filter_items`` and the
   ingest check (issue #16; result_filter.py, ingest_lookup.py).
Writes latest.json, latest.md, latest.png and latest-profile.txt into benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import ingest_lookup
import instructions
import jwt
import loadgen
import policy_gen
import redis_tier
import report
import result_filter
import stacks
import suppression
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from inprocess import Samples, Timed, asgi_runner, call, http_scope, time_batch
from memory import peak_rss_mib

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware import AuditLog
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.policies import pack_files

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Plan:
    rounds: int
    batch: int
    decide_rounds: int
    decide_calls: dict[int, int]  # pack size -> calls per client per round
    server_rounds: int
    server_seconds: int
    counted_requests: int  # per variant under callgrind (the usual stack gets a tenth)
    profile_requests: int
    memory_requests: int
    filter_rounds: int  # result_filter.py's rounds per figure


QUICK = Plan(5, 300, 3, {5: 100, 100: 20, 1000: 3, 10_000: 1}, 2, 3, 300, 3000, 50_000, 5)
FULL = Plan(11, 1000, 7, {5: 300, 100: 60, 1000: 8, 10_000: 1}, 9, 6, 2000, 20000, 1_000_000, 31)
PACK_SIZES = (100, 1000, 10_000)
# Which clients the engine is timed for, and why each: pycasbin stops at the first matching
# deny (deny overrides), so denials by the settlement's first rules are its fastest case.
DECIDE_CLIENTS = {
    "fbi-hq": "allowed: every rule evaluated",
    "ukraine-police": "no rule matches: every rule evaluated",
    "fbi-chicago": "denied by the pack's 2nd rule (451): stops there",
}
AT = "2026-11-26T12:00:00Z"  # inside the settlement's Illinois period


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- phase 1: in-process -------------------------------------------------------------------


async def check_decisions(
    jurisgate: Any, usual: Any, tokens: dict[str, str]
) -> list[dict[str, Any]]:
    """Both stacks on every benchmark client; allow/deny must agree before anything is timed."""
    rows = []
    for name, entity, country, region, expected in stacks.CLIENTS:
        scope = http_scope("/search", token=tokens[name], query=b"q=avery")
        ours = await call(jurisgate, scope)
        theirs = await call(usual, scope)
        if ours != expected:
            raise RuntimeError(f"jurisgate answered {ours} for {name}, expected {expected}")
        if (ours == 200) != (theirs == 200):
            raise RuntimeError(f"decisions differ for {name}: jurisgate {ours}, usual {theirs}")
        rows.append(
            {
                "client": name,
                "entity_type": entity,
                "country": country,
                "region": region,
                "jurisgate": ours,
                "usual_stack": theirs,
            }
        )
    return rows


async def no_token_answers(jurisgate: Any, usual: Any) -> dict[str, int | str]:
    """What each stack answers to a request without an Authorization header."""
    scope = http_scope("/search", query=b"q=avery")
    answers: dict[str, int | str] = {"jurisgate": await call(jurisgate, scope)}
    try:
        answers["usual_stack"] = await call(usual, scope)
    except Exception as exc:  # the exception escapes the app; a server would answer 500
        answers["usual_stack"] = f"500 (raised {type(exc).__name__})"
    return answers


def pyjwt_runner(tokens: list[str]) -> Timed:
    """Raw PyJWT decode+verify with a pre-parsed key: the floor for a never-seen token."""
    key = load_pem_public_key(stacks.PUBLIC_KEY)

    async def run(n: int) -> int:
        jwt.decode(
            tokens[n % len(tokens)],
            key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            audience=stacks.AUDIENCE,
            issuer=stacks.ISSUER,
        )
        return 200

    return run


async def in_process(plan: Plan, audit_path: Path) -> dict[str, Any]:
    stacks.audit_to(audit_path)
    tokens = {name: stacks.sign(name) for name in stacks.client_names()}
    warm_token = tokens[stacks.WARM_CLIENT]
    search = http_scope("/search", token=warm_token, query=b"q=avery")

    bare = stacks.bare_app()
    warm = stacks.jurisgate_app(audit=stacks.audit_file_log(audit_path.with_suffix(".jsonl")))
    logging_gate = stacks.jurisgate_app()  # the jurisgate.audit logger, to audit_path
    silent = stacks.jurisgate_app()
    quiet = logging.getLogger("jurisgate.bench.silent")
    quiet.setLevel(logging.WARNING)
    stacks.gate_of(silent).audit = AuditLog(quiet)
    cold = stacks.jurisgate_app()
    stacks.disable_decision_cache(cold)
    fresh = stacks.jurisgate_app()
    usual = stacks.usual_app()

    log("checking the usual stack's decisions against jurisgate's")
    agreement = await check_decisions(warm, usual, tokens)
    no_token = await no_token_answers(warm, usual)

    needed = plan.rounds * plan.batch + plan.batch
    log(f"signing {needed} distinct RS256 tokens for the new-token variant")
    new_tokens = [stacks.sign(stacks.WARM_CLIENT, jti=f"bench-{n}") for n in range(needed)]
    fresh_scopes = [http_scope("/search", token=token, query=b"q=avery") for token in new_tokens]
    bare_scope = search  # the same request, token included: the bare app ignores it
    runners: dict[str, Timed] = {
        "bare": asgi_runner(bare, [bare_scope]),
        "jurisgate_warm": asgi_runner(warm, [search]),
        "jurisgate_warm_logging": asgi_runner(logging_gate, [search]),
        "jurisgate_warm_audit_off": asgi_runner(silent, [search]),
        "jurisgate_cold": asgi_runner(cold, [search]),
        "jurisgate_new_token": asgi_runner(fresh, fresh_scopes),
        "pyjwt_decode": pyjwt_runner(new_tokens),
        "usual_stack": asgi_runner(usual, [search]),
    }

    redis_note = ""
    redis_counts: dict[str, float] = {}
    module, why = redis_tier.tier_module()
    with _maybe_redis(module) as url:
        if module is not None and url is not None:
            try:
                shared_only = stacks.jurisgate_app(shared_cache=redis_tier.make_cache(url))
                stacks.disable_decision_cache(shared_only)
                both = stacks.jurisgate_app(shared_cache=redis_tier.make_cache(url))
                runners["jurisgate_redis_tier2_only"] = asgi_runner(shared_only, [search])
                runners["jurisgate_redis_both_tiers"] = asgi_runner(both, [search])
            except Exception as exc:
                redis_note = f"skipped: Redis tier present but not usable here ({exc})"
        else:
            redis_note = why

        samples = {name: Samples() for name in runners}
        for name, run in runners.items():  # warm-up: fill caches, import lazily loaded code
            if name not in ("jurisgate_new_token", "pyjwt_decode"):
                for n in range(50):
                    await run(n)
        for name in ("jurisgate_redis_tier2_only", "jurisgate_redis_both_tiers"):
            if name in runners and url is not None:
                before = redis_tier.commands_processed(url)
                await time_batch(runners[name], 0, 200)
                after = redis_tier.commands_processed(url)
                redis_counts[name] = round((after - before) / 200, 3)

        order = list(runners)
        offsets = dict.fromkeys(runners, 0)
        for round_number in range(plan.rounds):
            random.shuffle(order)
            log(f"in-process round {round_number + 1}/{plan.rounds}")
            for name in order:
                gc.collect()
                times = await time_batch(runners[name], offsets[name], plan.batch)
                offsets[name] += plan.batch
                samples[name].add_round(times)

    sink = stacks.gate_of(warm).audit.sink
    if sink is not None:
        sink.close()  # every queued record reaches the file before it is counted
    return {
        "agreement": agreement,
        "no_token": no_token,
        "results": {name: s.summary() for name, s in samples.items()},
        "redis": {"note": redis_note or "measured", "commands_per_request": redis_counts},
        "token_cache_entries": len(stacks.gate_of(fresh).tokens),
    }


class _maybe_redis:
    """``with _maybe_redis(module) as url``: a private redis-server when the tier exists."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self._context: Any = None

    def __enter__(self) -> str | None:
        if self.module is None:
            return None
        self._context = redis_tier.redis_server()
        url: str = self._context.__enter__()
        return url

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)


# -- phase 2: decision time against policy size --------------------------------------------


def decision_scaling(plan: Plan, workdir: Path) -> dict[str, Any]:
    model_file, policy_file = pack_files()
    model_text = model_file.read_text(encoding="utf-8")
    engines: dict[int, PolicyEngine] = {}
    settlement_rows = read_policy_csv(policy_file.read_text(encoding="utf-8"), "policy.csv")
    engines[5] = PolicyEngine(PolicySource(model_text, settlement_rows, "model.conf", "policy"))
    load_seconds: dict[int, float] = {}
    for size in PACK_SIZES:
        _, policy = policy_gen.write_pack(size, workdir / f"pack-{size}", model_text)
        began = time.perf_counter()
        rows = read_policy_csv(policy.read_text(encoding="utf-8"), str(policy))
        engines[size] = PolicyEngine(PolicySource(model_text, rows, "model.conf", str(policy)))
        load_seconds[size] = round(time.perf_counter() - began, 3)

    at = parse_instant(AT)
    requests = {
        name: (entity, country, region or "", "GET", "/search")
        for name, entity, country, region, _ in stacks.CLIENTS
        if name in DECIDE_CLIENTS
    }
    for size, engine in engines.items():  # the generated packs must decide like the settlement
        for name, request in requests.items():
            want, got = engines[5].decide(*request, at), engine.decide(*request, at)
            if (got.effect, got.status, got.rule) != (want.effect, want.status, want.rule):
                raise RuntimeError(f"the pack of {size} rules decides {name} differently")

    samples = {size: {name: Samples() for name in requests} for size in engines}
    sizes = list(engines)
    for round_number in range(plan.decide_rounds):
        random.shuffle(sizes)
        log(f"decision-time round {round_number + 1}/{plan.decide_rounds}")
        for size in sizes:
            engine = engines[size]
            for name, request in requests.items():
                times = []
                for _ in range(plan.decide_calls[size]):
                    began = time.perf_counter_ns()
                    engine.decide(*request, at)
                    times.append((time.perf_counter_ns() - began) / 1000)
                samples[size][name].add_round(times)
    return {
        "at": AT,
        "clients": DECIDE_CLIENTS,
        "results": {
            str(size): {name: s.summary() for name, s in by_client.items()}
            for size, by_client in samples.items()
        },
        "load_seconds": {str(size): secs for size, secs in load_seconds.items()},
    }


# -- phase 3: under uvicorn ----------------------------------------------------------------

# The servers of phase 3, timed by wrk and counted by callgrind: name -> uvicorn factory in
# stacks.py.
SERVERS = {
    "bare": "bare_server",
    "jurisgate_warm": "jurisgate_server",
    "jurisgate_warm_logging": "jurisgate_logging_server",
    "jurisgate_warm_audit_off": "jurisgate_quiet_server",
    "usual_stack": "usual_server",
}
# Counted under callgrind only (not loaded with wrk): what a [[results]] table costs the
# requests on another route, and a request on its route with the result filter inside the gate.
COUNTED_ONLY = {
    "jurisgate_results_elsewhere": "jurisgate_results_elsewhere_server",
    "jurisgate_results_here": "jurisgate_results_here_server",
}


def under_server(plan: Plan, audit_path: Path) -> dict[str, Any]:
    wrk = loadgen.find_wrk()
    token = stacks.sign(stacks.WARM_CLIENT)
    generator = "wrk -t1 -c32" if wrk else "asyncio client, 32 connections (no wrk)"
    # Every variant gets the same request, token included: the bare app ignores it.
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVERS}
    with contextlib.ExitStack() as servers:
        urls = {  # each server its own audit file
            name: servers.enter_context(
                loadgen.uvicorn_server(
                    factory, {stacks.AUDIT_ENV: str(audit_path.with_name(f"audit-{name}.log"))}
                )
            )
            for name, factory in SERVERS.items()
        }

        def load(name: str, seconds: int) -> dict[str, Any]:
            base, pid = urls[name]
            url = base + loadgen.SEARCH
            before = loadgen.cpu_seconds(pid)
            if wrk:
                result = loadgen.run_wrk(wrk, url, token, seconds=seconds)
            else:
                result = loadgen.run_async_client(url, token, seconds=seconds)
            # The server's own CPU per request: steadier than req/s on a shared machine.
            used = loadgen.cpu_seconds(pid) - before
            result["server_cpu_us"] = round(used * 1e6 / max(result["requests"], 1), 1)
            return result

        for name in SERVERS:  # warm-up, and a check that every server answers 200
            result = load(name, 1)
            if result["non_2xx"]:
                raise RuntimeError(f"{name} under uvicorn answered {result['non_2xx']} non-2xx")
        order = list(SERVERS)
        for round_number in range(plan.server_rounds):
            random.shuffle(order)
            log(f"uvicorn round {round_number + 1}/{plan.server_rounds} ({generator})")
            for name in order:
                result = load(name, plan.server_seconds)
                if result["non_2xx"]:
                    raise RuntimeError(f"{name} answered {result['non_2xx']} non-2xx under load")
                runs[name].append(result)

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    summary = {
        name: {
            "rps_median": round(median([r["rps"] for r in rs]), 1),
            "rps_min": round(min(r["rps"] for r in rs), 1),
            "rps_max": round(max(r["rps"] for r in rs), 1),
            "p50_ms_median": round(median([r["p50_ms"] for r in rs]), 3),
            "p99_ms_median": round(median([r["p99_ms"] for r in rs]), 3),
            "server_cpu_us_median": round(median([r["server_cpu_us"] for r in rs]), 1),
            "runs": rs,
        }
        for name, rs in runs.items()
    }
    pinning = loadgen.pinned(["server"], loadgen.SERVER_CPU) != ["server"]
    return {
        "generator": generator,
        "seconds": plan.server_seconds,
        "pinned": pinning,
        "results": summary,
    }


def counted(plan: Plan, audit_path: Path) -> dict[str, Any] | None:
    """Instructions per request under uvicorn, by callgrind (see instructions.py)."""
    token = stacks.sign(stacks.WARM_CLIENT)
    results = {}
    for name, factory in {**SERVERS, **COUNTED_ONLY}.items():
        log(f"callgrind: {name}")
        requests = plan.counted_requests // (10 if name == "usual_stack" else 1)
        env = {stacks.AUDIT_ENV: str(audit_path.with_name(f"audit-counted-{name}.log"))}
        try:
            results[name] = instructions.count(factory, token, requests=requests, env=env)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            # valgrind present but unusable here (ptrace limits, no vgdb): the rest of the
            # run still stands; the report leaves the counts out.
            log(f"callgrind failed for {name}, no instruction counts: {exc}")
            return None
    return {"tool": "valgrind --tool=callgrind", "results": results}


# -- phase 4: where the warm path spends its time ------------------------------------------


async def profile_warm(requests: int, audit_path: Path) -> str:
    app = stacks.jurisgate_app(audit=stacks.audit_file_log(audit_path))
    run = asgi_runner(app, [http_scope("/search", token=stacks.sign("fbi-hq"), query=b"q=a")])
    await time_batch(run, 0, 100)
    profiler = cProfile.Profile()
    profiler.enable()
    await time_batch(run, 0, requests)
    profiler.disable()
    # Write the audit file out now: its folder is removed when the run's temp dir goes.
    await stacks.gate_of(app).aclose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"cProfile of {requests} warm in-process jurisgate requests ([audit] file)\n\n")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    out.write("\n\n" + profile_cold(1000, 30))
    return out.getvalue().replace(str(Path(sys.prefix)), "<venv>")


def profile_cold(rules: int, decisions: int) -> str:
    """Where an uncached decision goes: the engine alone on a generated pack."""
    model = pack_files()[0].read_text(encoding="utf-8")
    rows = read_policy_csv(policy_gen.generate_policy(rules), "generated.csv")
    engine = PolicyEngine(PolicySource(model, rows, "model.conf", "generated.csv"))
    at = parse_instant(AT)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(decisions):
        engine.decide("federal_law_enforcement", "US", "US-DC", "GET", "/search", at)
    profiler.disable()
    out = io.StringIO()
    out.write(f"cProfile of {decisions} uncached decisions, {rules}-rule pack, allowed client\n\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


# -- phase 5: memory under many distinct tokens and principals ----------------------------


def memory(requests: int) -> dict[str, Any]:
    log(f"memory: {requests:,} distinct tokens and principals in a fresh process")
    done = subprocess.run(
        [sys.executable, str(HERE / "memory.py"), "--requests", str(requests)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- machine and versions ------------------------------------------------------------------


def environment(mode: str) -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE)
        return done.stdout.strip()

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dists = [
        "jurisgate",
        "starlette",
        "pycasbin",
        "PyJWT",
        "cryptography",
        "fastapi",
        "fastapi-authz",
        "uvicorn",
        "uvloop",
        "httptools",
        "redis",
        "matplotlib",
        "simpleeval",
    ]
    return {
        "mode": mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {dist: version(dist) for dist in dists},
        "wrk": loadgen.find_wrk() is not None,
        "valgrind": instructions.find_valgrind() is not None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: under ~2 minutes")
    parser.add_argument("--no-server", action="store_true", help="skip the uvicorn phase")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    random.seed(5)
    began = time.monotonic()
    result = environment("quick" if args.quick else "full")
    with tempfile.TemporaryDirectory(prefix="jurisgate-bench-") as tmp:
        work = Path(tmp)
        audit = work / "audit.log"
        result["in_process"] = asyncio.run(in_process(plan, audit))
        log(
            f"audit records written: {_lines(audit.with_suffix('.jsonl')):,} by [audit] file, "
            f"{_lines(audit):,} by the logging.FileHandler"
        )
        result["decision_time"] = decision_scaling(plan, work)
        if not args.no_server:
            result["uvicorn"] = under_server(plan, work / "audit-server.log")
            if instructions.find_valgrind() is not None:
                counts = counted(plan, work / "audit-counted.log")
                if counts is not None:
                    result["instructions"] = counts
            else:
                log("valgrind is not installed: no instruction counts")
        profile = asyncio.run(profile_warm(plan.profile_requests, work / "audit-profile.log"))
    result["memory"] = memory(plan.memory_requests)
    log("suppression check: 20 results against 100,000 suppressed ids")
    result["suppression"] = suppression.measure()
    log(f"result filter and filter_items (issue #16), {plan.filter_rounds} rounds")
    result["result_filter"] = result_filter.measure(
        plan.filter_rounds, count_instructions=instructions.find_valgrind() is not None
    )
    log("ingest check: admissible() on GPS facts")
    result["ingest"] = ingest_lookup.measure()
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["peak_rss_mib"] = peak_rss_mib()
    result["elapsed_seconds"] = round(time.monotonic() - began, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest-profile.txt").write_text(profile, encoding="utf-8")
    report.write_all(result, args.out)
    log(f"done in {result['elapsed_seconds']} s: {args.out}/latest.{{json,md,png}}")
    print((args.out / "latest.md").read_text(encoding="utf-8"))


def _lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file)


if __name__ == "__main__":
    main()
