"""Policy stores: where the rows live when they are not in a file (PostgreSQL today).

The engine never sees a store: it gets a PolicySource (the model file's text and the store's
rows), so a policy read from a store is versioned and validated exactly like one read from
files. The store adapter is imported only when configured, so psycopg stays an optional
extra (``pip install jurisgate[postgres]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from .config import PolicySettings
from .engine import PolicyEngine
from .errors import PolicyError
from .policy_source import PolicyRow, PolicySource

__all__ = ["PolicyStore", "load_from_store", "open_store", "push_policy"]


class PolicyStore(Protocol):
    """The rows of one policy, replaced whole. Methods block: call them off the event loop."""

    origin: str  # names the store in messages, e.g. "postgresql:jurisgate_policy"

    def load_rows(self) -> tuple[PolicyRow, ...]:
        """Every row in order; PolicyError when absent, empty or unreachable."""
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


def open_store(settings: PolicySettings) -> PolicyStore:
    """The store that ``[policy] store`` names (connections are opened on first use)."""
    if settings.store is None:
        raise PolicyError("no policy store is configured ([policy] store)")
    try:
        from jurisgate.adapters.postgres_store import PostgresPolicyStore
    except ImportError as exc:
        raise PolicyError(
            f"[policy] store needs the PostgreSQL driver: pip install 'jurisgate[postgres]' ({exc})"
        ) from exc
    return PostgresPolicyStore(
        settings.store, table=settings.store_table, timeout=settings.store_timeout
    )


def load_from_store(model: Path, store: PolicyStore) -> PolicySource:
    """The model file and the store's rows: what the engine compiles, as from files."""
    return PolicySource(_model_text(model), store.load_rows(), str(model), store.origin)


def push_policy(settings: PolicySettings, policy_file: Path) -> PolicyEngine:
    """Validate ``policy_file`` against the configured model, then replace the store's rows with
    it in one transaction (re-validated as stored). Returns the engine of the pushed policy;
    raises PolicyError and leaves the store unchanged when anything is wrong."""
    from jurisgate.adapters.policy_files import read_policy_csv

    if settings.model is None or settings.store is None:
        raise PolicyError("the configuration has no [policy] store to push to")
    model, model_text = str(settings.model), _model_text(settings.model)
    try:
        text = policy_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy file: {exc}") from exc
    rows = read_policy_csv(text, str(policy_file))
    if not rows:
        raise PolicyError(f"{policy_file}: no policy rows; refusing to empty the store")
    # Checked from the file first, so errors name its lines; then as stored, inside the push.
    engine = PolicyEngine(PolicySource(model_text, rows, model, str(policy_file)))
    store = open_store(settings)

    def check(stored: tuple[PolicyRow, ...]) -> None:
        as_stored = PolicyEngine(PolicySource(model_text, stored, model, store.origin))
        if as_stored.version != engine.version:
            raise PolicyError(f"{store.origin}: the rows changed on their way into the store")

    try:
        store.replace(rows, check=check)
    finally:
        store.close()
    return engine


def _model_text(model: Path) -> str:
    try:
        return model.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy model: {exc}") from exc
