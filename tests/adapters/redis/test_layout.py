"""tests/adapters/redis/ is the package ``tests.adapters.redis``: it must never shadow redis-py.

Without tests/__init__.py, pytest's importlib mode names this directory ``redis`` and every
``import redis`` in the session gets the test package instead of redis-py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
import redis.asyncio

pytestmark = pytest.mark.redis


def test_redis_is_redis_py() -> None:
    assert Path(redis.__file__ or "").parent.name == "redis"
    assert "tests" not in Path(redis.__file__ or "").parts
    assert hasattr(redis.asyncio, "Redis")
