"""``jurisgate lint``: all findings of a file at once, each with file:line, exit 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

from jurisgate.admin.files import policy_files_for
from jurisgate.admin.lint import lint_files
from jurisgate.middleware.clock import parse_instant
from jurisgate.policies import pack_file

from ..fixtures.admin_config import NOW, POLICIES, Run, WriteConfig

# (line, code, rule) of every finding in policies/broken.csv, in file order.
BROKEN = [
    (4, "inverted_dates", "il-five-years"),
    (5, "unknown_entity_type", "gov"),
    (5, "invalid_country", "gov"),
    (5, "invalid_region", "gov"),
    (5, "bad_date", "gov"),
    (6, "missing_id", None),
    (6, "missing_citation", None),
    (7, "region_outside_country", "gov"),
    (7, "bad_path", "gov"),
    (7, "duplicate_id", "gov"),
    (8, "expired", "old-pilot"),
    (9, "never_decides", "tx-company-search"),
    (10, "bad_row", "too"),
    (11, "never_decides", "us-gov-search-copy"),
    (13, "bad_row", None),
]


def test_bundled_pack_is_clean(run: Run) -> None:
    code, out, _ = run("lint", "--at", NOW)
    assert (code, out) == (0, "0 findings\n")


def test_every_finding_of_a_broken_file_with_file_and_line(
    run: Run, write_config: WriteConfig
) -> None:
    policy = POLICIES / "broken.csv"
    config = write_config(policy)
    code, out, err = run("lint", "--config", str(config), "--at", NOW, "--json")
    assert (code, err) == (1, "")
    found = [(f["source"], f["code"], f["rule"]) for f in json.loads(out)]
    # ...and last, that the gate itself would not start with this policy.
    assert found == [(f"{policy}:{line}", c, rule) for line, c, rule in BROKEN] + [
        (str(config), "cannot_start", None)
    ]


def test_text_output_names_file_line_rule_and_why(run: Run, write_config: WriteConfig) -> None:
    policy = POLICIES / "broken.csv"
    code, out, _ = run("lint", "--config", str(write_config(policy)), "--at", NOW)
    lines = out.splitlines()
    assert code == 1
    assert lines[-1] == f"{len(BROKEN) + 1} findings"
    assert f"{policy}:9: never_decides: rule 'tx-company-search': " in out
    assert "shadowed by deny us-private-permanent" in lines[11]
    assert "covered by us-gov-search" in lines[13]
    assert f"{policy}:5: unknown_entity_type: rule 'gov': unknown entity type 'police'" in lines


def test_expiry_is_judged_at_the_given_instant(run: Run) -> None:
    code, out, _ = run("lint", "--at", "2027-05-11T05:00:00Z", "--json")
    assert code == 1
    findings = json.loads(out)
    lines = pack_file("policy.csv").read_text(encoding="utf-8").splitlines()
    five_years = {
        text.split(",")[1].strip(): n
        for n, text in enumerate(lines, start=1)
        if text.startswith(("p, il-", "p2, il-photos-"))
    }  # the three Illinois rules and the Illinois photos item rule, read from the file itself
    assert sorted((f["rule"], f["code"]) for f in findings) == sorted(
        (rule, "expired") for rule in five_years
    )
    for finding in findings:
        assert finding["source"].endswith(f"policy.csv:{five_years[finding['rule']]}")
    code, _, _ = run("lint", "--at", "2027-05-11T04:59:59Z")
    assert code == 0


def test_clean_custom_policy(run: Run, write_config: WriteConfig) -> None:
    code, out, _ = run("lint", "--config", str(write_config(POLICIES / "clean.csv")), "--at", NOW)
    assert (code, out) == (0, "0 findings\n")


def test_a_deny_that_starts_later_shadows_only_from_then(write_config: WriteConfig) -> None:
    text = (POLICIES / "clean.csv").read_text(encoding="utf-8") + (
        "p, all-search, deny, *, US, *, *, *, *, /search/*, *, 2030-01-01, , Order 7, https://example.org/7\n"
    )
    files = policy_files_for(str(write_config(text)))
    assert lint_files(files, now=parse_instant(NOW)) == []
    late = lint_files(files, now=parse_instant("2030-01-01"))
    assert [(f.rule, f.code) for f in late] == [("gov-search", "never_decides")]


def test_missing_citation_and_url_checks(write_config: WriteConfig) -> None:
    text = (
        "p, a, deny, individual, US, *, *, *, *, *, *, , , Order 1, \n"
        "p, b, deny, individual, US, *, *, *, *, *, *, , , , https://example.org\n"
        "p, c, deny, individual, US, *, *, *, *, *, *, , , Order 1, ftp://example.org\n"
    )
    files = policy_files_for(str(write_config(text)))
    found = [(f.source.rsplit(":", 1)[1], f.code) for f in lint_files(files, now=0.0)]
    assert ("1", "missing_citation") in found
    assert ("2", "missing_citation") in found
    assert ("3", "bad_url") in found


def test_unreadable_policy_stops_the_gate_and_is_a_finding(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "nope.csv")
    code, out, err = run("lint", "--config", str(config))
    assert (code, err) == (1, "")
    assert out.startswith(f"{config}: cannot_start: [policy] cannot read policy files")
    assert "nope.csv" in out


def test_unusable_model_stops_the_gate_and_is_a_finding(
    run: Run, write_config: WriteConfig
) -> None:
    config = write_config(POLICIES / "clean.csv")
    (config.parent / "model.conf").write_text("[request_definition]\nr = sub\n", encoding="utf-8")
    code, out, err = run("lint", "--config", str(config))
    assert (code, err) == (1, "")
    assert out.startswith(f"{config}: cannot_start: [policy] ")
    assert out.endswith("1 finding\n")


def test_bad_at_is_a_usage_error(run: Run) -> None:
    code, _, err = run("lint", "--at", "yesterday")
    assert code == 2
    assert "--at" in err


def test_rows_of_a_type_the_model_does_not_know(write_config: WriteConfig) -> None:
    text = (POLICIES / "clean.csv").read_text(encoding="utf-8") + "g, alice, admins\n"
    files = policy_files_for(str(write_config(text)))
    (finding,) = lint_files(files, now=parse_instant(NOW))
    assert (finding.source.rsplit(":", 1)[1], finding.code) == ("5", "bad_row")
    assert "'g' is not in the model" in finding.message


def test_a_model_the_gate_would_refuse_is_a_finding(run: Run, write_config: WriteConfig) -> None:
    config = write_config(POLICIES / "clean.csv")
    model = config.parent / "model.conf"
    text = model.read_text(encoding="utf-8")
    model.write_text(text.replace("&& !some(where (p.eft == deny))", ""), encoding="utf-8")
    code, out, err = run("lint", "--config", str(config))
    assert (code, err) == (1, "")
    assert f"{config}: cannot_start: [policy] " in out
    assert "policy_effect" in out
