"""``jurisgate admissible``: exit codes, the JSON answer, ``--image``, bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from jurisgate.admin.cli import main
from jurisgate.middleware.config.gate_config import CONFIG_ENV

NOW = "2026-11-26T12:00:00Z"


@pytest.fixture(autouse=True)
def _no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def facts_file(tmp_path: Path, facts: object) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    return str(path)


def test_refused_exits_1_with_the_json_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = facts_file(tmp_path, {"gps": [41.5834, -87.5], "region": None})
    assert main(["admissible", "--facts", path, "--at", NOW, "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["admissible"] is False
    assert answer["rule"] == "il-photos-five-years"
    assert answer["citation"]["url"] == "https://www.aclu.org/cases/aclu-v-clearview-ai"
    assert answer["signals"] == ["gps:inside:US-IN", "gps:within_buffer:US-IL"]


def test_admissible_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, {"gps": [50.4501, 30.5234]})
    assert main(["admissible", "--facts", path, "--at", NOW]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "admissible"
    assert "signal: gps:outside_mapped_territories" in out


def test_a_config_is_read_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, {"gps": [50.4501, 30.5234]})
    config = tmp_path / "jurisgate.toml"
    config.write_text("[policy\n", encoding="utf-8")
    assert main(["admissible", "--config", str(config), "--facts", path]) == 2
    assert "jurisgate.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("facts", "error"),
    [
        ({"gps": [0, 181]}, "facts.gps: lon out of range"),
        (["not", "an", "object"], "must be a JSON object"),
        ({"colour": "red"}, "facts: unknown key 'colour'"),
    ],
)
def test_bad_facts_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], facts: object, error: str
) -> None:
    assert main(["admissible", "--facts", facts_file(tmp_path, facts), "--at", NOW]) == 2
    assert error in capsys.readouterr().err


def test_bad_at_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = facts_file(tmp_path, {})
    assert main(["admissible", "--facts", path, "--at", "soon"]) == 2
    assert "--at" in capsys.readouterr().err


def test_image_adds_its_gps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (48.0, 51.0, 23.76), 3: "E", 4: (2.0, 21.0, 7.92)}
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    photo = tmp_path / "paris.jpg"
    photo.write_bytes(out.getvalue())
    path = facts_file(tmp_path, {"source_url": "https://example.org/p/1"})
    assert main(["admissible", "--facts", path, "--image", str(photo), "--at", NOW, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["rule"] == "fr-cnil-2021"
    assert main(["admissible", "--facts", path, "--image", str(tmp_path), "--at", NOW]) == 2


def test_the_admin_guide_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/admin-guide.md, "The ingest check": the facts and the printed answer it shows."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "admin-guide.md").read_text("utf-8")
    section = guide.split("## The ingest check: `jurisgate admissible`", 1)[1]
    facts = section.split("<<'JSON'\n", 1)[1].split("JSON\n", 1)[0]
    shown = section.split("--at 2026-06-01T12:00:00Z\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "facts.json"
    path.write_text(facts, encoding="utf-8")
    assert main(["admissible", "--facts", str(path), "--at", "2026-06-01T12:00:00Z"]) == 1
    printed = capsys.readouterr().out.splitlines()
    expected = [line.removeprefix("# ") for line in shown.splitlines()]
    assert len(printed) == len(expected)
    for line, guide_line in zip(printed, expected, strict=True):
        if guide_line.endswith("...") or " ... " in guide_line:  # the guide shortens the citation
            assert line.startswith(guide_line.split(" ... ")[0])
        else:
            assert line == guide_line
