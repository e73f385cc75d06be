"""The distribution's shape: the jurisgate.* namespace only, bundled data, typing markers."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib.metadata import distribution, entry_points
from importlib.resources import files
from pathlib import Path

import pytest

import jurisgate.middleware

PACKAGES = ["jurisgate.middleware", "jurisgate.adapters", "jurisgate.admin", "jurisgate.policies"]


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter outside the checkout, with no PYTHONPATH to lean on."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", ["middleware", "adapters", "admin", "policies", "jurisgate.tests"])
def test_bare_top_level_names_are_not_importable(tmp_path: Path, name: str) -> None:
    done = run_python(f"import {name}", tmp_path)
    assert done.returncode == 1
    assert f"ModuleNotFoundError: No module named '{name}'" in done.stderr


def test_namespaced_packages_import_outside_the_checkout(tmp_path: Path) -> None:
    code = (
        "import jurisgate, jurisgate.middleware, jurisgate.adapters, jurisgate.policies\n"
        "from jurisgate.middleware import JurisdictionMiddleware\n"
        "assert getattr(jurisgate, '__file__', None) is None, 'jurisgate must be a namespace'\n"
        "print(jurisgate.middleware.__name__)\n"
    )
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "jurisgate.middleware"


@pytest.mark.parametrize(
    "name",
    ["model.conf", "policy.csv", "policy-decree-text.csv", "README.md", "cases.yaml",
     "cases-decree-text.yaml"],
)  # fmt: skip
def test_bundled_pack_files_are_resources(name: str) -> None:
    resource = files("jurisgate.policies.clearview_settlement").joinpath(name)
    assert resource.is_file()
    text = resource.read_text(encoding="utf-8")
    expected = {"model.conf": "[request_definition]", "policy.csv": "p, il-agencies-five-years,"}
    assert expected.get(name, "il-agencies-five-years") in text


def test_pack_files_helper_returns_the_resources() -> None:
    from jurisgate.policies import DEFAULT_PACK, pack_files

    model, policy = pack_files()
    assert DEFAULT_PACK == "clearview_settlement"
    assert "[matchers]" in model.read_text(encoding="utf-8")
    assert "us-private-permanent" in policy.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="package name"):
        pack_files("../etc")


def test_the_pack_loads_outside_the_checkout(tmp_path: Path) -> None:
    code = (
        "from jurisgate.middleware import PolicySettings, load_engine\n"
        "engine = load_engine(PolicySettings())\n"
        "print(sorted(rule.id for rule in engine.rules))\n"
    )
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "il-agencies-five-years" in done.stdout


def _ruff_sort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: SCREAMING_CASE, then CamelCase, then everything else."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_unique_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    exported: list[str] = list(module.__all__)
    assert exported, f"{package} exports nothing"
    assert exported == sorted(exported, key=_ruff_sort_key)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert getattr(module, name, None) is not None, f"{package}.{name} does not resolve"


def test_public_names_of_the_entry_point() -> None:
    public = set(jurisgate.middleware.__all__)
    assert {
        "JurisdictionMiddleware",
        "FixedClock",
        "TrustedIssuer",
        "TokenPolicy",
        "DecisionCache",
        "load_config",
        "TokenError",
    } <= public
    # Everything public that the package defines is either exported or private by name.
    for name, value in vars(jurisgate.middleware).items():
        defined_here = getattr(value, "__module__", "").startswith("jurisgate.middleware")
        if defined_here and isinstance(value, type) and not name.startswith("_"):
            assert name in public, f"{name} is public but not in __all__"


@pytest.mark.parametrize("package", PACKAGES)
def test_py_typed_markers(package: str) -> None:
    assert files(package).joinpath("py.typed").is_file()


def test_distribution_metadata() -> None:
    dist = distribution("jurisgate")
    assert dist.metadata["Name"] == "jurisgate"
    (script,) = entry_points(group="console_scripts", name="jurisgate")
    assert script.value == "jurisgate.admin.cli:main"
    requires = " ".join(dist.requires or [])
    assert "pycasbin" in requires
    assert "casbin" not in requires.replace("pycasbin", "")


def test_casbin_comes_from_pycasbin_only() -> None:
    """The old ``casbin`` distribution (<= 1.43, pulled in by e.g. casbin-sqlalchemy-adapter)
    installs the same ``casbin`` import name and silently replaces pycasbin's modules."""
    from importlib.metadata import PackageNotFoundError

    with pytest.raises(PackageNotFoundError):
        distribution("casbin")
    assert distribution("pycasbin").metadata["Name"].lower() == "pycasbin"


def test_postgres_extra_is_part_of_the_test_extra() -> None:
    requires = distribution("jurisgate").requires or []
    assert any(r.startswith("psycopg[binary]") and 'extra == "postgres"' in r for r in requires)
    assert any(r.startswith("jurisgate[postgres]") and 'extra == "test"' in r for r in requires)
