"""Policy stores: where the rows live when they are not in a file (PostgreSQL today).

The engine never sees a store: it gets a PolicySource (the model file's text and the store's
rows), so a policy read from a store is versioned and validated exactly like one read from
files. The PostgreSQL store is an adapter (``jurisgate.adapters.postgres_store``), opened by
``jurisgate.adapters.factory.open_store``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from ..decision.policy_source import PolicyRow, PolicySource
from ..errors import PolicyError

__all__ = ["PolicyStore", "connect_timeout", "load_from_store", "read_model"]


class PolicyStore(Protocol):
    """The rows of one policy, replaced whole. Methods block: call them off the event loop."""

    origin: str  # names the store in messages, e.g. "postgresql:jurisgate_policy"

    def load_rows(self) -> tuple[PolicyRow, ...]:
        """Every row in order; PolicyError when absent or empty, PolicyUnavailable (a
        PolicyError) when the store does not answer."""
        raise NotImplementedError

    def content_version(self) -> str:
        """Changes whenever the rows change; cheap enough to poll every second."""
        raise NotImplementedError

    def replace(
        self, rows: Sequence[PolicyRow], *, check: Callable[[tuple[PolicyRow, ...]], None]
    ) -> tuple[PolicyRow, ...]:
        """Atomically replace every row, unless ``check`` (given the stored rows) raises."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def connect_timeout(store_timeout: float) -> int:
    """libpq's ``connect_timeout`` for a store call deadline of ``store_timeout`` seconds: it
    counts whole seconds and takes less than 2 as 2. One call of the store (a reconnect and a
    query) can take this plus ``store_timeout``."""
    return max(2, math.ceil(store_timeout))


def load_from_store(model: Path, store: PolicyStore) -> PolicySource:
    """The model file and the store's rows: what the engine compiles, as from files."""
    return PolicySource(read_model(model), store.load_rows(), str(model), store.origin)


def read_model(model: Path) -> str:
    """The model file's text; PolicyError naming the problem when it cannot be read."""
    try:
        return model.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy model: {exc}") from exc
