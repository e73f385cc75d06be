"""Every exception our dependencies define is one we translate: a release that grows a new
exception outside the bases of ``jurisgate.middleware.third_party`` fails here, before it can
escape the gate as its own type (httpx's test_exceptions does the same for httpcore)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from jurisgate.middleware.errors import JurisgateError
from jurisgate.middleware.third_party import DEPENDENCIES, becomes, errors_of


def defined_in(module_name: str) -> list[type[BaseException]]:
    """The exception classes a dependency's module defines (not those it imports)."""
    module = importlib.import_module(module_name)
    root = module_name.split(".")[0]
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__.split(".")[0] == root
    ]


@pytest.mark.parametrize(
    ("dependency", "module"),
    [(name, module) for name, dependency in DEPENDENCIES.items() for module in dependency.modules],
)
def test_every_exception_a_dependency_defines_is_mapped(dependency: str, module: str) -> None:
    classes = defined_in(module)
    assert classes, f"{module} defines no exceptions: has it moved?"
    unmapped = sorted(c.__qualname__ for c in classes if not issubclass(c, errors_of(dependency)))
    assert unmapped == [], f"{dependency}: {module} raises exceptions we do not map"


@pytest.mark.parametrize("dependency", sorted(DEPENDENCIES))
def test_each_mapping_names_one_of_ours(dependency: str) -> None:
    ours = DEPENDENCIES[dependency].becomes
    assert issubclass(ours, JurisgateError)
    for base in errors_of(dependency):
        assert becomes(base) is ours


def test_our_own_and_unknown_exceptions() -> None:
    assert becomes(ValueError) is None


def test_our_own_exceptions_are_one_tree() -> None:
    from jurisgate.adapters.redis_codec import EntryRejected
    from jurisgate.middleware.audit.file_sink import AuditUnavailable
    from jurisgate.middleware.errors import CacheError

    assert issubclass(AuditUnavailable, JurisgateError)
    assert AuditUnavailable("full").code == "audit_unavailable"
    assert issubclass(EntryRejected, CacheError)
    assert EntryRejected("bad_mac").reason == "bad_mac"
