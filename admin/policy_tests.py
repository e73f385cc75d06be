"""``jurisgate test CASES.yaml``: policy test cases written by admins, decided as the gate would.

A case names a client (its claims, as the identity provider would send them), a request and
an instant, and the answer it expects::

    cases:
      - name: FBI Chicago field office is blocked while the Illinois terms run
        claims: {entity_type: federal_law_enforcement, country: US, region: US-IL}
        path: /search
        method: GET                      # optional; defaults to GET
        at: "2027-05-10T12:00:00Z"       # optional; defaults to now
        expect: {status: 451, rule: il-located-five-years}   # rule optional (null: none)

A case without ``claims`` is a request without a token. A case may name the ``issuer`` of its
claims (an ``[[issuers]]`` entry of the config): they are then read through that issuer's
``claims`` mapping and limited by its authority, as the gate reads its tokens. Unknown keys are
refused: a misspelt ``expct`` silently ignored would be a test that cannot fail.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from jurisgate.middleware.claims.authority import IssuerAuthority
from jurisgate.middleware.claims.mapping import ClaimMapping
from jurisgate.middleware.clock import SystemClock, parse_instant
from jurisgate.middleware.config.gate_config import CONFIG_ENV, load_config
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.offline import decide_claims

from .files import add_config_option, engine_for_config, issuer_tables

__all__ = ["Outcome", "PolicyCase", "decide_case", "load_cases", "register", "run_cases"]

_CASE_KEYS: Final = frozenset({"name", "claims", "issuer", "path", "method", "at", "expect"})
_NO_ISSUER: Final = "(test case)"
_EXPECT_KEYS: Final = frozenset({"status", "rule"})
_UNSET: Final = object()


@dataclass(frozen=True, slots=True)
class PolicyCase:
    name: str
    claims: Mapping[str, object] | None
    method: str
    path: str
    at: float | None
    status: int
    rule: object  # a rule id, None for "no rule", or _UNSET when the case does not say
    issuer: str = _NO_ISSUER  # whose mapping and authority read the claims


@dataclass(frozen=True, slots=True)
class Outcome:
    case: PolicyCase
    status: int
    rule: str | None
    why: str

    @property
    def passed(self) -> bool:
        return self.status == self.case.status and self.case.rule in (_UNSET, self.rule)

    def __str__(self) -> str:
        if self.passed:
            return f"PASS  {self.case.name}"
        expected = _answer(self.case.status, self.case.rule)
        return (
            f"FAIL  {self.case.name}: expected {expected}, "
            f"got {_answer(self.status, self.rule)} ({self.why})"
        )


def register(commands: Any) -> None:
    """Add ``test`` to the ``jurisgate`` command line."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "test",
        help="run policy test cases (YAML) against the policy",
        description="Decide every case of CASES.yaml with the configured policy (or the bundled "
        "pack) and compare with what it expects. Exit 0: all passed; 1: failures; 2: the "
        "cases or the policy cannot be loaded.",
    )
    parser.add_argument("cases", metavar="CASES.yaml", help="the test cases")
    add_config_option(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    cases = load_cases(Path(args.cases))
    engine = engine_for_config(args.config)
    authorities, mappings = issuer_tables(args.config)
    known = {i.issuer for i in load_config(args.config).issuers} if _has_config(args) else set()
    for case in cases:
        if case.issuer != _NO_ISSUER and case.issuer not in known:
            raise JurisgateError(f"{args.cases}: case {case.name!r}: issuer {case.issuer!r} is "
                                 "not an [[issuers]] entry of the config")  # fmt: skip
    outcomes = run_cases(
        engine, cases, now=SystemClock().now(), authorities=authorities, mappings=mappings
    )
    for outcome in outcomes:
        print(outcome)
    failed = sum(not outcome.passed for outcome in outcomes)
    print(f"{len(outcomes) - failed} passed, {failed} failed")
    return 1 if failed else 0


def run_cases(
    engine: PolicyEngine,
    cases: list[PolicyCase],
    *,
    now: float,
    authorities: Mapping[str, IssuerAuthority] | None = None,
    mappings: Mapping[str, ClaimMapping] | None = None,
) -> list[Outcome]:
    """Decide every case; ``now`` is the instant of cases that give none. ``authorities`` and
    ``mappings`` (by issuer) apply to the cases that name their issuer."""
    outcomes = []
    for case in cases:
        at = case.at if case.at is not None else now
        answer = decide_claims(engine, case.claims, case.method, case.path, at,
                               issuer=case.issuer, subject="(test case)",
                               authorities=authorities, mappings=mappings)  # fmt: skip
        outcomes.append(Outcome(case, answer.status, answer.rule, answer.reason))
    return outcomes


def decide_case(
    engine: PolicyEngine,
    claims: Mapping[str, object] | None,
    method: str,
    path: str,
    at: float,
) -> tuple[int, str | None, str]:
    """(status, rule, why) as the gate would answer: public path, then token, then claims."""
    answer = decide_claims(engine, claims, method, path, at, issuer="(test case)",
                           subject="(test case)")  # fmt: skip
    return answer.status, answer.rule, answer.reason


def load_cases(file: Path) -> list[PolicyCase]:
    """Read and validate a cases file; raises JurisgateError (exit 2) naming file and case."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JurisgateError(f"{file}: cannot read ({exc.strerror})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise JurisgateError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or set(data) != {"cases"} or not isinstance(data["cases"], list):
        raise JurisgateError(f"{file}: must be a mapping with one key, 'cases', holding a list")
    if not data["cases"]:
        raise JurisgateError(f"{file}: has no cases")
    return [_case(item, f"{file}: cases[{index}]") for index, item in enumerate(data["cases"])]


def _case(item: object, where: str) -> PolicyCase:
    if not isinstance(item, dict):
        raise JurisgateError(f"{where} must be a mapping")
    unknown = sorted(set(item) - _CASE_KEYS)
    if unknown:
        raise JurisgateError(f"{where}: unknown key {unknown[0]!r}")
    for key in ("name", "path", "expect"):
        if key not in item:
            raise JurisgateError(f"{where}: {key} is required")
    name, path, method = item["name"], item["path"], item.get("method", "GET")
    if not isinstance(name, str) or not name:
        raise JurisgateError(f"{where}: name must be a non-empty string")
    where = f"{where} ({name})"
    if not isinstance(path, str) or not path.startswith("/"):
        raise JurisgateError(f"{where}: path must start with '/'")
    if not isinstance(method, str) or not method.isalpha():
        raise JurisgateError(f"{where}: method must be an HTTP method such as GET")
    claims = item.get("claims")
    if claims is not None and not isinstance(claims, dict):
        raise JurisgateError(f"{where}: claims must be a mapping")
    issuer = item.get("issuer", _NO_ISSUER)
    if not isinstance(issuer, str) or not issuer or (issuer != _NO_ISSUER and claims is None):
        raise JurisgateError(f"{where}: issuer must be a non-empty string, with claims")
    expect = item["expect"]
    if not isinstance(expect, dict) or "status" not in expect:
        raise JurisgateError(f"{where}: expect must be a mapping with a status")
    unknown = sorted(set(expect) - _EXPECT_KEYS)
    if unknown:
        raise JurisgateError(f"{where}: unknown key expect.{unknown[0]}")
    status = expect["status"]
    if isinstance(status, bool) or status not in (200, 400, 401, 403, 451):
        raise JurisgateError(f"{where}: expect.status must be 200, 400, 401, 403 or 451")
    rule = expect.get("rule", _UNSET)
    if rule is not _UNSET and rule is not None and not isinstance(rule, str):
        raise JurisgateError(f"{where}: expect.rule must be a rule id or null")
    at = _at(item.get("at"), where)
    return PolicyCase(name, claims, method.upper(), path, at, status, rule, issuer)


def _has_config(args: argparse.Namespace) -> bool:
    return args.config is not None or bool(os.environ.get(CONFIG_ENV))


def _at(value: object, where: str) -> float | None:
    # YAML reads an unquoted 2027-05-10T12:00:00Z as a datetime and 2027-05-10 as a date.
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError:
            pass
    raise JurisgateError(f"{where}: at must be an ISO 8601 date or date-time")


def _answer(status: int, rule: object) -> str:
    if rule is _UNSET:
        return str(status)
    return f"{status} (rule {rule})" if rule is not None else f"{status} (no rule)"
