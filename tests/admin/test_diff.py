"""``jurisgate diff``: both versions decided on every cell, changes merged into readable lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jurisgate.admin.files import PolicyFiles, engine_for, policy_files_for
from jurisgate.admin.policy_diff import diff_engines
from jurisgate.admin.policy_space import Route, policy_space
from jurisgate.admin.truth_table import gate_answer
from jurisgate.middleware.clock import parse_instant
from jurisgate.policies import pack_file

from ..fixtures.admin_config import Run, WriteConfig

STATE_AND_LOCAL = ["state_agency", "state_law_enforcement", "local_agency", "local_law_enforcement"]
IL_AGENCIES_END = "2022-05-11, 2027-05-11T05:00:00Z"  # only il-agencies-five-years: after 3 '*'s


@pytest.fixture
def pack_policy() -> str:
    return Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")


def edited(text: str, tmp_path: Path, old: str, new: str) -> Path:
    assert old in text
    path = tmp_path / "new.csv"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def pack_path() -> str:
    return str(pack_file("policy.csv"))


def test_no_change_exits_0(run: Run) -> None:
    code, out, _ = run("diff", pack_path(), pack_path())
    assert code == 0
    assert out.splitlines()[-1] == "0 changes"


def test_removing_the_strict_reading_is_the_decree_text(
    run: Run, pack_policy: str, tmp_path: Path
) -> None:
    removed = "\n".join(
        line for line in pack_policy.splitlines() if "il-located-five-years" not in line
    )
    new = tmp_path / "no-il.csv"
    new.write_text(removed, encoding="utf-8")
    code, out, _ = run("diff", pack_path(), str(new))
    assert code == 1
    assert (
        "federal_agency, federal_law_enforcement of US in US-IL on GET /search: 451 -> 200 "
        "from 2022-05-11 until 2027-05-11T05:00:00Z "
        "(rule il-located-five-years removed; rule us-government-search decides now)"
    ) in out.splitlines()
    assert (
        "state_agency, state_law_enforcement, local_agency, local_law_enforcement of another US "
        "state in US-IL on GET /search: 451 -> 200 from 2022-05-11 until 2027-05-11T05:00:00Z "
        "(rule il-located-five-years removed; rule us-government-search decides now)"
    ) in out.splitlines()
    assert out.splitlines()[-1] == "6 changes"
    decree_text = str(pack_file("policy-decree-text.csv"))
    assert run("diff", str(new), decree_text)[0] == 0


def test_moving_the_end_date_as_json(run: Run, pack_policy: str, tmp_path: Path) -> None:
    new = edited(pack_policy, tmp_path, IL_AGENCIES_END, "2022-05-11, 2027-06-01T05:00:00Z")
    code, out, _ = run("diff", pack_path(), str(new), "--json")
    assert code == 1
    report = json.loads(out)
    search = [c for c in report["changes"] if c["routes"] == [{"method": "GET", "path": "/search"}]]
    travelling = next(
        c
        for c in search
        if c["location"] == "US (any other region)"
        and c["agency_region"] == "US-IL"
        and c["agency_type"] is None
        and c["capacity"] == "official"
    )
    assert travelling["entity_types"] == STATE_AND_LOCAL
    assert (travelling["old"], travelling["new"]) == (
        {"status": 200, "rule": "us-government-search"},
        {"status": 451, "rule": "il-agencies-five-years"},
    )
    assert (travelling["from"], travelling["until"]) == (
        "2027-05-11T05:00:00Z",
        "2027-06-01T05:00:00Z",
    )
    assert travelling["why"] == (
        "rule us-government-search no longer decides; rule il-agencies-five-years changed"
    )
    assert report["old"]["policy_version"] != report["new"]["policy_version"]
    table = report["truth_table"]
    isp_in_indiana = [
        row
        for row in table
        if (row["entity_type"], row["agency_region"], row["capacity"], row["location"])
        == ("state_law_enforcement", "US-IL", "official", "US (any other region)")
        and (row["method"], row["path"]) == ("GET", "/search")
    ]
    assert [
        (r["from"], r["until"], r["old"]["status"], r["new"]["status"]) for r in isp_in_indiana
    ] == [
        (None, "2022-05-11", 403, 403),
        ("2022-05-11", "2027-05-11T05:00:00Z", 451, 451),
        ("2027-05-11T05:00:00Z", "2027-06-01T05:00:00Z", 200, 451),
        ("2027-06-01T05:00:00Z", None, 200, 200),
    ]
    changed = [row for row in table if row["old"] != row["new"]]
    assert len(changed) == sum(len(c["routes"]) * len(c["entity_types"]) for c in report["changes"])


def test_at_and_between_limit_the_periods(run: Run, pack_policy: str, tmp_path: Path) -> None:
    new = edited(pack_policy, tmp_path, IL_AGENCIES_END, "2022-05-11, 2027-06-01T05:00:00Z")
    assert run("diff", pack_path(), str(new), "--at", "2026-11-26")[0] == 0
    code, out, _ = run("diff", pack_path(), str(new), "--at", "2027-05-20T00:00:00Z")
    assert code == 1
    assert "at 2027-05-20: " not in out
    assert ": 200 -> 451 at 2027-05-20 (" in out
    assert run("diff", pack_path(), str(new), "--between", "2022-01-01", "2027-05-11")[0] == 0
    code, out, _ = run("diff", pack_path(), str(new), "--between", "2027-05-01", "2030-01-01")
    assert code == 1
    assert "from 2027-05-11T05:00:00Z until 2027-06-01T05:00:00Z" in out
    code, _, err = run("diff", pack_path(), str(new), "--between", "2030-01-01", "2027-05-01")
    assert code == 2
    assert "B must be after A" in err


def test_new_rule_for_one_agency_changes_only_that_agency(
    run: Run, pack_policy: str, tmp_path: Path
) -> None:
    new = tmp_path / "ua.csv"
    new.write_text(
        pack_policy
        + "p, ua-police-search, allow, foreign_law_enforcement, UA, *, *, *, official, /search/*, "
        "GET, "
        '2026-12-01, , "Agreement 2026/17", https://example.org/agreement\n',
        encoding="utf-8",
    )
    code, out, _ = run("diff", pack_path(), str(new))
    assert code == 1
    lines = out.splitlines()[2:-1]
    assert lines == [
        f"foreign_law_enforcement{agency} in {where} on GET /search: 403 -> 200 from 2026-12-01 "
        "(rule ua-police-search added)"
        for agency in ("", " of another country")
        for where in ("UA (any region)", "UA (no region)")
    ]


def test_two_config_files(run: Run, write_config: WriteConfig, pack_policy: str) -> None:
    old = write_config(pack_policy)
    new = write_config(pack_policy.replace("/search/*, GET", "/search/*, GET|POST"))
    code, out, _ = run("diff", str(old), str(new))
    assert code == 1
    assert ": 403 -> 200 from 2022-05-11 (rule us-government-search changed)" in out
    assert "POST /search" in out


def test_gate_answer_matches_the_gate_order() -> None:
    engine = engine_for(policy_files_for(None))
    space = policy_space([engine.rules])
    at = parse_instant("2026-11-26")
    anonymous = next(c for c in space.clients if c.entity == "anonymous")
    il_police = next(
        c
        for c in space.clients
        if (c.entity, c.region, c.agency_region) == ("state_agency", "US-IL", "US-IL")
    )
    assert gate_answer(engine, anonymous, Route("GET", "/search"), at) == (401, None)
    assert gate_answer(engine, anonymous, Route("GET", "/health"), at) == (200, "public-health")
    # A public path answers 200 even to a client the policy would deny elsewhere.
    assert gate_answer(engine, il_police, Route("GET", "/health"), at) == (200, "public-health")
    assert gate_answer(engine, il_police, Route("GET", "/search"), at) == (
        451,
        "il-agencies-five-years",
    )


def test_every_us_region_is_in_exactly_one_client_class() -> None:
    engine = engine_for(policy_files_for(None))
    space = policy_space([engine.rules])
    us = [
        c
        for c in space.clients
        if (c.entity, c.country, c.agency_region, c.capacity)
        == ("state_agency", "US", "US-IL", "official")
    ]
    regions = [region for client in us for region in client.regions]
    assert len(regions) == len(set(regions)) > 50
    assert "US-IL" in regions


def test_diff_finds_a_change_in_an_unnamed_region(tmp_path: Path, pack_policy: str) -> None:
    old = engine_for(policy_files_for(None))
    new_file = edited(pack_policy, tmp_path, "US, US-IL, *", "US, US-IL|US-WI, *")
    base = policy_files_for(None)
    new = engine_for(PolicyFiles(base.model, new_file, base.model_origin, str(new_file)))
    changes = diff_engines(old, new)
    assert {change.client.label for change in changes} == {"US-WI"}
