"""``jurisgate lint``: every problem of a policy file at once, each with its file and line.

Loading a policy (rules.py) stops at the first bad row, which is right for the gate; an admin
fixing a file wants the whole list. Lint checks each row field by field, then compiles the rows
that passed with the real engine and asks, cell by cell of the policy's input space, which rule
decides: a rule that decides nowhere is dead (shadowed by a deny, or covered by another rule).
A deny carved out of an allow subtree is reported too (lint_paths.py).

Over 250 lines: one check per rule field, each short, kept beside the others so that a new
field's checks are written where the old ones are.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any, Final

from jurisgate.middleware.claims.entity_types import ANONYMOUS, ENTITY_TYPES, GOVERNMENT_TYPES
from jurisgate.middleware.claims.regions import known_countries, subdivisions
from jurisgate.middleware.config.gate_config import PolicySettings
from jurisgate.middleware.decision.matchers import alternatives, instant
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.middleware.decision.rules import (
    AGENCY_FIELDS,
    CAPACITIES,
    RULE_FIELDS,
    agency_region_codes,
    parse_rule,
    row_values,
)
from jurisgate.middleware.decision.values import Rule
from jurisgate.middleware.errors import PolicyError
from jurisgate.middleware.results.item_rules import ITEM_PTYPE, ITEM_RULE_FIELDS, parse_item_row

from .files import (
    PolicyFiles,
    add_config_option,
    format_instant,
    instant_option,
    policy_files,
)
from .lint_coverage import Finding, dead_rules
from .lint_paths import carved_denies
from .lint_startup import startup_findings

__all__ = ["Finding", "lint_files", "lint_rows", "lint_store", "lint_text", "register"]

_RULE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_METHOD: Final = re.compile(r"[A-Z]{3,10}")


def register(commands: Any) -> None:
    """Add ``lint`` to the ``jurisgate`` command line."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "lint",
        help="check a policy: every problem, with file and line",
        description="Check the configured policy (or the bundled pack) and list every problem "
        "with its file and line, and everything in the config that would stop the gate at "
        "start-up (code cannot_start). Exit 0: no findings; 1: findings; 2: usage error or "
        "unreadable policy files.",
    )
    add_config_option(parser)
    parser.add_argument("--at", help="the instant 'already expired' is judged at (default: now)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import json

    now = instant_option(args.at)
    # What would stop the gate first (the gate's own loader), then the policy row by row.
    settings, stopping = startup_findings(args.config)
    findings: list[Finding] = []
    if settings is not None:
        try:
            if settings.store is not None:
                findings = lint_store(settings, now=now)
            else:
                findings = lint_files(policy_files(settings), now=now)
        except PolicyError:
            if not stopping:  # else the start-up findings already say why it cannot load
                raise
    findings += stopping
    if args.json:
        print(json.dumps([finding.as_dict() for finding in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
        print(f"{len(findings)} finding{'' if len(findings) == 1 else 's'}")
    return 1 if findings else 0


def lint_files(files: PolicyFiles, *, now: float) -> list[Finding]:
    """Lint the files; raises PolicyError (exit 2) only when they cannot be read at all."""
    try:
        model_text = files.model.read_text(encoding="utf-8")
        policy_text = files.policy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy files: {exc}") from exc
    return lint_text(model_text, policy_text, files.model_origin, files.policy_origin, now=now)


def lint_store(settings: PolicySettings, *, now: float) -> list[Finding]:
    """Lint the rows of the ``[policy] store`` against its model file (``origin#position``)."""
    from jurisgate.adapters.factory import open_store
    from jurisgate.middleware.config.store import load_from_store

    if settings.model is None:
        raise PolicyError("[policy] store needs a model file")
    with contextlib.closing(open_store(settings)) as store:
        source = load_from_store(settings.model, store)
    return lint_rows(
        source.model_text, source.rows, source.model_origin, source.policy_origin, now=now
    )


def lint_text(
    model_text: str, policy_text: str, model_origin: str, policy_origin: str, *, now: float
) -> list[Finding]:
    """All findings of a policy file, in file order. Raises PolicyError if the model is
    unusable."""
    from jurisgate.middleware.decision.policy_files import read_policy_csv

    items: list[PolicyRow | Finding] = []
    for number, line in enumerate(policy_text.splitlines(), start=1):
        where = f"{policy_origin}:{number}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            (parsed,) = read_policy_csv(stripped, policy_origin)
        except PolicyError as exc:
            items.append(Finding(where, None, "bad_row", str(exc).split(": ", 1)[-1]))
            continue
        items.append(PolicyRow(parsed.ptype, parsed.values, where))
    return lint_rows(model_text, items, model_origin, policy_origin, now=now)


def lint_rows(
    model_text: str,
    items: Iterable[PolicyRow | Finding],
    model_origin: str,
    policy_origin: str,
    *,
    now: float,
) -> list[Finding]:
    """All findings of rows already split (a Finding stands for a row that could not be)."""
    fields, ptypes = _model_fields(model_text, model_origin)
    findings: list[Finding] = []
    good: list[tuple[PolicyRow, Rule]] = []
    first_use: dict[str, str] = {}
    first_item_use: dict[str, str] = {}
    for row in items:
        if isinstance(row, Finding):
            findings.append(row)
            continue
        where = row.source
        if row.ptype == ITEM_PTYPE and row.ptype in ptypes:
            findings += _check_item_row(row, first_item_use, now)
            continue
        if row.ptype != "p":
            if row.ptype not in ptypes:
                message = f"policy type {row.ptype!r} is not in the model"
                findings.append(Finding(where, None, "bad_row", message))
            continue  # other policy types are the model's business, not rules
        if len(row.values) != len(fields):
            message = f"expected {len(fields)} fields after 'p', found {len(row.values)}"
            findings.append(Finding(where, row.values[0] or None, "bad_row", message))
            continue
        values = row_values(fields, row.values)
        row_findings = _check_row(values, where, now)
        rule_id = values["id"]
        if rule_id:
            if rule_id in first_use:
                message = f"id already used at {first_use[rule_id]}"
                row_findings.append(Finding(where, rule_id, "duplicate_id", message))
            else:
                first_use[rule_id] = where
        findings += row_findings
        if rule_id and first_use[rule_id] == where:
            # Advisory findings (expired, no citation) do not keep a rule from loading.
            with contextlib.suppress(PolicyError):
                good.append((row, parse_rule(values, where)))
    findings += dead_rules(model_text, good, model_origin, policy_origin, now)
    findings += carved_denies([rule for _, rule in good], now)
    return sorted(findings, key=lambda f: _line(f.source))


def _check_item_row(row: PolicyRow, first_use: dict[str, str], now: float) -> list[Finding]:
    """An item rule (p2): parsed as the result filter parses it; its id unique among item
    rules; an expired one said so."""
    rule_id = row.values[0] if row.values and row.values[0] else None
    try:
        rule = parse_item_row(row)
    except PolicyError as exc:
        return [Finding(row.source, rule_id, "bad_item_rule", str(exc).split(": ", 2)[-1])]
    if rule.id in first_use:
        message = f"item rule id already used at {first_use[rule.id]}"
        return [Finding(row.source, rule.id, "duplicate_id", message)]
    first_use[rule.id] = row.source
    if rule.end <= now:
        message = f"the period ended on {format_instant(rule.end)}: it removes nothing now"
        return [Finding(row.source, rule.id, "expired", message)]
    if rule.collected is not None and rule.collected[0] >= rule.end:
        # No entry collected in the window exists while the rule is in force.
        message = (
            f"the collection window starts on {format_instant(rule.collected[0])}, when the "
            f"rule has ended ({format_instant(rule.end)}): it can never remove an entry"
        )
        return [Finding(row.source, rule.id, "window_never_applies", message)]
    return []


def _model_fields(model_text: str, origin: str) -> tuple[list[str], set[str]]:
    """The model's ``p`` fields and every policy type it defines (``p``, ``g``, ...).

    A model the gate would refuse (request fields, effect, matcher) is a load error."""
    from jurisgate.middleware.decision.engine import PolicyEngine, _new_model
    from jurisgate.middleware.decision.policy_source import PolicySource

    PolicyEngine(PolicySource(model_text, (), origin, "(no rules)"))
    model = _new_model(model_text)
    fields = [token.removeprefix("p_") for token in model["p"]["p"].tokens]
    missing = [name for name in RULE_FIELDS if name not in fields and name not in AGENCY_FIELDS]
    if missing:
        raise PolicyError(f"{origin}: policy_definition lacks {', '.join(missing)}")
    ptypes = {ptype for section in ("p", "g") for ptype in model.model.get(section, {})}
    if ITEM_PTYPE in ptypes:
        item_fields = tuple(t.removeprefix(f"{ITEM_PTYPE}_") for t in model["p"][ITEM_PTYPE].tokens)
        # Without ``collected`` as before item rules had collection windows: rows may still
        # give one (the gate's matcher never reads p2 rows).
        if item_fields not in (ITEM_RULE_FIELDS, ITEM_RULE_FIELDS[:-1]):
            raise PolicyError(
                f"{origin}: item rules must be defined as "
                f"'{ITEM_PTYPE} = {', '.join(ITEM_RULE_FIELDS)}'"
            )
    return fields, ptypes


def _check_row(values: dict[str, str], where: str, now: float) -> list[Finding]:
    rule_id = values["id"] or None
    found: list[Finding] = []

    def add(code: str, message: str) -> None:
        found.append(Finding(where, rule_id, code, message))

    if rule_id is None:
        add("missing_id", "the rule has no id: decisions and audit records could not name it")
    elif not _RULE_ID.fullmatch(rule_id):
        add("bad_id", "an id is 1-64 letters, digits, '.', '_', ':' or '-'")
    effect = values["eft"]
    if effect not in ("allow", "deny"):
        add("bad_effect", f"effect must be 'allow' or 'deny', not {effect!r}")
    _check_set(values["entity"], ENTITY_TYPES | {ANONYMOUS}, "unknown_entity_type", add)
    _check_set(values["country"], known_countries(), "invalid_country", add)
    _check_set(values["region"], subdivisions().keys(), "invalid_region", add)
    _check_region_in_country(values["country"], values["region"], add)
    _check_set(values["agency_type"], GOVERNMENT_TYPES, "unknown_agency_type", add)
    _check_set(values["agency_region"], agency_region_codes(), "invalid_agency_region", add)
    _check_set(values["capacity"], CAPACITIES, "invalid_capacity", add)
    path = values["path"]
    if "|" in path:
        add("bad_path", f"'|' joins no paths: write one row per path: {path!r}")
    elif path != "*" and (not path.startswith("/") or "*" in path[:-1] or "//" in path):
        add("bad_path", f"a path is '*', an absolute path, or a subtree ending in '/*': {path!r}")
    elif path != "*" and path.endswith("*") and not path.endswith("/*"):
        add("bad_path", f"'*' only works as a whole last segment ('/search/*'): {path!r}")
    methods = values["method"]
    if methods != "*" and not all(_METHOD.fullmatch(m) for m in alternatives(methods)):
        add("bad_method", f"methods are '*' or upper-case names joined by '|': {methods!r}")

    start = _bound(values["start"], "start", -math.inf, add)
    end = _bound(values["end"], "end", math.inf, add)
    if start is not None and end is not None:
        if start >= end:
            add("inverted_dates", "the period ends before it starts: the rule is never in effect")
        elif end <= now:
            add("expired", f"the period ended on {format_instant(end)}: it decides nothing now")

    text, url = values["citation"], values["url"]
    if url and not url.startswith(("https://", "http://")):
        add("bad_url", f"the citation url must be http(s): {url!r}")
    if effect == "deny" and not text:
        add("missing_citation", "a deny rule must cite the law or order it enforces")
    elif text and not url:
        add("missing_citation", "the citation has no url")
    elif url and not text:
        add("missing_citation", "the citation url has no text")
    return found


def _check_set(
    pattern: str, known: Collection[str], code: str, add: Callable[[str, str], None]
) -> None:
    if pattern == "*":
        return
    unknown = sorted(value for value in alternatives(pattern) if value not in known)
    if unknown:
        what = code.split("_", 1)[1].replace("_", " ")
        add(code, f"unknown {what} {', '.join(map(repr, unknown))}")


def _check_region_in_country(country: str, region: str, add: Callable[[str, str], None]) -> None:
    if country == "*" or region == "*":
        return
    owner = subdivisions()
    countries = alternatives(country)
    outside = sorted(r for r in alternatives(region) if r in owner and owner[r] not in countries)
    if outside:
        add(
            "region_outside_country",
            f"region {', '.join(outside)} is not in {country}: that part never matches",
        )


def _bound(
    text: str, name: str, open_value: float, add: Callable[[str, str], None]
) -> float | None:
    try:
        return instant(text, open_value=open_value)
    except ValueError:
        add("bad_date", f"{name} is not an ISO 8601 date or date-time: {text!r}")
        return None


def _line(source: str) -> tuple[str, int]:
    """``file:12`` (files) or ``postgresql:table#12`` (store rows) -> (name, 12)."""
    name, _, number = source.rpartition("#" if "#" in source else ":")
    return (name, int(number)) if number.isdigit() else (source, 0)
