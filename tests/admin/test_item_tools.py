"""The admin tools on item rules: explain --item, item cases in jurisgate test, lint of p2
rows, diff of item rules, matrix --items."""

from __future__ import annotations

import json
from pathlib import Path

from jurisgate.policies import pack_file

from ..fixtures.admin_config import Run, WriteConfig

ILLINOIS = {"id": "face-0004", "name": "x", "source_region": "US-IL"}
CITE = '"an order", https://example.org/order'


def item_file(tmp_path: Path, item: object) -> str:
    path = tmp_path / "item.json"
    path.write_text(json.dumps(item), encoding="utf-8")
    return str(path)


def test_explain_item_answers_the_issues_contract(run: Run, tmp_path: Path) -> None:
    item = item_file(tmp_path, ILLINOIS)
    code, out, _ = run("explain", "--item", item, "--at", "2027-05-11T04:59:59Z", "--json")
    answer = json.loads(out)
    assert code == 0
    assert answer["suppressed"] is True
    assert answer["rule"] == "il-photos-five-years"
    assert answer["citation"]["url"] == "https://www.aclu.org/cases/aclu-v-clearview-ai"
    code, out, _ = run("explain", "--item", item, "--at", "2027-05-11T05:00:00Z", "--json")
    assert json.loads(out)["suppressed"] is False
    assert json.loads(out)["rule"] is None
    assert json.loads(out)["citation"] is None
    code, out, _ = run("explain", "--item", item, "--at", "2030-01-01", "--suppressed")
    assert "SUPPRESSED by il-opt-out" in out


def test_explain_item_reads_the_fields_of_the_configs_results_table(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(
        pack_file("policy.csv"),
        extra='[[results]]\npath = "/faces"\nitems = "hits"\nregion = "place"\n',
    )
    item = item_file(tmp_path, {"id": "a", "place": "FR-75C"})
    code, out, _ = run("explain", "--item", item, "--config", str(config), "--json")
    assert code == 0
    assert json.loads(out)["rule"] == "fr-cnil-2021"


def test_explain_item_route_picks_the_table_the_filter_applies(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    """Overlapping subtrees: the filter takes the longest prefix, whatever the file's order;
    ``--route`` must read that table's fields, not the first that covers the path."""
    config = write_config(
        pack_file("policy.csv"),
        extra='[[results]]\npath = "/faces/*"\nitems = "hits"\nregion = "nowhere"\n'
        '[[results]]\npath = "/faces/eu/*"\nitems = "hits"\nregion = "place"\n',
    )
    item = item_file(tmp_path, {"id": "a", "place": "FR-75C"})
    args = ("explain", "--item", item, "--config", str(config), "--route", "/faces/eu/1")
    code, out, _ = run(*args, "--json")
    assert code == 0
    assert json.loads(out)["rule"] == "fr-cnil-2021"


def test_item_cases_pass_and_fail(run: Run, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: right\n"
        "    item: {id: a, source_region: US-IL}\n"
        '    at: "2026-01-01"\n'
        "    expect: {suppressed: true, rule: il-photos-five-years}\n"
        "  - name: wrong on purpose\n"
        "    item: {id: a, source_region: US-TX}\n"
        '    at: "2026-01-01"\n'
        "    expect: {suppressed: true}\n",
        encoding="utf-8",
    )
    code, out, _ = run("test", str(cases))
    assert code == 1
    assert "PASS  right" in out
    assert "FAIL  wrong on purpose: expected suppressed, got shown (no rule)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {name: x, item: {id: a}, claims: {}, expect: {suppressed: true}}\n")
    code, _, err = run("test", str(bad))
    assert code == 2
    assert "unknown key 'claims'" in err


def test_the_bundled_packs_own_item_cases_pass(run: Run) -> None:
    for pack in ("clearview_settlement", "foreign_orders"):
        code, out, _ = run("test", str(pack_file("cases.yaml", pack)))
        assert code == 0, out


def test_lint_reports_bad_and_repeated_item_rules(run: Run, write_config: WriteConfig) -> None:
    base = pack_file("policy.csv").read_text(encoding="utf-8")
    config = write_config(
        base
        + f"p2, odd, suppress, collected_in, XX-99, , , refuse, s, {CITE}\n"
        + f"p2, il-opt-out, suppress, opted_out, *, , , refuse, s, {CITE}\n"
        + f"p2, gone, suppress, collected_in, FR, 2020-01-01, 2021-01-01, refuse, s, {CITE}\n"
    )
    code, out, _ = run("lint", "--config", str(config))
    assert code == 1
    assert "bad_item_rule: rule 'odd': where must name ISO" in out
    assert "duplicate_id: rule 'il-opt-out': item rule id already used" in out
    assert "expired: rule 'gone'" in out


def test_diff_lists_item_rule_changes(run: Run, tmp_path: Path) -> None:
    old = pack_file("policy.csv").read_text(encoding="utf-8")
    new = tmp_path / "new.csv"
    new.write_text(old.replace("2027-05-11T05:00:00Z, refuse", "2028-05-11T05:00:00Z, refuse"))
    old_file = tmp_path / "old.csv"
    old_file.write_text(old)
    code, out, _ = run("diff", str(old_file), str(new), "--json")
    changes = json.loads(out)["item_changes"]
    assert code == 1
    assert {
        "place": "US-IL",
        "old_rule": None,
        "new_rule": "il-photos-five-years",
        "start": "2027-05-11T05:00:00Z",
        "end": "2028-05-11T05:00:00Z",
    } in changes
    code, out, _ = run("diff", str(old_file), str(old_file))
    assert code == 0
    assert "0 changes" in out


def test_matrix_items_draws_places_by_periods(run: Run, tmp_path: Path) -> None:
    out_file = tmp_path / "items.html"
    code, _, _ = run("matrix", "--items", "--out", str(out_file))
    page = out_file.read_text(encoding="utf-8")
    assert code == 0
    assert "<th>US-IL</th>" in page
    assert "<th>(opted out)</th>" in page
    assert "il-photos-five-years" in page
    assert "nl-ap-2024" in page


WINDOWED = (
    "p2, il-collected-during-ban, suppress, collected_in, US-IL, 2022-05-11, , refuse, s, "
    f"{CITE}, 2022-05-11..2027-05-11T05:00:00Z\n"
)
RESULTS_TAKEN = '[[results]]\npath = "/faces"\nitems = "hits"\ncollected_at = "taken"\n'


def windowed_config(write_config: WriteConfig, tmp_path: Path) -> Path:
    (tmp_path / "mine.csv").write_text(WINDOWED, encoding="utf-8")
    return write_config(
        pack_file("policy.csv"),
        extra=RESULTS_TAKEN + f'[items]\npacks = []\nfiles = ["{tmp_path / "mine.csv"}"]\n',
    )


def test_explain_item_reads_the_configured_collected_at(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = str(windowed_config(write_config, tmp_path))
    inside = item_file(tmp_path, {"id": "a", "source_region": "US-IL", "taken": 1700000000})
    code, out, _ = run(
        "explain", "--item", inside, "--config", config, "--at", "2030-01-01", "--json"
    )
    answer = json.loads(out)
    assert code == 0
    assert answer["rule"] == "il-collected-during-ban"
    assert answer["collected_at"] == "2023-11-14T22:13:20Z"
    before = tmp_path / "before.json"
    before.write_text(
        json.dumps({"id": "a", "source_region": "US-IL", "taken": "2021-01-01T00:00:00Z"})
    )
    code, out, _ = run("explain", "--item", str(before), "--config", config, "--at", "2030-01-01")
    assert "no item rule suppresses it" in out
    assert "collected at 2021-01-01\n" in out
    naive = item_file(
        tmp_path, {"id": "a", "source_region": "US-IL", "taken": "2023-01-01T00:00:00"}
    )
    code, out, _ = run(
        "explain", "--item", naive, "--config", config, "--at", "2030-01-01", "--json"
    )
    answer = json.loads(out)
    assert (answer["rule"], answer["unknown_provenance"], answer["collected_at"]) == (
        "il-collected-during-ban",
        True,
        None,
    )


def test_item_cases_give_the_collection_instant(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = windowed_config(write_config, tmp_path)
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: in the window, by the case\n"
        "    item: {id: a, source_region: US-IL}\n"
        "    collected_at: 2027-05-11T04:59:59Z\n"
        '    at: "2030-01-01"\n'
        "    expect: {suppressed: true, rule: il-collected-during-ban}\n"
        "  - name: after the window, by the case\n"
        "    item: {id: a, source_region: US-IL}\n"
        '    collected_at: "2027-05-11T05:00:00Z"\n'
        '    at: "2030-01-01"\n'
        "    expect: {suppressed: false, rule: null}\n"
        "  - name: before the window, in the entry's own field\n"
        '    item: {id: a, source_region: US-IL, taken: "2022-05-10T23:59:59Z"}\n'
        '    at: "2030-01-01"\n'
        "    expect: {suppressed: false}\n"
        "  - name: untold\n"
        "    item: {id: a, source_region: US-IL}\n"
        '    at: "2030-01-01"\n'
        "    expect: {suppressed: true, rule: il-collected-during-ban}\n",
        encoding="utf-8",
    )
    code, out, _ = run("test", str(cases), "--config", str(config))
    assert code == 0, out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n  - {name: x, item: {id: a}, collected_at: soon, expect: {suppressed: true}}\n"
    )
    code, _, err = run("test", str(bad), "--config", str(config))
    assert code == 2
    assert "collected_at must be" in err


def test_lint_reads_windows_and_flags_one_that_can_never_apply(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    base = pack_file("policy.csv").read_text(encoding="utf-8")
    config = write_config(
        base
        + WINDOWED
        + f"p2, late, suppress, collected_in, FR, 2022-01-01, 2030-01-01, refuse, s, {CITE}, "
        + "2030-01-01..\n"
        + f"p2, odd-window, suppress, collected_in, FR, , , refuse, s, {CITE}, 2023..2022\n"
    )
    code, out, _ = run("lint", "--config", str(config))
    assert code == 1
    assert "il-collected-during-ban" not in out
    assert "window_never_applies: rule 'late'" in out
    assert "bad_item_rule: rule 'odd-window'" in out


def test_lint_accepts_a_model_that_defines_item_rules_with_ten_fields(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(pack_file("policy.csv"))
    model = tmp_path / "model.conf"
    text = model.read_text(encoding="utf-8")
    model.write_text(text.replace("citation, url, collected\n", "citation, url\n"))
    assert "citation, url\n" in model.read_text(encoding="utf-8")
    code, out, _ = run("lint", "--config", str(config))
    assert code == 0, out


def test_diff_and_matrix_show_the_collection_window(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    old = pack_file("policy.csv").read_text(encoding="utf-8")
    old_file, new_file = tmp_path / "old.csv", tmp_path / "new.csv"
    old_file.write_text(old)
    new_file.write_text(old + WINDOWED)
    code, out, _ = run("diff", str(old_file), str(new_file))
    assert code == 1
    assert (
        "entries from US-IL collected from 2022-05-11 until 2027-05-11T05:00:00Z: "
        "shown -> removed (il-collected-during-ban) from 2027-05-11T05:00:00Z until forever"
    ) in out
    code, out, _ = run("diff", str(old_file), str(new_file), "--json")
    changes = json.loads(out)["item_changes"]
    assert {
        "place": "US-IL",
        "collected": {"from": "2022-05-11", "until": "2027-05-11T05:00:00Z"},
        "old_rule": None,
        "new_rule": "il-collected-during-ban",
        "start": "2027-05-11T05:00:00Z",
        "end": None,
    } in changes
    assert not any(c.get("collected") == {"from": None, "until": "2022-05-11"} for c in changes)
    config = write_config(new_file)
    out_file = tmp_path / "items.html"
    code, _, _ = run("matrix", "--items", "--out", str(out_file), "--config", str(config))
    page = out_file.read_text(encoding="utf-8")
    assert code == 0
    assert "<th>US-IL collected from 2022-05-11 until 2027-05-11T05:00:00Z</th>" in page
    assert "<th>US-IL with no collection time</th>" in page


def test_lint_says_when_a_results_table_cannot_tell_a_window_when_entries_were_collected(
    run: Run, write_config: WriteConfig, tmp_path: Path
) -> None:
    (tmp_path / "mine.csv").write_text(WINDOWED, encoding="utf-8")
    items = f'[items]\nfiles = ["{tmp_path / "mine.csv"}"]\n'
    untold = write_config(
        pack_file("policy.csv"),
        extra='[[results]]\npath = "/faces"\nitems = "hits"\n' + items,
    )
    code, out, _ = run("lint", "--config", str(untold))
    assert code == 1
    assert (
        "no_collected_at: rule 'il-collected-during-ban': [[results]] /faces names no "
        "collected_at" in out
    )
    told = write_config(pack_file("policy.csv"), extra=RESULTS_TAKEN + items)
    code, out, _ = run("lint", "--config", str(told))
    assert (code, out) == (0, "0 findings\n")
