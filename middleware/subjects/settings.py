"""``[subjects]`` in jurisgate.toml: where the registry is and how the opt-out is answered.

[subjects]
store = "postgresql://jurisgate@127.0.0.1:5432/jurisgate"  # or store_env = "JURISGATE_SUBJECTS_DSN"
receipt_key_file = "keys/receipt-ed25519.pem"              # private key that signs receipts
max_staleness = 2.0                                        # seconds a replica may lag the registry
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..config_table import Table, build, resolve_path

__all__ = ["SUBJECTS_KEYS", "SubjectsSettings", "parse_subjects"]

SUBJECTS_KEYS: Final = (
    "store",
    "store_env",
    "receipt_key_file",
    "max_staleness",
    "max_photo_bytes",
    "requests_per_minute",
    "effective_within_hours",
)


@dataclass(frozen=True, slots=True)
class SubjectsSettings:
    """The registry's DSN is kept out of ``repr``: it may hold a password."""

    store: str
    receipt_key_file: Path
    max_staleness: float = 2.0
    max_photo_bytes: int = 8 * 1024 * 1024
    requests_per_minute: int = 10
    effective_within_hours: float = 24.0

    def __repr__(self) -> str:
        return (
            f"SubjectsSettings(store=***, receipt_key_file={str(self.receipt_key_file)!r}, "
            f"max_staleness={self.max_staleness})"
        )

    def __post_init__(self) -> None:
        if not self.store.startswith(("postgresql://", "postgres://")):
            raise ValueError("store must be a postgresql:// URL")
        if not (math.isfinite(self.max_staleness) and self.max_staleness > 0):
            raise ValueError("max_staleness must be a positive number of seconds")
        if not 1024 <= self.max_photo_bytes <= 64 * 1024 * 1024:
            raise ValueError("max_photo_bytes must be between 1024 and 67108864")
        if not 1 <= self.requests_per_minute <= 10_000:
            raise ValueError("requests_per_minute must be between 1 and 10000")
        if not (math.isfinite(self.effective_within_hours) and self.effective_within_hours > 0):
            raise ValueError("effective_within_hours must be a positive number")


def parse_subjects(data: object, base: Path, file: Path) -> SubjectsSettings:
    table = Table(data, "subjects", file, SUBJECTS_KEYS)
    given: str | None = table.get("store", str)
    store_env = table.get("store_env", str)
    if (given is None) == (store_env is None):
        raise table.error("store", "or store_env is required, and only one of them")
    store = given if store_env is None else os.environ.get(store_env)
    if not store:
        raise table.error("store_env", f"names ${store_env}, which is not set")
    key_name = table.get("receipt_key_file", str, required=True)
    key_file = resolve_path(base, key_name)
    if not key_file.is_file():
        raise table.error("receipt_key_file", f"is not a file: {key_file}")
    max_staleness = table.get("max_staleness", float, 2.0)
    max_photo = table.get("max_photo_bytes", int, 8 * 1024 * 1024)
    per_minute = table.get("requests_per_minute", int, 10)
    within = table.get("effective_within_hours", float, 24.0)
    return build(
        table,
        lambda: SubjectsSettings(store, key_file, max_staleness, max_photo, per_minute, within),
    )
