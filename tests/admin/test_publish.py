"""``jurisgate policy publish``: exit 0 and a manifest when the files are valid; exit 2 and the
last manifest untouched when they are not; and what the gate makes of odd manifests."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from jurisgate.adapters.factory import load_enforced_engine
from jurisgate.middleware.config.gate_config import load_config
from jurisgate.middleware.errors import PolicyError, PolicyNotPublished
from jurisgate.policies import pack_file

from ..fixtures.admin_config import Run, WriteConfig


def pack_policy() -> str:
    return Path(str(pack_file("policy.csv"))).read_text(encoding="utf-8")


def test_publish_writes_the_manifest_and_says_what_it_published(
    write_config: WriteConfig, run: Run
) -> None:
    config = write_config(pack_policy(), published=True)
    settings = load_config(config).policy
    assert settings.manifest_path is not None
    with pytest.raises(PolicyNotPublished):
        load_enforced_engine(settings)
    code, out, _ = run("policy", "publish", "--config", str(config))
    assert code == 0
    engine = load_enforced_engine(settings)
    assert f"published {settings.manifest_path}" in out
    assert f"policy version: {engine.version} (10 rules)" in out
    assert "next check" in out  # no Redis: nothing announced
    manifest = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    assert manifest["jurisgate_policy_manifest"] == 1
    assert manifest["version"] == engine.version
    assert settings.policy is not None
    digest = hashlib.sha256(settings.policy.read_bytes()).hexdigest()
    assert {"path": settings.policy.name, "sha256": digest} in manifest["files"]


@pytest.mark.parametrize(
    "broken",
    [
        "p, broken, maybe, *, US, *, *, *, *, *, *, , , , \n",  # not a policy
        "# nothing but a comment\n",  # no rules: a truncated file looks like this
    ],
)
def test_an_invalid_policy_is_not_published(
    write_config: WriteConfig, run: Run, broken: str
) -> None:
    config = write_config(pack_policy(), published=True)
    settings = load_config(config).policy
    assert settings.policy is not None
    assert settings.manifest_path is not None
    assert run("policy", "publish", "--config", str(config))[0] == 0
    before = settings.manifest_path.read_bytes()
    good = load_enforced_engine(settings).version
    settings.policy.write_text(broken, encoding="utf-8")
    code, _, err = run("policy", "publish", "--config", str(config))
    assert code == 2
    assert str(settings.policy) in err
    assert settings.manifest_path.read_bytes() == before  # the last publish still stands
    settings.policy.write_text(pack_policy(), encoding="utf-8")
    assert load_enforced_engine(settings).version == good


def test_an_unwritable_manifest_folder_is_a_clean_error(
    write_config: WriteConfig, run: Run, tmp_path: Path
) -> None:
    config = write_config(pack_policy(), published=True)
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(f'manifest = "{tmp_path}/', f'manifest = "{tmp_path}/missing/'),
        encoding="utf-8",
    )
    code, _, err = run("policy", "publish", "--config", str(config))
    assert code == 2
    assert "cannot write the policy manifest" in err


def manifest_for(write_config: WriteConfig) -> tuple[Path, Path, Path]:
    config = write_config(pack_policy(), published=True)
    settings = load_config(config).policy
    assert settings.manifest_path is not None
    assert settings.policy is not None
    return config, settings.manifest_path, settings.policy


def test_odd_manifests_are_never_applied(write_config: WriteConfig, run: Run) -> None:
    config, manifest, policy = manifest_for(write_config)
    assert run("policy", "publish", "--config", str(config))[0] == 0
    settings = load_config(config).policy
    good = json.loads(manifest.read_text(encoding="utf-8"))

    def enforced_with(document: object) -> None:
        manifest.write_text(json.dumps(document), encoding="utf-8")
        load_enforced_engine(settings)

    with pytest.raises(PolicyNotPublished, match="not the configured policy files"):
        enforced_with({**good, "files": good["files"][:1]})  # the model alone
    other = {"path": "other.csv", "sha256": "0" * 64}
    with pytest.raises(PolicyNotPublished, match="not the configured policy files"):
        enforced_with({**good, "files": [*good["files"], other]})
    for bad in (
        {**good, "jurisgate_policy_manifest": 2},
        {**good, "files": [{"path": "policy.csv", "sha256": "ABC"}]},
        {**good, "files": []},
        [good],
    ):
        with pytest.raises(PolicyError, match="not a jurisgate policy manifest"):
            enforced_with(bad)
    manifest.write_bytes(b"[" * 100_000)  # nested too deep: refused before parsing
    with pytest.raises(PolicyError, match="not a jurisgate policy manifest"):
        load_enforced_engine(settings)
    manifest.write_bytes(b" " * 70_000)  # too large
    with pytest.raises(PolicyError, match="not a jurisgate policy manifest"):
        load_enforced_engine(settings)
    os.remove(manifest)
    policy.write_text(pack_policy(), encoding="utf-8")
    with pytest.raises(PolicyNotPublished, match="no policy manifest"):
        load_enforced_engine(settings)
