"""The ``jurisgate`` command as a whole: its help, a reader that stops early, missing options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jurisgate.admin.cli import main
from jurisgate.policies import pack_file

from ..fixtures.admin_config import Run

JURISGATE = Path(sys.executable).parent / "jurisgate"


def test_help_names_every_command_in_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n", 1)[1].split("options:", 1)[0]  # after the usage lines
    # The prose describes each command (it once named only explain, push and publish).
    for command in ("lint", "test", "diff", "matrix", "explain", "publish", "push", "mint"):
        assert command in description, command
    assert "opt-out registry (subjects)" in description
    assert "``" not in out  # reST markup is for docstrings, not for a terminal


@pytest.mark.parametrize(
    "command", [["explain"], ["policy", "push"], ["policy", "publish"], ["lint"], ["test"],
                ["diff"], ["matrix"], ["token", "mint"], ["subjects", "init"]],
)  # fmt: skip
def test_no_command_help_shows_markup(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    assert "``" not in capsys.readouterr().out


def test_a_closed_stdout_ends_quietly_with_the_sigpipe_exit_code() -> None:
    # `jurisgate diff --json | head`: the reader goes away after its first lines.
    strict, decree = pack_file("policy.csv"), pack_file("policy-decree-text.csv")
    with subprocess.Popen(
        [str(JURISGATE), "diff", str(strict), str(decree), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.read(100)
        process.stdout.close()
        errors = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert code == 141, errors
    assert errors == ""  # no BrokenPipeError traceback, no "Exception ignored" line


def test_mint_without_a_config_names_the_option(run: Run, tmp_path: Path) -> None:
    claims = tmp_path / "tx.json"
    claims.write_text('{"entity_type": "state_agency"}', encoding="utf-8")
    key = tmp_path / "key.pem"
    key.write_text("not used", encoding="utf-8")
    code, _, err = run("token", "mint", "--key", str(key), "--claims", str(claims))
    assert code == 2
    assert "--config FILE" in err
    assert "config=" not in err  # the gate's keyword, not an option of this command


def test_publish_without_a_config_names_the_option(run: Run) -> None:
    code, _, err = run("policy", "publish")
    assert code == 2
    assert "policy publish needs --config FILE" in err
