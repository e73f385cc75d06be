"""Write a benchmark result as latest.json, latest.md (tables, targets) and latest.png (chart)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

LABELS = {
    "bare": "bare Starlette",
    "jurisgate_warm": "jurisgate warm, audit to [audit] file",
    "jurisgate_warm_logging": "jurisgate warm, audit via logging.FileHandler",
    "jurisgate_warm_audit_off": "jurisgate warm, audit off",
    "jurisgate_results_elsewhere": "jurisgate warm, audit off, [[results]] on another route",
    "jurisgate_results_here": "jurisgate warm, audit off, [[results]] on this route (filtered)",
    "jurisgate_redis_both_tiers": "jurisgate + Redis, tier 1 on",
    "jurisgate_redis_tier2_only": "jurisgate + Redis, tier 1 off",
    "jurisgate_cold": "jurisgate cold (decision cache off)",
    "jurisgate_new_token": "jurisgate, new token each request",
    "pyjwt_decode": "raw PyJWT RS256 decode (no app)",
    "usual_stack": "usual stack (AuthN + fastapi-authz eval ABAC)",
}
ORDER = list(LABELS)
FULL_SCAN = "fbi-hq"  # the allowed client: the engine evaluates every rule for it


def write_all(result: dict[str, Any], out: Path) -> None:
    result["targets"] = targets(result)
    (out / "latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "latest.md").write_text(markdown(result), encoding="utf-8")
    chart(result, out / "latest.png")


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else math.nan


def paired_ratio(row: dict[str, Any], base: dict[str, Any]) -> float:
    """Median over rounds of (this round's p50 / the base's p50 in the same round): variants in
    one round ran seconds apart, so a noisy minute on a shared machine cancels out."""
    pairs = zip(row["round_p50s_us"], base["round_p50s_us"], strict=True)
    ratios: list[float] = [a / b for a, b in pairs]
    return round(statistics.median(ratios), 2)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with what this run measured and whether it is met."""
    rows: list[dict[str, Any]] = []
    inproc = result["in_process"]["results"]
    # Judged on the median and on the mean: the audit file's writer thread works between
    # requests, which a median alone would leave out.
    warm = paired_ratio(inproc["jurisgate_warm"], inproc["bare"])
    warm_mean = _ratio(inproc["jurisgate_warm"]["mean_us"], inproc["bare"]["mean_us"])
    rows.append(
        _target(
            "warm in-process time <= 1.25x bare ([audit] file)",
            f"{warm}x median, {warm_mean}x mean",
            max(warm, warm_mean) <= 1.25,
        )
    )
    logged = paired_ratio(inproc["jurisgate_warm_logging"], inproc["bare"])
    rows.append(_target("same, audit via logging.FileHandler", f"{logged}x median", logged <= 1.25))
    server = result.get("uvicorn", {}).get("results")
    if server:
        share = server["jurisgate_warm"]["rps_median"] / server["bare"]["rps_median"]
        rows.append(_target("uvicorn req/s >= 85% of bare", f"{share:.0%}", share >= 0.85))
        lead = _ratio(server["jurisgate_warm"]["rps_median"], server["usual_stack"]["rps_median"])
        rows.append(_target("uvicorn req/s >= 20x the usual stack", f"{lead}x", lead >= 20))
    counted = result.get("instructions", {}).get("results")
    if counted:  # the same two targets, estimated from instruction counts
        ours = counted["jurisgate_warm"]["per_request"]
        share = counted["bare"]["per_request"] / ours
        estimate = "same 85%, estimated by instructions per request"
        rows.append(_target(estimate, f"{share:.2%}", share >= 0.85))
        lead = _ratio(counted["usual_stack"]["per_request"], ours)
        rows.append(
            _target("same 20x, estimated by instructions per request", f"{lead}x", lead >= 20)
        )
    decide = result["decision_time"]["results"]
    settlement = decide["5"][FULL_SCAN]["p50_us"]
    thousand = decide["1000"][FULL_SCAN]["p50_us"]
    rows.append(
        _target(
            "cold decision, settlement pack: p50 < 100 us", f"{settlement} us", settlement < 100
        )
    )
    rows.append(
        _target(
            "cold decision, 1,000 rules: p50 < 1 ms", f"{thousand / 1000:.2f} ms", thousand < 1000
        )
    )
    exponent = growth_exponent(decide)
    rows.append(
        _target(
            "decision time grows sub-linearly with rules",
            f"time ~ rules^{exponent:.2f} (100 -> 10,000 rules)",
            exponent < 0.8,
        )
    )
    counts = result["in_process"]["redis"]["commands_per_request"]
    if counts:
        tier2 = counts.get("jurisgate_redis_tier2_only", math.nan)
        both = counts.get("jurisgate_redis_both_tiers", math.nan)
        rows.append(
            _target(
                "Redis: <= 1 round trip per request, 0 when tier 1 hits",
                f"{tier2} with tier 1 off, {both} with tier 1 on",
                tier2 <= 1 and both == 0,
            )
        )
    else:
        rows.append(_target("Redis round trips", result["in_process"]["redis"]["note"], None))
    mem = result.get("memory")
    if mem:
        growth = mem["rss_mib_growth_after_first_quarter"]
        rows.append(
            _target(
                "memory bounded by the cache sizes under 1M distinct tokens and principals",
                f"{mem['requests']:,} distinct: peak RSS {mem['peak_rss_mib']} MiB, "
                f"{growth:+} MiB after the first quarter; caches {mem['token_cache_entries']:,} "
                f"tokens / {mem['decision_cache_entries']:,} decisions (limit "
                f"{mem['cache_limit']:,})",
                growth < 5 and mem["token_cache_entries"] <= mem["cache_limit"],
            )
        )
    check = result.get("suppression")
    if check:
        rows.append(
            _target(
                "suppression check adds <= 2 us to a 20-result answer, no Redis round trip",
                f"+{check['added_us']} us ({check['answer_without_us']} -> "
                f"{check['answer_with_check_us']} us, {check['suppressed']:,} suppressed), "
                f"{check['redis_round_trips']} Redis round trips",
                check["added_us"] <= 2 and check["redis_round_trips"] == 0,
            )
        )
    rows += _filter_targets(result)
    return rows


def _filter_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue #16: the result filter's and filter_items' targets; the ingest check's figure."""
    rows: list[dict[str, Any]] = []
    found = result.get("result_filter")
    if found:
        limits = found["targets"]
        for row in found["middleware"]:
            limit = limits[f"added_us_{row['results']}"]
            rows.append(
                _target(
                    f"result filter middleware adds <= {limit} us at {row['results']} results",
                    f"+{row['added_us']} us median (min +{row['added_us_min']}, "
                    f"{row['rounds']} rounds; {row['bare_us']} -> {row['filtered_us']} us)",
                    row["added_us"] <= limit,
                )
            )
        call = found["filter_items"]
        limit = limits["filter_items_us_per_100"]
        counted = found.get("filter_items_instructions")
        rows.append(
            _target(
                f"filter_items <= {limit} us per 100 items",
                f"{call['us']} us median (min {call['us_min']}, {call['rounds']} rounds)"
                + (f"; {counted['per_call']:,} instructions per call" if counted else ""),
                call["us"] <= limit,
            )
        )
    ingest = result.get("ingest")
    if ingest:
        points = {k: v for k, v in ingest.items() if k.endswith("_us")}
        rows.append(
            _target(
                "ingest check admissible() per photo (no target)",
                f"{min(points.values())}-{max(points.values())} us per GPS point; boundary "
                f"file loaded once in {ingest['load_ms']} ms",
                None,
            )
        )
    return rows


def _target(name: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "measured": measured, "met": met}


def growth_exponent(decide: dict[str, Any]) -> float:
    low, high = decide["100"][FULL_SCAN]["p50_us"], decide["10000"][FULL_SCAN]["p50_us"]
    return math.log(high / low) / math.log(100)


def markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    versions = result["versions"]
    lines = [
        "# jurisgate benchmark results",
        "",
        f"- run: {result['date']}, mode `{result['mode']}`, {result['elapsed_seconds']} s; "
        f"commit `{result['git_commit'][:12]}`"
        + (" (plus uncommitted changes)" if result["git_dirty"] else ""),
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['platform']}, "
        f"Python {machine['python']}; load average {machine['loadavg_start']} at start, "
        f"{machine['loadavg_end']} at end (a shared machine: other work adds noise)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v),
        f"- peak RSS of the benchmark process: {result['peak_rss_mib']} MiB",
        "",
        "## Per request, in-process ASGI call",
        "",
        "One request at a time through the app (no sockets), audit records to a real file "
        "(jurisgate's `[audit] file` writer unless the variant says otherwise). "
        "`GET /search?q=avery` by the FBI headquarters client (allowed, so the route runs too).",
        "",
        "| variant | p50 (us) | mean (us) | p99 (us) | time vs bare | mean vs bare "
        "| usual stack's time / this |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    inproc = result["in_process"]["results"]
    bare = inproc["bare"]["p50_us"]
    for name in ORDER:
        if name in inproc:
            row = inproc[name]
            lines.append(
                f"| {LABELS[name]} | {row['p50_us']:,.1f} | {row['mean_us']:,.1f} | "
                f"{row['p99_us']:,.1f} | {paired_ratio(row, inproc['bare'])}x | "
                f"{_ratio(row['mean_us'], inproc['bare']['mean_us'])}x | "
                f"{paired_ratio(inproc['usual_stack'], row)}x |"
            )
    samples = inproc["bare"]["n"]
    lines += [
        "",
        f"{samples:,} timed requests per variant in {len(inproc['bare']['round_p50s_us'])} "
        "interleaved rounds; p50/p99 over all of them. Ratios are the median over rounds of "
        "the ratio of round medians (variants of one round ran seconds apart); the mean "
        "ratio also counts work done between requests, such as the audit writer thread's.",
        f"Redis tier: {result['in_process']['redis']['note']}.",
    ]
    if "jurisgate_new_token" in inproc:
        gap = inproc["jurisgate_new_token"]["p50_us"] - inproc["pyjwt_decode"]["p50_us"]
        lines.append(
            f"New token on every request: {gap:,.1f} us above a raw PyJWT RS256 decode+verify "
            f"({inproc['pyjwt_decode']['p50_us']:,.1f} us), which includes the app itself "
            f"({bare:,.1f} us bare)."
        )
    lines += [
        "",
        "## Decision time against policy size (policy engine, no cache)",
        "",
        f"`PolicyEngine.decide` at {result['decision_time']['at']}; generated packs from "
        "benchmarks/policy_gen.py (the settlement's 5 rules first, then filler that never "
        "changes these clients' decisions). p50 / p99 in microseconds:",
        "",
    ]
    clients = result["decision_time"]["clients"]
    lines.append("| rules | " + " | ".join(f"{n}: {why}" for n, why in clients.items()) + " |")
    lines.append("|---:|" + "---:|" * len(clients))
    decide = result["decision_time"]["results"]
    for size in sorted(decide, key=int):
        label = f"{int(size):,}" + (" (settlement pack)" if size == "5" else "")
        cells = [
            f"{decide[size][n]['p50_us']:,.1f} / {decide[size][n]['p99_us']:,.1f}" for n in clients
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    server = result.get("uvicorn")
    if server:
        lines += [
            "",
            f"## Under uvicorn ({server['generator']}, {server['seconds']} s per run)",
            "",
            "Every variant gets the same request, token included. "
            + (
                "The server runs on core 0 and wrk on core 1 (`taskset`). "
                if server.get("pinned")
                else ""
            )
            + "Server CPU is the uvicorn process's user+system time per request served: "
            "steadier than req/s on a shared machine.",
            "",
            "| variant | req/s median (min-max) | p50 latency (ms) | p99 latency (ms) | "
            "server CPU per request (us) | share of bare | x usual stack |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        results = server["results"]
        bare_rps, usual_rps = results["bare"]["rps_median"], results["usual_stack"]["rps_median"]
        for name in ORDER:
            if name not in results:
                continue
            row = results[name]
            cpu = row.get("server_cpu_us_median")
            lines.append(
                f"| {LABELS[name]} | {row['rps_median']:,.0f} ({row['rps_min']:,.0f}-"
                f"{row['rps_max']:,.0f}) | {row['p50_ms_median']:.2f} | {row['p99_ms_median']:.2f}"
                f" | {'' if cpu is None else f'{cpu:,.1f}'}"
                f" | {row['rps_median'] / bare_rps:.0%} | {_ratio(row['rps_median'], usual_rps)}x |"
            )
    lines += _counted_section(result)
    lines += _filter_section(result)
    lines += [
        "",
        "## Against the issue's targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for row in result["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(f"| {row['target']} | {row['measured']} | {met} |")
    lines += [
        "",
        "## Decisions checked before timing",
        "",
        "The usual stack can only answer 403 where jurisgate answers 451, so allow/deny is "
        "compared.",
        "",
        "| client | entity type | country | region | jurisgate | usual stack |",
        "|---|---|---|---|---:|---:|",
    ]
    for row in result["in_process"]["agreement"]:
        lines.append(
            f"| {row['client']} | {row['entity_type']} | {row['country']} | "
            f"{row['region'] or '(none)'} | {row['jurisgate']} | {row['usual_stack']} |"
        )
    answers = result["in_process"]["no_token"]
    lines += [
        "",
        f"No Authorization header: jurisgate {answers['jurisgate']}, "
        f"usual stack {answers['usual_stack']}.",
        "",
    ]
    return "\n".join(lines)


def _counted_section(result: dict[str, Any]) -> list[str]:
    counted = result.get("instructions")
    if not counted:
        return []
    results = counted["results"]
    bare, usual = results["bare"]["per_request"], results["usual_stack"]["per_request"]
    lines = [
        "",
        "## Instructions per request under uvicorn (callgrind)",
        "",
        "The same servers and request, run under valgrind's callgrind and counted over "
        f"{results['bare']['requests']:,} sequential keep-alive requests after a warm-up "
        f"({results['usual_stack']['requests']:,} for the usual stack). User-space "
        "instructions only: the kernel's part (sockets, file writes) and cache misses are "
        'left out, so "share" estimates the req/s share; unlike req/s it does not move '
        "with the neighbours' load.",
        "",
        "| variant | instructions per request | event loop thread | other threads "
        "| share (bare / this) | usual stack / this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ORDER:
        if name in results:
            row = results[name]
            total = row["per_request"]
            lines.append(
                f"| {LABELS[name]} | {total:,} | {row['main_thread_per_request']:,} | "
                f"{row['other_threads_per_request']:,} | {bare / total:.1%} | "
                f"{_ratio(usual, total)}x |"
            )
    return lines


def _filter_section(result: dict[str, Any]) -> list[str]:
    found = result.get("result_filter")
    if not found:
        return []
    lines = [
        "",
        "## Result filter, filter_items and the ingest check (issue #16)",
        "",
        "In-process ASGI call of a Starlette JSON route with and without "
        "`ResultFilterMiddleware` (bundled packs, 100,000 suppressed ids, one entry in five "
        "removed, so the body is parsed, rewritten and serialized again); bare and filtered "
        "in alternating rounds, per-round means. Verify mode checks the answer the app "
        "filtered itself. Median over rounds, then the least disturbed round (min) and the "
        f"most (max). Load average {found['loadavg'][0]} before, {found['loadavg'][1]} after.",
        "",
        "| way in | results | bare (us) | with the filter (us) | added: median (min-max) |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode in ("middleware", "verify"):
        for row in found[mode]:
            lines.append(
                f"| {mode} | {row['results']} | {row['bare_us']} | {row['filtered_us']} | "
                f"+{row['added_us']} (+{row['added_us_min']} to +{row['added_us_max']}) |"
            )
    call, windowed = found["filter_items"], found["filter_items_windowed"]
    counted = found.get("filter_items_instructions")
    lines += [
        "",
        f"`filter_items` on {call['items']} entries: {call['us']} us median, {call['us_min']} "
        f"us min ({call['rounds']} rounds)"
        + (
            f"; {counted['per_call']:,} instructions per call (callgrind, "
            f"{counted['calls']:,} calls)"
            if counted
            else ""
        )
        + f". With a collection-window rule in force (judged entry by entry): "
        f"{windowed['us']} us median, {windowed['us_min']} us min.",
    ]
    ingest = result.get("ingest")
    if ingest:
        points = ", ".join(
            f"{name.removesuffix('_us').replace('_', ' ')} {value} us"
            for name, value in ingest.items()
            if name.endswith("_us")
        )
        lines += [
            "",
            f"Ingest check, `admissible()` on GPS facts, per photo: {points}; the bundled "
            f"boundary file loads once in {ingest['load_ms']} ms.",
        ]
    return lines


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    server = result.get("uvicorn")
    filtered = result.get("result_filter")
    rows = 3 if filtered else 2
    fig = plt.figure(figsize=(13, 5 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, 2, height_ratios=[1, 1.1, 1][:rows])
    axes = [fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0])]
    if server:
        axes.append(fig.add_subplot(grid[1, 1]))
    if filtered:
        _filter_panels(result, fig.add_subplot(grid[2, 0]), fig.add_subplot(grid[2, 1]))
    inproc = result["in_process"]["results"]
    names = [n for n in ORDER if n in inproc][::-1]
    p50 = [inproc[n]["p50_us"] for n in names]
    p99 = [inproc[n]["p99_us"] for n in names]
    colors = [_color(n) for n in names]
    ax = axes[0]
    ax.barh(range(len(names)), p50, color=colors)
    ax.scatter(p99, range(len(names)), marker="|", s=200, color="black", zorder=3)
    ax.set_yticks(range(len(names)), [LABELS[n] for n in names], fontsize=9.5)
    ax.set_xscale("log")
    ax.set_xlabel("microseconds per request (log scale)")
    ax.set_title("In-process ASGI call, per request (bar and number: p50; black tick: p99)")
    for i, value in enumerate(p50):
        ax.text(value * 1.08, i, f"{value:,.0f}", va="center", fontsize=8)
    ax.set_xlim(right=max(p99) * 2)

    decide = result["decision_time"]["results"]
    sizes = sorted(int(s) for s in decide)
    ax = axes[1]
    styles = {"fbi-hq": ("o-", "#1f77b4"), "ukraine-police": ("^-", "#ff7f0e")}
    for name, why in result["decision_time"]["clients"].items():
        style, color = styles.get(name, ("s-", "#9467bd"))
        values = [decide[str(s)][name]["p50_us"] for s in sizes]
        ax.plot(sizes, values, style, color=color, label=f"p50, {name} ({why.split(':')[0]})")
    full = [decide[str(s)][FULL_SCAN]["p99_us"] for s in sizes]
    ax.plot(sizes, full, "--", color="#9ecae1", label=f"p99, {FULL_SCAN}")
    base = decide[str(sizes[1])][FULL_SCAN]["p50_us"] / sizes[1]
    ax.plot(sizes, [base * s for s in sizes], ":", color="grey", label="linear in rules")
    ax.axhline(100, color="#2ca02c", lw=1, label="targets: 100 us (settlement), 1 ms (1,000)")
    ax.axhline(1000, color="#2ca02c", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rules in the policy (5 = settlement pack)")
    ax.set_ylabel("microseconds per decision")
    ax.set_title("Uncached decision time vs policy size")
    ax.legend(fontsize=8)

    if server:
        results = server["results"]
        order = [n for n in ORDER if n in results]
        rps = [results[n]["rps_median"] for n in order]
        ax = axes[2]
        ax.bar(range(len(order)), rps, color=[_color(n) for n in order])
        short = {
            "bare": "bare",
            "jurisgate_warm": "jurisgate\nwarm",
            "jurisgate_warm_logging": "jurisgate warm\nlogging",
            "jurisgate_warm_audit_off": "jurisgate warm\naudit off",
            "usual_stack": "usual\nstack",
        }
        ax.set_xticks(range(len(order)), [short.get(n, n) for n in order])
        ax.set_ylabel("requests per second (median of runs)")
        ax.set_title(f"Under uvicorn, {server['generator']}, GET /search")
        for i, value in enumerate(rps):
            ax.text(i, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=9)
        ax.axhline(0.85 * rps[0], color="#2ca02c", lw=1, ls="--", label="85% of bare (target)")
        ax.legend(fontsize=8)
    fig.suptitle(
        f"jurisgate benchmarks ({result['mode']}, {result['date'][:10]}, "
        f"commit {result['git_commit'][:8]}, {result['machine']['cores']} cores, shared machine)"
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _filter_panels(result: dict[str, Any], costs: Any, ingest_axis: Any) -> None:
    """Issue #16: what the result filter adds and filter_items costs, against their targets;
    the ingest check per GPS point."""
    found = result["result_filter"]
    limits = found["targets"]
    bars = [
        (f"middleware\n{row['results']} results", row, limits[f"added_us_{row['results']}"])
        for row in found["middleware"]
    ]
    labels = [label for label, _, _ in bars] + ["filter_items\n100 items"]
    medians = [row["added_us"] for _, row, _ in bars] + [found["filter_items"]["us"]]
    minimums = [row["added_us_min"] for _, row, _ in bars] + [found["filter_items"]["us_min"]]
    targets = [limit for _, _, limit in bars] + [limits["filter_items_us_per_100"]]
    spots = range(len(labels))
    costs.bar(spots, medians, color="#1f77b4", label="median over rounds")
    costs.scatter(spots, minimums, marker="_", s=400, color="black", zorder=3, label="min")
    costs.scatter(spots, targets, marker="v", s=80, color="#2ca02c", zorder=3, label="target")
    for spot, value in zip(spots, medians, strict=True):
        costs.text(spot, value, f"{value:,.1f}", ha="center", va="bottom", fontsize=9)
    costs.set_xticks(spots, labels)
    costs.set_yscale("log")
    costs.set_ylabel("microseconds added (middleware) or per call")
    costs.set_title("Result filter (issue #16), in-process, bundled packs")
    costs.legend(fontsize=8)
    ingest = result.get("ingest") or {}
    points = {k.removesuffix("_us"): v for k, v in ingest.items() if k.endswith("_us")}
    if points:
        ingest_axis.barh(range(len(points)), list(points.values()), color="#9467bd")
        ingest_axis.set_yticks(range(len(points)), [n.replace("_", " ") for n in points])
        ingest_axis.set_xlabel("microseconds per admissible() call (median)")
        ingest_axis.set_title("Ingest check per photo, GPS facts (no target)")
        for row, value in enumerate(points.values()):
            ingest_axis.text(value, row, f" {value:,.1f}", va="center", fontsize=8)
    else:
        ingest_axis.set_visible(False)


def _color(name: str) -> str:
    if name == "bare":
        return "#7f7f7f"
    if name == "usual_stack":
        return "#d62728"
    if name == "pyjwt_decode":
        return "#bcbd22"
    return "#1f77b4"
