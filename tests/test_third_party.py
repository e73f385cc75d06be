"""Every exception our dependencies define is one we translate: a release that grows a new
exception outside the bases of ``jurisgate.middleware.third_party`` fails here, before it can
escape the gate as its own type (httpx's test_exceptions does the same for httpcore)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from jurisgate.middleware.errors import CacheError, JurisgateError
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


def test_cluster_and_sentinel_failures_are_cache_misses() -> None:
    # What a cluster that lost a primary, or sentinels that name none, raise (issue 14).
    from redis.asyncio.sentinel import MasterNotFoundError as AsyncMasterNotFound
    from redis.exceptions import (
        ClusterDownError,
        MovedError,
        RedisClusterException,
        RedisClusterUnreachableError,
        SlotNotCoveredError,
        TryAgainError,
    )
    from redis.sentinel import MasterNotFoundError

    failures = (
        ClusterDownError, MovedError, RedisClusterException, RedisClusterUnreachableError,
        SlotNotCoveredError, TryAgainError, MasterNotFoundError, AsyncMasterNotFound,
    )  # fmt: skip
    named = {f"{failure.__module__}.{failure.__qualname__}": failure for failure in failures}
    assert {name: becomes(failure) for name, failure in named.items()} == dict.fromkeys(
        named, CacheError
    )


def test_our_own_and_unknown_exceptions() -> None:
    assert becomes(ValueError) is None


def test_our_own_exceptions_are_one_tree() -> None:
    """Every exception class jurisgate defines is a JurisgateError (AuditUnavailable,
    EntryRejected, ... included), so one ``except JurisgateError`` sees them all."""
    import jurisgate.adapters
    import jurisgate.admin
    import jurisgate.middleware

    outside = []
    for package in (jurisgate.middleware, jurisgate.adapters, jurisgate.admin):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == info.name
                    and not issubclass(value, JurisgateError)
                ):
                    outside.append(f"{info.name}.{value.__qualname__}")
    assert outside == []
