"""The admin commands on a policy kept in the PostgreSQL store: they read the store's rows,
never silently the bundled pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jurisgate.admin.cli import main
from jurisgate.admin.files import policy_files
from jurisgate.admin.push import push_policy
from jurisgate.middleware import PolicySettings
from jurisgate.middleware.errors import PolicyError
from jurisgate.policies import pack_file

from .test_cli_push import write_config

pytestmark = pytest.mark.postgres

# A rule the permanent deny shadows: lint must find it in the store, at its position.
DEAD = "p, tx-company-search, allow, private_company, US, US-TX, *, *, *, /search/*, GET, , , ,\n"


def push(settings: PolicySettings, tmp_path: Path, extra: str = "") -> Path:
    policy = tmp_path / "pushed.csv"
    policy.write_text(pack_file("policy.csv").read_text(encoding="utf-8") + extra)
    push_policy(settings, policy)
    return policy


def test_lint_reads_the_store(
    store_settings: PolicySettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    push(store_settings, tmp_path, DEAD)
    config = write_config(tmp_path, store_settings)
    assert main(["lint", "--config", str(config), "--at", "2026-11-26", "--json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert (finding["rule"], finding["code"]) == ("tx-company-search", "never_decides")
    assert finding["source"].startswith(f"postgresql:{store_settings.store_table}#")


def test_test_and_matrix_use_the_store(
    store_settings: PolicySettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_il = "".join(
        line + "\n"
        for line in pack_file("policy.csv").read_text(encoding="utf-8").splitlines()
        if not line.startswith("p, il-")
    )
    policy = tmp_path / "no-il.csv"
    policy.write_text(without_il)
    push_policy(store_settings, policy)
    config = write_config(tmp_path, store_settings)
    cases = str(pack_file("cases.yaml"))
    assert main(["test", cases, "--config", str(config)]) == 1  # the Illinois cases now fail
    assert "FAIL  the FBI Chicago field office is blocked" in capsys.readouterr().out
    out = tmp_path / "m.html"
    assert main(["matrix", "--config", str(config), "--at", "2026-11-26", "--out", str(out)]) == 0
    assert "rule: il-agencies-five-years" not in out.read_text(encoding="utf-8")


def test_diff_a_file_against_the_store(
    store_settings: PolicySettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    push(store_settings, tmp_path)
    config = write_config(tmp_path, store_settings)
    edited = tmp_path / "proposed.csv"
    edited.write_text(
        pack_file("policy.csv")
        .read_text(encoding="utf-8")
        .replace("2027-05-11T05:00:00Z", "2027-06-01T05:00:00Z")
    )
    assert main(["diff", str(config), str(edited), "--config", str(config)]) == 1
    assert "from 2027-05-11T05:00:00Z until 2027-06-01T05:00:00Z" in capsys.readouterr().out


def test_a_store_is_never_read_as_the_bundled_pack(store_settings: PolicySettings) -> None:
    with pytest.raises(PolicyError, match="store"):
        policy_files(store_settings)
