"""``jurisgate subjects``: the data-subject registry's operator commands.

- ``init --config FILE``: create or migrate the registry's tables (idempotent; run on every
  deploy, before the app starts).
- ``verify-audit --config FILE [--json]``: re-compute the hash chain; exit 1 at the first row
  that does not hold.
- ``verify-receipt (--key PUB.pem | --config FILE) RECEIPT.json``: check a receipt's signature
  offline; exit 1 when it does not hold. ``-`` reads the receipt from stdin.
- ``revoke --config FILE --entry ID --reason TEXT --actor WHO``: lift a suppression by an
  audited revocation row (the suppression row itself is never changed).

Exit codes: 0 ok, 1 a check failed (or nothing to revoke), 2 usage, config or registry error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware.config.gate_config import load_config
from jurisgate.middleware.errors import ConfigError
from jurisgate.middleware.subjects import ReceiptVerifier, RegistryUnavailable, SubjectsSettings

__all__ = ["register"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(commands: Any) -> None:
    """Add ``subjects init|verify-audit|verify-receipt|revoke`` to the command line."""
    subjects: argparse.ArgumentParser = commands.add_parser(
        "subjects", help="the data-subject registry: opt-outs, suppressions, receipts"
    )
    subjects.set_defaults(run=lambda _: _usage(subjects))
    actions = subjects.add_subparsers(title="subjects commands")

    init = actions.add_parser(
        "init",
        help="create or migrate the registry's tables (idempotent)",
        description="Create or migrate the tables of the [subjects] store. Safe to run on "
        "every deploy. Exit 0: the schema is current; 2: config or registry error.",
    )
    init.add_argument("--config", required=True, metavar="FILE", help="jurisgate.toml")
    init.set_defaults(run=_init)

    audit = actions.add_parser(
        "verify-audit",
        help="re-compute the registry's hash-chained audit table",
        description="Exit 0: every row holds; 1: the first row that does not is named.",
    )
    audit.add_argument("--config", required=True, metavar="FILE", help="jurisgate.toml")
    audit.add_argument("--json", action="store_true", help="print one JSON object")
    audit.set_defaults(run=_verify_audit)

    receipt = actions.add_parser(
        "verify-receipt",
        help="check an opt-out receipt's signature offline",
        description="Exit 0: the signature holds (the receipt's fields are printed); 1: it "
        "does not; 2: unusable key or input.",
    )
    key = receipt.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", metavar="KEY.pem", help="the public key (or the private key)")
    key.add_argument("--config", metavar="FILE", help="use [subjects] receipt_key_file")
    receipt.add_argument("receipt", metavar="RECEIPT.json", help="the receipt ('-' for stdin)")
    receipt.set_defaults(run=_verify_receipt)

    revoke = actions.add_parser(
        "revoke",
        help="lift a suppression by an audited revocation row",
        description="Exit 0: revoked; 1: the entry has no active suppression.",
    )
    revoke.add_argument("--config", required=True, metavar="FILE", help="jurisgate.toml")
    revoke.add_argument("--entry", required=True, help="the index entry id")
    revoke.add_argument("--reason", required=True, help="why (recorded in the audit chain)")
    revoke.add_argument("--actor", required=True, help="who decided (recorded likewise)")
    revoke.set_defaults(run=_revoke)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE


def _settings(config: str) -> SubjectsSettings:
    loaded = load_config(config)
    if loaded.subjects is None:
        raise ConfigError(f"{loaded.origin}: has no [subjects] table")
    return loaded.subjects


def _registry(config: str) -> PostgresSubjectRegistry:
    return PostgresSubjectRegistry(_settings(config).store)


def _init(args: argparse.Namespace) -> int:
    try:
        asyncio.run(_registry(args.config).init())
    except RegistryUnavailable as exc:
        print(f"jurisgate subjects init: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("subjects: the registry's tables are current")
    return EXIT_OK


def _verify_audit(args: argparse.Namespace) -> int:
    try:
        check = asyncio.run(_registry(args.config).verify_audit())
    except RegistryUnavailable as exc:
        print(f"jurisgate subjects verify-audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(
            json.dumps({"rows": check.rows, "broken_at": check.broken_at, "reason": check.reason})
        )
    elif check.broken_at is None:
        print(f"audit chain holds: {check.rows} rows")
    else:
        print(f"audit chain BROKEN at seq {check.broken_at}: {check.reason}")
    return EXIT_OK if check.broken_at is None else EXIT_FAILED


def _verify_receipt(args: argparse.Namespace) -> int:
    key = Path(args.key) if args.key else _settings(args.config).receipt_key_file
    try:
        verifier = ReceiptVerifier.from_file(key)
    except OSError as exc:
        raise ConfigError(f"cannot read {key}: {exc.strerror}") from exc
    try:
        data = sys.stdin.buffer.read() if args.receipt == "-" else Path(args.receipt).read_bytes()
    except OSError as exc:
        print(f"jurisgate subjects verify-receipt: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        fields = verifier.verify(data.strip())
    except ValueError as exc:
        print(f"receipt does NOT verify: {exc}")
        return EXIT_FAILED
    print("receipt verifies:")
    for name, value in fields.items():
        print(f"  {name}: {value}")
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    try:
        done = asyncio.run(
            _registry(args.config).revoke(args.entry, reason=args.reason, actor=args.actor)
        )
    except RegistryUnavailable as exc:
        print(f"jurisgate subjects revoke: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"jurisgate subjects revoke: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"revoked: {args.entry}" if done else f"no active suppression for {args.entry}")
    return EXIT_OK if done else EXIT_FAILED
