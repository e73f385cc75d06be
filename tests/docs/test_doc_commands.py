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
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from jurisgate.admin.cli import main
from jurisgate.policies import pack_file

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", ROOT / "docs" / "admin-guide.md")
DEV = ROOT / "examples" / "dev"
VERSION = re.compile(r"\b[0-9a-f]{16}\b")  # a policy version: the content hash of the rules

# Run elsewhere, with the server they need (a command added to the docs must be listed here or
# run below: test_every_documented_command_is_run fails otherwise).
NEEDS_POSTGRES = {
    "jurisgate policy push --config jurisgate.toml policy.csv",
    "jurisgate subjects init --config jurisgate.toml",
    "jurisgate subjects verify-audit --config jurisgate.toml",
    "jurisgate subjects verify-receipt --key receipt.pub.pem receipt.json",
    'jurisgate subjects revoke --config jurisgate.toml --entry face-0003 --reason "..." '
    "--actor dpo",
}


@dataclass(frozen=True)
class DocCommand:
    doc: str  # README.md:412
    line: str  # as written, continuations joined, comment dropped
    prelude: str  # the block's other shell lines before it (echo ... > claims.json)
    output: str | None  # the documented output, when the docs show it


def doc_commands() -> list[DocCommand]:
    found: list[DocCommand] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for section in sections(text):
            found += _section_commands(doc, text, section)
    return found


def sections(text: str) -> list[str]:
    """The text between two headings; a ``#`` line inside a fenced block is not a heading."""
    parts: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.splitlines(keepends=True):
        fenced ^= line.startswith("```")
        if line.startswith("#") and not fenced:
            parts.append("".join(current))
            current = []
        current.append(line)
    return [*parts, "".join(current)]


def _section_commands(doc: Path, text: str, section: str) -> list[DocCommand]:
    blocks = list(re.finditer(r"^```(\w*)\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL))
    found: list[DocCommand] = []
    for index, block in enumerate(blocks):
        if block.group(1) != "bash":
            continue
        later = [b for b in blocks[index + 1 :] if b.group(1) in ("", "text")]
        output = later[0].group(2) if later else None
        logical = block.group(2).replace("\\\n", " ").splitlines()
        commands = [n for n, line in enumerate(logical) if line.startswith("jurisgate ")]
        for n in commands:
            line = re.sub(r"\s+#.*$", "", logical[n])
            line = re.sub(r"\s+", " ", line).strip()
            prelude = "\n".join(other for k, other in enumerate(logical[:n]) if k not in commands)
            at = text.index(block.group(2)) if block.group(2) in text else 0
            found.append(
                DocCommand(
                    doc=f"{doc.name}:{text.count(chr(10), 0, at) + 1}",
                    line=line,
                    prelude=prelude,
                    output=output if n == commands[-1] else None,
                )
            )
    return found


def variants(line: str) -> list[str]:
    """``cmd [--json] [--trace]`` -> ``cmd``, ``cmd --json``, ``cmd --trace``."""
    options = re.findall(r" \[(--[^\]]+)\]", line)
    base = re.sub(r" \[--[^\]]+\]", "", line)
    return [base, *(f"{base} {option}" for option in options)]


def guide_block(language: str, containing: str) -> str:
    text = (ROOT / "docs" / "admin-guide.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    (block,) = [str(b) for b in blocks if containing in b]
    return block


ISSUER = """[[issuers]]
issuer = "https://dev-idp.jurisgate.invalid"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "keys/idp.pem"
"""


def workspace(directory: Path) -> None:
    """The files the docs' commands name, as an admin following the docs would have them."""
    pack = Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")
    (directory / "keys").mkdir()
    shutil.copy(DEV / "dev_idp_public.pem", directory / "keys" / "idp.pem")
    for name in ("dev.pem", "dev_private.pem"):
        shutil.copy(DEV / "dev_idp_private.pem", directory / name)
    shutil.copy(DEV / "dev_idp_public.pem", directory / "dev_idp_public.pem")
    shutil.copy(DEV / "jurisgate.dev.toml", directory / "dev.toml")
    # Section 2: "your copy" of the pack, and the [policy] table that points at it.
    (directory / "policy").mkdir()
    shutil.copy(Path(str(pack_file("model.conf"))), directory / "policy" / "model.conf")
    (directory / "policy" / "policy.csv").write_text(pack, encoding="utf-8")
    copies = guide_block("toml", 'policy = "policy/policy.csv"')
    (directory / "jurisgate.toml").write_text(f"{ISSUER}\n{copies}", encoding="utf-8")
    # Section 6's case file; section 9's claims file.
    (directory / "cases.yaml").write_text(guide_block("yaml", "cases:"), encoding="utf-8")
    echo = re.search(r"echo '(.*?)' > tx\.json", guide_block("bash", "> tx.json"))
    assert echo is not None
    (directory / "tx.json").write_text(echo.group(1), encoding="utf-8")
    # Section 7: the bundled policy, and the same without the strict reading's row.
    (directory / "policy.csv").write_text(pack, encoding="utf-8")
    without = [row for row in pack.splitlines(True) if not row.startswith("p, il-located-five")]
    (directory / "policy-new.csv").write_text("".join(without), encoding="utf-8")
    # Two versions to compare: the bundled pack's strict and decree-text readings.
    decree = '[policy]\nbundled_reading = "decree_text"\n'
    for old, new in (("current.toml", "proposed.toml"), ("current", "proposed")):
        old_path = directory / old if old.endswith(".toml") else directory / old / "jurisgate.toml"
        new_path = directory / new if new.endswith(".toml") else directory / new / "jurisgate.toml"
        for path, extra in ((old_path, ""), (new_path, decree)):
            path.parent.mkdir(exist_ok=True)
            issuer = ISSUER.replace("keys/idp.pem", str(directory / "keys" / "idp.pem"))
            path.write_text(f"{issuer}\n{extra}", encoding="utf-8")


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
