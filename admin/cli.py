"""The ``jurisgate`` command for security admins and operators; each command is a module of its
own that registers itself (``lint``, ``test``, ``diff``, ...), this one adds ``explain`` and
``policy push`` and runs them all under one set of exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jurisgate.middleware.claims.paths import canonical_method, canonical_path
from jurisgate.middleware.claims.principal import ANONYMOUS_VIEW
from jurisgate.middleware.decision.values import refusal
from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.offline import decide_claims

from . import (
    admissible,
    lint,
    matrix,
    mint,
    policy_diff,
    policy_publish,
    policy_tests,
    subjects,
)
from .files import (
    add_config_option,
    announce,
    config_for_command,
    engine_for_config,
    instant_option,
    issuer_tables,
    read_json_object,
)

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# What a shell reports for a command killed by SIGPIPE (128 + 13): `jurisgate diff | head`.
EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE

DESCRIPTION = """\
Check, test and ship a jurisgate policy: lint it, run its test cases, diff two versions,
draw its decision matrix, explain one decision, publish policy files or push them into the
PostgreSQL store, mint development tokens, and run the opt-out registry (subjects).

Exit codes: 0 ok, 1 findings, failed cases or changes, 2 usage error or files that cannot be
loaded. Each command has its own --help (jurisgate lint --help)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a reader that closes our stdout early ends it quietly."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at exit
    except BrokenPipeError:
        # Python's own advice: point stdout at devnull so the interpreter's final flush
        # does not raise again, then exit as a command killed by SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CLOSED_PIPE
    return code


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except JurisgateError as exc:
        print(f"jurisgate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jurisgate",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands")

    explain = commands.add_parser(
        "explain",
        help="decide one claims set and say which rule decided, and why",
        description="Decide a claims set (no token needed) as the middleware would.",
    )
    add_config_option(explain)
    what = explain.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--claims",
        metavar="CLAIMS.json",
        help="JSON object with entity_type, country, region ('-' for stdin)",
    )
    what.add_argument(
        "--item",
        metavar="ITEM.json",
        help="a result entry as the app returns it ('-' for stdin): is it suppressed?",
    )
    explain.add_argument(
        "--suppressed",
        action="store_true",
        help="with --item: the entry's id is on the suppression list (opt-outs)",
    )
    explain.add_argument(
        "--route", metavar="PATH", help="with --item: the [[results]] table whose fields to read"
    )
    explain.add_argument("--path", default="/search", help="request path (default /search)")
    explain.add_argument("--method", default="GET", help="HTTP method (default GET)")
    explain.add_argument("--at", help="ISO 8601 instant to decide for (default: now)")
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    explain.add_argument(
        "--trace", action="store_true", help="list every rule and why it matched or not"
    )
    explain.set_defaults(run=_explain)

    policy = commands.add_parser(
        "policy", help="publish policy files, or push a policy into a store"
    )
    policy_commands = policy.add_subparsers(title="policy commands")
    push = policy_commands.add_parser(
        "push",
        help="validate a policy file and replace the configured store's rows with it",
        description="Validate POLICY.csv against the configured model, replace the rows of "
        "the [policy] store with it in one transaction, and announce the new version on the "
        "Redis reload channel when [cache] redis_url or sentinels is set.",
    )
    add_config_option(push)
    push.add_argument("file", metavar="POLICY.csv", help="the policy rows to push")
    push.set_defaults(run=_push)
    policy_publish.register(policy_commands)
    # Each admin command lives in its own module and adds its own sub-command.
    for command in (lint, policy_tests, policy_diff, matrix, mint, subjects, admissible):
        command.register(commands)
    return parser


def _explain(args: argparse.Namespace) -> int:
    if args.item is not None:
        return _explain_item(args)
    engine = engine_for_config(args.config)
    claims = read_json_object(args.claims, "claims")
    at = instant_option(args.at)
    method = canonical_method(args.method.upper())
    path = canonical_path(args.path)
    result: dict[str, Any] = {
        "method": method,
        "path": path,
        "at": _iso(at),
        "policy_version": engine.version,
    }
    authorities, mappings = issuer_tables(args.config)
    answer = decide_claims(
        engine,
        claims,
        method,
        args.path,
        at,
        issuer=str(claims.get("iss", "(claims file)")),
        subject=str(claims.get("sub", "(claims file)")),
        authorities=authorities,
        mappings=mappings,
    )
    principal = answer.principal
    decision = answer.decision or refusal(engine.version)
    reason = answer.reason
    result.update(
        {
            "effect": decision.effect,
            "status": decision.status,
            "rule": decision.rule,
            "citation": decision.citation.as_dict() if decision.citation else None,
            "reason": reason,
            "valid_until": None
            if decision.valid_until == float("inf")
            else _iso(decision.valid_until),
            "principal": principal.as_dict() if principal else None,
        }
    )
    if args.trace:
        view = principal.policy_view() if principal else ANONYMOUS_VIEW
        result["trace"] = [
            {
                "rule": t.rule.id,
                "effect": t.rule.effect,
                "matched": t.matched,
                "why_not": t.mismatch,
                "source": t.rule.source,
            }
            for t in engine.trace(view, method, path, at)
        ]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_explain(result)
    return EXIT_OK


def _explain_item(args: argparse.Namespace) -> int:
    from .item_explain import explain_item, print_item

    at = instant_option(args.at)
    answer = explain_item(args.config, args.item, at, args.suppressed, args.route)
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        print_item(answer)
    return EXIT_OK


def _push(args: argparse.Namespace) -> int:
    from .push import push_policy

    config = config_for_command(args.config, "policy push")
    if config.policy.store is None:
        raise JurisgateError(f"{config.origin}: [policy] has no store to push to")
    engine = push_policy(config.policy, Path(args.file), config.items)
    table = config.policy.store_table
    print(f"pushed {len(engine.rules)} rules from {args.file} to postgresql:{table}")
    print(f"  policy version: {engine.version}")
    announce(config, engine.version)
    return EXIT_OK


def _print_explain(result: dict[str, Any]) -> None:
    print(f"{result['method']} {result['path']} at {result['at']}")
    print(f"  decision: {result['effect'].upper()} -> {result['status']}")
    print(f"  why:      {result['reason']}")
    if result["citation"]:
        print(f"  citation: {result['citation']['text']}")
        print(f"            {result['citation']['url']}")
    if result["principal"]:
        p = result["principal"]
        print(f"  client:   {_describe_client(p)}")
    print(f"  holds until: {result['valid_until'] or 'no rule changes ahead'}")
    print(f"  policy version: {result['policy_version']}")
    for item in result.get("trace", []):
        mark = "MATCH" if item["matched"] else "  -  "
        why = "" if item["matched"] else f"  ({item['why_not']})"
        print(f"  [{mark}] {item['effect']:5} {item['rule']}{why}  {item['source']}")


def _describe_client(p: dict[str, Any]) -> str:
    """``state_law_enforcement of US-IL in US/US-IN``, ``... (personal capacity)``."""
    who = str(p["entity_type"])
    if p.get("agency_type"):
        who += f" for {p['agency_type']}"
    if p.get("agency_region"):
        who += f" of {p['agency_region']}"
    who += f" in {p['country']}/{p['region'] or '(no region)'}"
    return who + (" (personal capacity)" if p.get("capacity") == "personal" else "")


def _iso(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
