"""``jurisgate policy push --config FILE POLICY.csv``: exit 0 when pushed, 2 when it cannot be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jurisgate.admin.cli import main
from jurisgate.middleware import PolicySettings, load_engine

from ...fixtures.servers import free_port
from ..redis.conftest import HMAC_KEY, ISSUER
from .conftest import unreachable_dsn

pytestmark = pytest.mark.postgres


def write_config(directory: Path, settings: PolicySettings, *, extra: str = "") -> Path:
    assert settings.model is not None
    assert settings.store is not None
    (directory / "hmac.key").write_bytes(HMAC_KEY)
    config = directory / "jurisgate.toml"
    config.write_text(
        f'[[issuers]]\nissuer = "{ISSUER}"\naudience = "a"\nalgorithms = ["HS256"]\n'
        'public_key_file = "hmac.key"\n\n'
        f'[policy]\nmodel = "{settings.model}"\nstore = "{settings.store}"\n'
        f'store_table = "{settings.store_table}"\n{extra}'
    )
    return config


def test_push_and_push_again(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path, store_settings)
    assert main(["policy", "push", "--config", str(config), str(pack_policy)]) == 0
    out = capsys.readouterr().out
    version = load_engine(store_settings).version
    assert f"pushed 10 rules from {pack_policy} to postgresql:{store_settings.store_table}" in out
    assert f"policy version: {version}" in out
    assert "next check" in out  # no Redis configured: nothing announced
    assert main(["policy", "push", "--config", str(config), str(pack_policy)]) == 0
    assert load_engine(store_settings).version == version


def test_push_with_redis_down_still_succeeds(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    redis = f'\n[cache]\nredis_url = "redis://127.0.0.1:{free_port()}/0"\n'
    config = write_config(tmp_path, store_settings, extra=redis)
    assert main(["policy", "push", "--config", str(config), str(pack_policy)]) == 0
    assert "not announced (Redis unreachable)" in capsys.readouterr().out


def test_invalid_policy_exits_2_and_keeps_the_store(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path, store_settings)
    assert main(["policy", "push", "--config", str(config), str(pack_policy)]) == 0
    version = load_engine(store_settings).version
    bad = tmp_path / "bad.csv"
    bad.write_text("p, us-x, allow, martians, US, *, *, *, *, *, *, , , , \n")
    assert main(["policy", "push", "--config", str(config), str(bad)]) == 2
    assert "bad.csv:1: rule 'us-x': unknown entity type 'martians'" in capsys.readouterr().err
    assert load_engine(store_settings).version == version


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy", "push", "--config", "{config}", "{missing}"], "cannot read the policy file"),
        (["policy", "push", "{policy}"], "policy push needs --config"),
        (["policy", "push", "--config", "{no_store}", "{policy}"], "has no store to push to"),
        (["policy", "push", "--config", "{down}", "{policy}"], "PostgreSQL error"),
        (["policy", "push", "--config", "{nowhere}", "{policy}"], "cannot read config"),
    ],
)
def test_load_errors_exit_2(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    config = write_config(tmp_path, store_settings)
    down_dir = tmp_path / "down"
    down_dir.mkdir()
    down = write_config(down_dir, PolicySettings(store_settings.model, store=unreachable_dsn()))
    no_store = tmp_path / "no-store.toml"
    no_store.write_text(config.read_text().split("[policy]")[0])
    names = {
        "config": config,
        "missing": tmp_path / "missing.csv",
        "policy": pack_policy,
        "no_store": no_store,
        "down": down,
        "nowhere": tmp_path / "nowhere.toml",
    }
    assert main([arg.format(**names) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "s3cret-pw" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 2
    with pytest.raises(SystemExit) as caught:
        main(["policy", "push"])  # argparse: POLICY.csv is required
    assert caught.value.code == 2
    assert "POLICY.csv" in capsys.readouterr().err


def test_explain_reads_the_store(
    store_settings: PolicySettings,
    pack_policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path, store_settings)
    assert main(["policy", "push", "--config", str(config), str(pack_policy)]) == 0
    capsys.readouterr()
    claims = tmp_path / "claims.json"
    claims.write_text(
        '{"entity_type": "state_law_enforcement", "country": "US", "region": "IL", '
        '"agency_region": "US-IL"}'
    )
    argv = ["explain", "--config", str(config), "--claims", str(claims), "--path", "/search"]
    assert main([*argv, "--at", "2026-11-26T00:00:00Z", "--json", "--trace"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["rule"]) == (451, "il-agencies-five-years")
    sources = {item["rule"]: item["source"] for item in result["trace"]}
    assert sources["il-agencies-five-years"] == f"postgresql:{store_settings.store_table}#3"
