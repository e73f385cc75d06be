"""A reload never installs a policy caught half-written, and half a policy is never guessed."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jurisgate.adapters import load_policy_files
from jurisgate.adapters.factory import load_engine
from jurisgate.middleware.config.gate_config import PolicySettings
from jurisgate.middleware.config.reload import PolicyReloader
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import PolicyError
from jurisgate.policies import pack_files

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def copy_pack(tmp_path: Path) -> tuple[Path, Path]:
    model, policy = (tmp_path / "model.conf", tmp_path / "policy.csv")
    for target, source in zip((model, policy), pack_files(), strict=True):
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return model, policy


def reloader(
    model: Path, policy: Path, installed: list[PolicyEngine], **kw: object
) -> PolicyReloader[PolicyEngine]:
    installed.append(PolicyEngine(load_policy_files(model, policy)))
    return PolicyReloader(
        load=lambda: PolicyEngine(load_policy_files(model, policy)),
        current=lambda: installed[-1],
        swap=installed.append,
        paths=(model, policy),
        interval=1.0,
        **kw,  # type: ignore[arg-type]
    )


async def test_an_emptied_policy_file_is_refused(tmp_path: Path) -> None:
    model, policy = copy_pack(tmp_path)
    installed: list[PolicyEngine] = []
    watcher = reloader(model, policy, installed)
    policy.write_text("# being rewritten\n", encoding="utf-8")  # cp truncates first
    assert await watcher.check("test") is False
    assert len(installed) == 1
    assert watcher.rejected == 1
    assert "no rules" in (watcher.last_error or "")


async def test_a_file_that_changes_while_loading_is_not_installed(tmp_path: Path) -> None:
    model, policy = copy_pack(tmp_path)
    installed: list[PolicyEngine] = []
    ticks = itertools.count()
    watcher = reloader(model, policy, installed, fingerprint=lambda: next(ticks))
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("il-agencies-five-years", "il-5y"),
        encoding="utf-8",
    )
    # Every fingerprint differs from the last: the file is still being written.
    assert await watcher.check("test") is False
    assert len(installed) == 1


async def test_a_stable_valid_change_is_installed(tmp_path: Path) -> None:
    model, policy = copy_pack(tmp_path)
    installed: list[PolicyEngine] = []
    watcher = reloader(model, policy, installed)
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("il-agencies-five-years", "il-5y"),
        encoding="utf-8",
    )
    assert await watcher.check("test") is True
    assert installed[-1].rule("il-5y") is not None


def test_half_a_policy_is_an_error_not_the_bundled_pack() -> None:
    with pytest.raises(ValueError, match="go together"):
        PolicySettings(model=Path("m.conf"))
    with pytest.raises(ValueError, match="go together"):
        PolicySettings(policy=Path("p.csv"))


def test_load_engine_refuses_to_guess(tmp_path: Path) -> None:
    settings = PolicySettings()
    object.__setattr__(settings, "model", tmp_path / "m.conf")  # bypassing validation on purpose
    with pytest.raises(PolicyError, match="part of a policy"):
        load_engine(settings)
