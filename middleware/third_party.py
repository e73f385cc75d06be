"""Third-party exceptions become ours here, and only here.

    dependency     raises (the bases we map)                          becomes
    PyJWT          jwt.PyJWTError                                     TokenError (401)
    cryptography   everything in cryptography.exceptions              TokenError (401)
    pycasbin       simpleeval's errors (its matcher evaluator)        PolicyError
    redis          RedisError, the cluster and pipeline errors, OSError CacheError (a miss)
                   (Sentinel's MasterNotFoundError is a RedisError)
    psycopg        psycopg.Error, psycopg.Warning                     PolicyError (the store)

pycasbin itself raises bare RuntimeError, SyntaxError and friends, so a call into Casbin is
translated whatever it raises. ``translate`` is what an ``except`` clause at a dependency's
call site raises: the caller's own error unchanged, anything else as the caller's error (a
bug or a surprise still fails closed). ``errors_of`` gives the classes to catch where a failure is
handled rather than raised (a Redis outage is a cache miss). tests/test_third_party.py fails
when a dependency defines an exception outside these bases. Dependencies are imported only
when asked for, so psycopg stays optional.
"""

from __future__ import annotations

import functools
import importlib
import sys
from dataclasses import dataclass

from .errors import CacheError, JurisgateError, PolicyError, TokenError

__all__ = ["DEPENDENCIES", "Dependency", "becomes", "errors_of", "translate"]


@dataclass(frozen=True, slots=True)
class Dependency:
    """``bases`` are ``module:Class`` names (or builtins by name); ``modules`` hold every
    exception the dependency defines."""

    bases: tuple[str, ...]
    modules: tuple[str, ...]
    becomes: type[JurisgateError]


_CRYPTOGRAPHY = ("UnsupportedAlgorithm", "AlreadyFinalized", "AlreadyUpdated", "NotYetFinalized",
                 "InvalidTag", "InvalidSignature", "InternalError", "InvalidKey")  # fmt: skip
_REDIS = ("RedisError", "RedisClusterException", "ChildDeadlockedError", "InvalidPipelineStack",
          "IncorrectPolicyType")  # fmt: skip

DEPENDENCIES: dict[str, Dependency] = {
    "PyJWT": Dependency(("jwt.exceptions:PyJWTError",), ("jwt.exceptions",), TokenError),
    "cryptography": Dependency(
        tuple(f"cryptography.exceptions:{name}" for name in _CRYPTOGRAPHY),
        ("cryptography.exceptions",),
        TokenError,
    ),
    "pycasbin": Dependency(
        ("simpleeval:InvalidExpression", "simpleeval:TypeNotSpecified", "builtins:UserWarning"),
        ("simpleeval",),
        PolicyError,
    ),
    "redis": Dependency(
        (
            *(f"redis.exceptions:{name}" for name in _REDIS),
            "builtins:OSError",  # connection refused or reset below redis-py
            "builtins:TimeoutError",
        ),
        # Sentinel's own errors (no primary found) live beside its client; the cluster's are
        # in redis.exceptions.
        ("redis.exceptions", "redis.sentinel", "redis.asyncio.sentinel"),
        CacheError,
    ),
    "psycopg": Dependency(
        ("psycopg:Error", "psycopg:Warning", "psycopg:Rollback"),
        ("psycopg", "psycopg.errors"),
        PolicyError,
    ),
}


@functools.cache
def errors_of(dependency: str) -> tuple[type[BaseException], ...]:
    """The exception classes ``dependency`` may raise (imports it)."""
    classes: list[type[BaseException]] = []
    for name in DEPENDENCIES[dependency].bases:
        module, _, attribute = name.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if not (isinstance(found, type) and issubclass(found, BaseException)):
            raise TypeError(f"{name} is not an exception class")
        classes.append(found)
    return tuple(classes)


def becomes(exc_type: type[BaseException]) -> type[JurisgateError] | None:
    """Which of our errors a dependency's exception type becomes; None for one that no
    dependency imported so far is known to raise."""
    for name, dependency in DEPENDENCIES.items():
        if dependency.modules[0].split(".")[0] in sys.modules and issubclass(
            exc_type, errors_of(name)
        ):
            return dependency.becomes
    return None


def translate(exc: BaseException, into: type[JurisgateError], message: str) -> JurisgateError:
    """What a dependency's call site raises for ``exc``: an ``into`` unchanged, anything else
    (a dependency's exception, mapped or not, or a bug) as ``into(message)`` caused by it:
    ``raise translate(exc, TokenError, "unverifiable") from exc``."""
    if isinstance(exc, into):
        return exc
    error = into(message)
    error.__cause__ = exc
    return error
