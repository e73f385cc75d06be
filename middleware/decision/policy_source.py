"""A policy as loaded from any store: the model text and its rows, with where each row came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["PolicyRow", "PolicySource"]


@dataclass(frozen=True, slots=True)
class PolicyRow:
    ptype: str
    values: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PolicySource:
    """A model and its rows, as loaded: the unit the engine compiles and versions."""

    model_text: str
    rows: tuple[PolicyRow, ...]
    model_origin: str
    policy_origin: str

    @property
    def version(self) -> str:
        """Content hash of model and rows: equal content, equal version, on every replica."""
        digest = hashlib.sha256()
        digest.update(self.model_text.strip().encode())
        for row in self.rows:
            digest.update(b"\x1e")
            digest.update("\x1f".join((row.ptype, *row.values)).encode())
        return digest.hexdigest()[:16]
