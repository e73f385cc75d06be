"""Reading policy files (jurisgate.adapters), the bundled packs, and PolicySource."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurisgate.adapters import load_policy_files, read_policy_csv
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicyRow, PolicySource
from jurisgate.middleware.errors import PolicyError
from jurisgate.policies import DEFAULT_PACK, pack_file, pack_files


def test_read_policy_csv_keeps_file_and_line() -> None:
    text = "# comment\n\n   \np, a, allow\n  # indented comment\ng, x, y\n"
    rows = read_policy_csv(text, "t.csv")
    assert rows == (
        PolicyRow("p", ("a", "allow"), "t.csv:4"),
        PolicyRow("g", ("x", "y"), "t.csv:6"),
    )


def test_quoted_fields_keep_commas_and_quotes() -> None:
    (row,) = read_policy_csv('p, a, "ACLU v. Clearview AI, Inc.", "say ""no""", \n', "t.csv")
    assert row.values == ("a", "ACLU v. Clearview AI, Inc.", 'say "no"', "")


def test_fields_are_stripped() -> None:
    (row,) = read_policy_csv("  p ,  a  ,b  ,  \n", "t.csv")
    assert row.values == ("a", "b", "")


def test_crlf_line_endings() -> None:
    rows = read_policy_csv("# c\r\np, a\r\np, b\r\n", "t.csv")
    assert [(row.values, row.source) for row in rows] == [(("a",), "t.csv:2"), (("b",), "t.csv:3")]


def test_unterminated_quote_names_line() -> None:
    with pytest.raises(PolicyError, match=r"^t\.csv:3: not valid CSV"):
        read_policy_csv('# c\np, a\np, "open\n', "t.csv")


@pytest.mark.parametrize("line", [", a, b", '"", a', " , a"])
def test_row_without_policy_type(line: str) -> None:
    with pytest.raises(PolicyError, match=r"^t\.csv:2: the row has no policy type"):
        read_policy_csv("# c\n" + line + "\n", "t.csv")


def test_load_policy_files_from_paths(tmp_path: Path, model_text: str) -> None:
    model = tmp_path / "model.conf"
    policy = tmp_path / "policy.csv"
    model.write_text(model_text, encoding="utf-8")
    policy.write_text(
        "# mine\np, a, allow, state_agency, US, *, *, *, *, *, *, , , , \n", encoding="utf-8"
    )
    source = load_policy_files(model, policy)
    assert source.model_text == model_text
    assert source.model_origin == str(model)
    assert source.policy_origin == str(policy)
    assert [row.source for row in source.rows] == [f"{policy}:2"]
    assert PolicyEngine(source).decide("state_agency", "US", "US-TX", "GET", "/", 0.0).allowed


def test_errors_from_a_policy_file_name_the_file(tmp_path: Path, model_text: str) -> None:
    model = tmp_path / "model.conf"
    policy = tmp_path / "policy.csv"
    model.write_text(model_text, encoding="utf-8")
    policy.write_text(
        "\n\np, a, allow, state_agency, USA, *, *, *, *, *, *, , , , \n", encoding="utf-8"
    )
    with pytest.raises(PolicyError) as info:
        PolicyEngine(load_policy_files(model, policy))
    assert str(info.value).startswith(f"{policy}:3: rule 'a'")


def test_missing_file(tmp_path: Path) -> None:
    model, policy = pack_files()
    with pytest.raises(PolicyError, match="cannot read policy files"):
        load_policy_files(model, tmp_path / "absent.csv")
    with pytest.raises(PolicyError, match="cannot read policy files"):
        load_policy_files(tmp_path / "absent.conf", policy)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_bytes(b"p, caf\xe9\n")
    with pytest.raises(PolicyError, match="cannot read policy files"):
        load_policy_files(pack_files()[0], policy)


def test_bundled_pack_is_readable() -> None:
    assert DEFAULT_PACK == "clearview_settlement"
    model, policy = pack_files()
    assert model.name == "model.conf"
    assert policy.name == "policy.csv"
    assert "[request_definition]" in model.read_text(encoding="utf-8")
    assert "il-agencies-five-years" in policy.read_text(encoding="utf-8")
    assert pack_file("policy.csv").read_text(encoding="utf-8") == policy.read_text(encoding="utf-8")


def test_bundled_pack_loads(pack_source: PolicySource) -> None:
    assert pack_source.policy_origin.endswith("policy.csv")
    ids = [row.values[0] for row in pack_source.rows if row.ptype == "p"]
    assert ids == [
        "us-private-permanent",
        "us-personal-capacity",
        "il-agencies-five-years",
        "il-private-five-years",
        "il-located-five-years",
        "us-government-search",
        "us-contractor-search",
        "public-health",
        "public-opt-out",
        "public-opt-out-pages",
    ]
    # The legal citations contain commas; the reader must keep them in one field.
    citations = [row.values[-2] for row in pack_source.rows if row.values[-2]]
    assert any("Clearview AI, Inc." in text for text in citations)


@pytest.mark.parametrize("pack", ["../middleware", "clearview_settlement/..", "a.b", "", "1x"])
def test_pack_name_must_be_an_identifier(pack: str) -> None:
    with pytest.raises(ValueError, match="pack must be a package name"):
        pack_file("policy.csv", pack)
    with pytest.raises(ValueError, match="pack must be a package name"):
        pack_files(pack)


def test_policy_source_is_frozen(pack_source: PolicySource) -> None:
    assert isinstance(pack_source.rows, tuple)
    with pytest.raises(AttributeError):
        pack_source.model_text = ""  # type: ignore[misc]


def test_version_ignores_origins_and_surrounding_whitespace(model_text: str) -> None:
    rows = (PolicyRow("p", ("a", "b"), "x:1"),)
    moved = (PolicyRow("p", ("a", "b"), "y:9"),)
    one = PolicySource(model_text, rows, "m1", "p1")
    two = PolicySource("\n" + model_text + "\n\n", moved, "m2", "p2")
    assert one.version == two.version


def test_version_depends_on_row_order_and_type(model_text: str) -> None:
    a = PolicyRow("p", ("a",), "x:1")
    b = PolicyRow("p", ("b",), "x:2")
    versions = {
        PolicySource(model_text, rows, "m", "p").version
        for rows in [(a, b), (b, a), (a,), (), (PolicyRow("g", ("a",), "x:1"),)]
    }
    assert len(versions) == 5


def test_the_decree_text_reading_is_the_strict_one_without_its_strict_rule() -> None:
    """The two bundled readings differ in one rule only, so they cannot drift apart."""
    strict = load_policy_files(*pack_files())
    decree = load_policy_files(*pack_files(reading="decree_text"))
    assert decree.policy_origin.endswith("policy-decree-text.csv")
    rows = [row.values for row in strict.rows if row.values[0] != "il-located-five-years"]
    assert [row.values for row in decree.rows] == rows
    assert len(rows) == len(strict.rows) - 1


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="strict, decree_text"):
        pack_files(reading="lenient")
