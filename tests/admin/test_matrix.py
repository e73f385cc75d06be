"""``jurisgate matrix``: every US region and named place x every entity type, as HTML or PNG."""

from __future__ import annotations

import re
from pathlib import Path

from jurisgate.admin.files import engine_for, policy_files_for
from jurisgate.admin.matrix import Matrix, decision_matrix, render_html
from jurisgate.admin.policy_space import Route
from jurisgate.middleware.clock import parse_instant

from ..fixtures.admin_config import NOW, Run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def column(matrix: Matrix, who: str) -> int:
    """The index of the (possibly merged) column that stands for client class ``who``."""
    return next(i for i, labels in enumerate(matrix.columns) if who in labels)


def test_matrix_of_the_bundled_pack_today() -> None:
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant(NOW))
    assert len(matrix.locations) > 50
    assert matrix.locations[-1] == "any other country"
    rows = dict(zip(matrix.locations, matrix.cells, strict=True))

    def cell(where: str, who: str) -> tuple[int, str | None]:
        status, rule, _ = rows[where][column(matrix, who)]
        return status, rule

    # Who asks, for whom, in what capacity, is drawn next to where.
    assert cell("US-IN", "state_law_enforcement of US-IL") == (451, "il-agencies-five-years")
    assert cell("US-IN", "state_law_enforcement of another US state") == (
        200,
        "us-government-search",
    )
    assert cell("US-TX", "government_contractor for local_law_enforcement of US-IL") == (
        451,
        "il-agencies-five-years",
    )
    assert cell("US-VA", "government_contractor for federal_law_enforcement of US") == (
        200,
        "us-contractor-search",
    )
    assert cell("US-VA", "federal_law_enforcement of US (personal capacity)") == (
        451,
        "us-personal-capacity",
    )
    assert cell("US-IL", "federal_agency of US") == (451, "il-located-five-years")
    assert cell("US-PR", "local_law_enforcement of another US state") == (
        200,
        "us-government-search",
    )
    assert cell("US-PR", "private_company") == (451, "us-private-permanent")
    assert cell("US-NY", "foreign_government") == (403, None)
    assert {status for status, _, _ in rows["any other country"]} == {403, 451}
    # Every client class is in exactly one column, and a merged column is answered alike.
    every = [who for labels in matrix.columns for who in labels]
    assert len(every) == len(set(every))
    assert len(matrix.columns) < len(every)


def test_matrix_after_the_illinois_terms() -> None:
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant("2027-05-11T05:00:00Z"))
    rows = dict(zip(matrix.locations, matrix.cells, strict=True))
    assert rows["US-IL"] == rows["US-NY"]
    before = decision_matrix(engine, Route("GET", "/search"), parse_instant("2027-05-11T04:59:59Z"))
    assert dict(zip(before.locations, before.cells, strict=True))["US-IL"] != rows["US-IL"]


def test_html_shows_rule_and_citation_on_hover(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, printed, _ = run("matrix", "--at", NOW, "--out", str(out))
    assert (code, printed) == (0, f"wrote {out}\n")
    page = out.read_text(encoding="utf-8")
    (cell,) = re.findall(
        r'title="([^"]*state_law_enforcement of US-IL;[^"]* in US-IN:[^"]*)"', page
    )
    assert "451 blocked for legal reasons" in cell
    assert "rule: il-agencies-five-years" in cell
    assert "ACLU v. Clearview AI, Inc." in cell
    engine = engine_for(policy_files_for(None))
    matrix = decision_matrix(engine, Route("GET", "/search"), parse_instant(NOW))
    assert page.count("<tr><th>") == 1 + len(matrix.locations)  # the header, then one per place
    assert page.count("<th class=col") == len(matrix.columns)
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
    assert height > max(width, 600)  # portrait: one row per region


def test_other_extensions_are_refused(run: Run, tmp_path: Path) -> None:
    code, _, err = run("matrix", "--out", str(tmp_path / "report.svg"))
    assert code == 2
    assert ".html or .png" in err
