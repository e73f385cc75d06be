"""Every ``jurisgate`` command shown in README.md and docs/admin-guide.md runs, and prints what the
docs say it prints.

The commands are the lines starting with ``jurisgate`` in fenced ``bash`` blocks (``\\``
continuations joined, ``# comments`` dropped, each ``[--option]`` tried without and with it).
A command's documented output is the first untagged fenced block after its bash block, within the
same section; it belongs to the block's last command. Each command runs in a fresh directory
holding the files the docs name, most of them written from the docs' own blocks (the case file,
the lint sample, the ``echo ... > file`` lines before the command). Only policy versions (content
hashes) are normalized. Commands that need a PostgreSQL server are listed in ``NEEDS_POSTGRES``
and run by tests/adapters/postgres/test_doc_commands.py against the throw-away server there.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from jurisgate.admin.cli import main

from ..fixtures.doc_commands import (
    NEEDS_POSTGRES,
    DocCommand,
    doc_commands,
    guide_block,
    variants,
    workspace,
)

VERSION = re.compile(r"\b[0-9a-f]{16}\b")  # a policy version: the content hash of the rules


def lint_sample(directory: Path) -> None:
    """Section 5: the policy whose findings the guide prints."""
    sample = guide_block("csv", "p, gov, allow, police")
    (directory / "policy" / "policy.csv").write_text(sample, encoding="utf-8")


# What a command needs beyond the workspace, and the exit code the docs' example ends with.
SETUP: dict[str, Callable[[Path], None]] = {
    "jurisgate lint --config jurisgate.toml": lint_sample,
}
EXIT: dict[str, int] = {
    "jurisgate lint --config jurisgate.toml": 1,  # the sample's three findings
    "jurisgate test cases.yaml --config jurisgate.toml": 1,  # the guide's mistaken case
    "jurisgate diff current.toml proposed.toml": 1,  # changes
    "jurisgate diff current.toml proposed.toml --json": 1,
    "jurisgate diff current/jurisgate.toml proposed/jurisgate.toml": 1,
    "jurisgate diff policy.csv policy-new.csv --config jurisgate.toml": 1,
}


def test_the_docs_show_commands_and_outputs() -> None:
    commands = doc_commands()
    assert len(commands) >= 20
    shown = {c.line for c in commands if c.output is not None}
    assert "jurisgate lint --config jurisgate.toml" in shown
    assert "jurisgate test cases.yaml --config jurisgate.toml" in shown


def test_the_commands_run_elsewhere_are_still_documented() -> None:
    assert {c.line for c in doc_commands()} >= NEEDS_POSTGRES


OFFLINE = [c for c in doc_commands() if c.line not in NEEDS_POSTGRES]


@pytest.mark.parametrize(
    ("command", "line"),
    [(c, v) for c in OFFLINE for v in variants(c.line)],
    ids=[f"{c.doc} {v}" for c in OFFLINE for v in variants(c.line)],
)
def test_documented_command(
    command: DocCommand,
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)
    workspace(tmp_path)
    if line in SETUP:
        SETUP[line](tmp_path)
    if command.prelude.strip():  # the docs' own shell lines (echo ... > claims.json)
        subprocess.run(["bash", "-euc", command.prelude], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = main(shlex.split(line)[1:])
    out, err = capsys.readouterr()
    assert code == EXIT.get(line, 0), f"{command.doc}: {line}\n{out}{err}"
    argv = shlex.split(line)
    if "--out" in argv:  # matrix: the report is written
        assert (tmp_path / argv[argv.index("--out") + 1]).stat().st_size > 0
    if argv[1:3] == ["token", "mint"]:
        assert out.strip().count(".") == 2  # one compact JWS
    if command.output is not None and line == command.line:
        assert VERSION.sub("<version>", out) == VERSION.sub("<version>", command.output), (
            f"{command.doc}: the documented output of {line!r} differs"
        )
