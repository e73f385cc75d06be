"""Fixtures for the admin commands: real policy files, real configs, the real bundled pack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jurisgate.middleware.cli import main
from jurisgate.policies import pack_files

POLICIES = Path(__file__).parent / "policies"
# One instant for every test, so "expired" and "now" never depend on the day the suite runs.
NOW = "2026-11-26T00:00:00Z"

WriteConfig = Callable[..., Path]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a jurisgate.toml using the bundled model and the given policy file or text."""
    secret = tmp_path / "secret.key"
    secret.write_text("a-development-secret-of-at-least-32-bytes!\n", encoding="utf-8")
    (tmp_path / "model.conf").write_text(
        pack_files()[0].read_text(encoding="utf-8"), encoding="utf-8"
    )
    counter = iter(range(1000))

    def write(
        policy: Path | str, *, extra: str = "", issuer_extra: str = "", published: bool = False
    ) -> Path:
        """``published``: the gate applies only what ``policy publish`` recorded (the default
        for watched files); otherwise the files as they are, as these commands read them."""
        n = next(counter)
        if isinstance(policy, str):
            path = tmp_path / f"policy{n}.csv"
            path.write_text(policy, encoding="utf-8")
            policy = path
        config = tmp_path / f"jurisgate{n}.toml"
        config.write_text(
            "[[issuers]]\n"
            'issuer = "https://idp.test"\n'
            'audience = "face-search-api"\n'
            'algorithms = ["HS256"]\n'
            f'public_key_file = "{secret}"\n'
            f"{issuer_extra}\n"
            "[policy]\n"
            f'model = "{tmp_path / "model.conf"}"\n'
            f'policy = "{policy}"\n'
            f'manifest = "{tmp_path / f"manifest{n}.json"}"\n'
            f"require_manifest = {'true' if published else 'false'}\n"
            f"{extra}\n",
            encoding="utf-8",
        )
        return config

    return write


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``jurisgate ARGS...``; returns (exit code, stdout, stderr)."""
    monkeypatch.delenv("JURISGATE_CONFIG", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
