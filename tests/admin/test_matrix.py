"""``jurisgate matrix``: every US region and named place x every entity type, as HTML or PNG."""

from __future__ import annotations

import re
from pathlib import Path

from jurisgate.admin.files import engine_for, policy_files_for
from jurisgate.admin.matrix import decision_matrix, render_html
from jurisgate.admin.policy_space import Route
from jurisgate.middleware.clock import parse_instant

from ..fixtures.admin_config import NOW, Run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_matrix_of_the_bundled_pack_today() -> None:
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant(NOW))
    assert len(matrix.locations) > 50
    assert matrix.locations[-1] == "any other country"
    rows = dict(zip(matrix.locations, matrix.cells, strict=True))
    columns = {entity: i for i, entity in enumerate(matrix.entities)}
    assert [cell[:2] for cell in rows["US-IL"]] == [
        (
            451,
            "us-private-permanent"
            if entity in ("private_company", "individual")
            else "il-five-years",
        )
        for entity in matrix.entities
    ]
    assert rows["US-NY"][columns["state_agency"]][:2] == (200, "us-government-search")
    assert rows["US-NY"][columns["individual"]][:2] == (451, "us-private-permanent")
    assert rows["US-NY"][columns["foreign_government"]][:2] == (403, None)
    assert {cell[0] for cell in rows["any other country"]} == {403}


def test_matrix_after_the_illinois_terms() -> None:
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant("2027-05-11"))
    rows = dict(zip(matrix.locations, matrix.cells, strict=True))
    assert rows["US-IL"] == rows["US-NY"]


def test_html_shows_rule_and_citation_on_hover(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, printed, _ = run("matrix", "--at", NOW, "--out", str(out))
    assert (code, printed) == (0, f"wrote {out}\n")
    page = out.read_text(encoding="utf-8")
    (cell,) = re.findall(r'title="(state_law_enforcement in US-IL:[^"]*)"', page)
    assert "451 blocked for legal reasons" in cell
    assert "rule: il-five-years" in cell
    assert "ACLU v. Clearview AI, Inc." in cell
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant(NOW))
    assert page.count("<tr><th>") == 1 + len(matrix.locations)  # the header, then one per place
    assert "<script" not in page


def test_html_escapes_what_the_policy_says() -> None:
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/<b>"), parse_instant(NOW))
    page = render_html(matrix)
    assert "/<b>" not in page
    assert "/&lt;b&gt;" in page


def test_png_is_written(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.png"
    code, _, _ = run(
        "matrix", "--at", NOW, "--path", "/opt-out", "--method", "post", "--out", str(out)
    )
    assert code == 0
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert height > width > 600  # portrait: one row per region


def test_other_extensions_are_refused(run: Run, tmp_path: Path) -> None:
    code, _, err = run("matrix", "--out", str(tmp_path / "report.svg"))
    assert code == 2
    assert ".html or .png" in err
