"""``jurisgate test``: admins' cases decided as the gate would, one line each and a total."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from jurisgate.admin.files import engine_for, policy_files_for
from jurisgate.admin.policy_tests import load_cases, run_cases
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.errors import JurisgateError
from jurisgate.policies import pack_file

from ..fixtures.admin_config import Run, WriteConfig

CASES = Path(__file__).parent / "cases"


def bundled_cases() -> Path:
    return Path(str(pack_file("cases.yaml")))


def test_bundled_cases_pass(run: Run) -> None:
    code, out, err = run("test", str(bundled_cases()))
    lines = out.splitlines()
    assert (code, err) == (0, "")
    assert all(line.startswith("PASS  ") for line in lines[:-1])
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"


def test_bundled_cases_cover_every_rule_and_both_sides_of_every_boundary() -> None:
    engine = engine_for(policy_files_for(None))
    cases = load_cases(bundled_cases())
    outcomes = run_cases(engine, cases, now=parse_instant("2026-11-26"))
    assert {o.rule for o in outcomes} >= {rule.id for rule in engine.rules}
    instants = {case.at for case in cases if case.at is not None}
    for rule in engine.rules:
        for bound in (rule.start, rule.end):
            if math.isfinite(bound):
                assert bound in instants, f"{rule.id}: no case at {bound}"
                assert bound - 1 in instants, f"{rule.id}: no case just before {bound}"


def test_failures_say_what_was_expected_and_what_came(run: Run) -> None:
    code, out, _ = run("test", str(CASES / "mixed.yaml"))
    assert code == 1
    assert out.splitlines() == [
        "PASS  NYPD may search",
        "FAIL  wrong status: expected 200 (rule us-government-search), "
        "got 451 (rule il-agencies-five-years) "
        "(denied by rule il-agencies-five-years (deny overrides allow))",
        "FAIL  right status, wrong rule: expected 451 (rule il-agencies-five-years), "
        "got 451 (rule us-private-permanent) "
        "(denied by rule us-private-permanent (deny overrides allow))",
        "PASS  claims unusable",
        "2 passed, 2 failed",
    ]


def test_cases_run_against_the_configured_policy(run: Run, write_config: WriteConfig) -> None:
    # The same cases against a policy without the Illinois rule: the Illinois case now passes.
    policy = Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")
    without_il = "\n".join(line for line in policy.splitlines() if "p, il-" not in line)
    code, out, _ = run("test", str(CASES / "mixed.yaml"), "--config", str(write_config(without_il)))
    assert code == 1
    assert "PASS  wrong status" in out
    assert out.splitlines()[-1] == "3 passed, 1 failed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: []\n", "has no cases"),
        ("- name: x\n", "one key, 'cases'"),
        ("cases:\n  - {name: x, path: /search, expct: {status: 200}}\n", "unknown key 'expct'"),
        ("cases:\n  - {name: x, path: /search}\n", "expect is required"),
        ("cases:\n  - {name: x, path: /search, expect: {status: 404}}\n", "expect.status"),
        ("cases:\n  - {name: x, path: /s, expect: {status: 200, rules: a}}\n", "expect.rules"),
        ("cases:\n  - {name: x, path: /s, at: soon, expect: {status: 200}}\n", "at must be"),
        ("cases:\n  - {name: x, path: s, expect: {status: 200}}\n", "path must start"),
        ("cases:\n  - {name: x, path: /s, claims: [1], expect: {status: 200}}\n", "claims must"),
        ("cases: [\n", "not valid YAML"),
    ],
)
def test_invalid_case_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(JurisgateError, match=message):
        load_cases(file)


def test_invalid_case_file_exits_2(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text("cases:\n  - {name: typo, path: /s, expct: {}}\n", encoding="utf-8")
    code, out, err = run("test", str(file))
    assert (code, out) == (2, "")
    assert "cases[0]: unknown key 'expct'" in err
    code, _, err = run("test", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "cannot read" in err


def test_a_case_without_at_is_decided_now() -> None:
    engine = engine_for(policy_files_for(None))
    (case,) = [c for c in load_cases(CASES / "mixed.yaml") if c.at is None]
    before = run_cases(engine, [case], now=parse_instant("2022-05-10T00:00:00Z"))
    assert before[0].passed  # the claims are unusable whatever the instant
    il = load_cases(CASES / "mixed.yaml")[1]
    moved = dataclasses.replace(il, at=None)
    assert run_cases(engine, [moved], now=parse_instant("2027-05-11T05:00:00Z"))[0].passed
    assert not run_cases(engine, [moved], now=parse_instant("2027-05-11T04:59:59Z"))[0].passed
