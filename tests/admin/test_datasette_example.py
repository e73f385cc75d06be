"""examples/datasette: its cases pass, its policy lints clean, and the shape it warns against
(a deny carved out of an allow subtree) really lets Datasette's tilde spelling through."""

from __future__ import annotations

from pathlib import Path

from jurisgate.policies import pack_files

from ..fixtures.admin_config import Run, WriteConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasette"
CITE = '"Order 7", https://example.org/7'


def test_the_example_cases_pass(run: Run) -> None:
    config = str(EXAMPLE / "jurisgate.toml")
    code, out, err = run("test", str(EXAMPLE / "cases.yaml"), "--config", config)
    assert (code, err) == (0, ""), out
    assert out.endswith("12 passed, 0 failed\n")
    assert "PASS  nor is Datasette's tilde spelling of it (~73 is s)" in out


def test_the_example_policy_lints_clean(run: Run) -> None:
    code, out, _ = run("lint", "--config", str(EXAMPLE / "jurisgate.toml"))
    assert (code, out) == (0, "0 findings\n")


def test_the_example_model_is_the_bundled_one() -> None:
    model = (EXAMPLE / "model.conf").read_text(encoding="utf-8")
    assert model == pack_files()[0].read_text(encoding="utf-8")


def test_the_carved_shape_passes_the_tilde_spelling_and_lint_says_so(
    run: Run, write_config: WriteConfig
) -> None:
    carved = write_config(
        "p, faces-read, allow, federal_agency, US, *, *, *, *, /faces/*, GET, , , , \n"
        f"p, no-secrets, deny, *, US, *, *, *, *, /faces/secrets.json, GET, , , {CITE}\n"
    )
    code, out, _ = run("test", str(EXAMPLE / "cases.yaml"), "--config", str(carved))
    assert code == 1
    assert "FAIL  nor is Datasette's tilde spelling of it (~73 is s): expected 403" in out
    code, out, _ = run("lint", "--config", str(carved))
    assert code == 1
    assert ": carved_deny: rule 'no-secrets': denies /faces/secrets.json inside /faces/*" in out
