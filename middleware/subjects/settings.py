"""What ``[subjects]`` in jurisgate.toml says (read by ``config/subjects_table.py``): where the
registry is and how the opt-out is answered.

[subjects]
store = "postgresql://jurisgate@127.0.0.1:5432/jurisgate"  # or store_env = "JURISGATE_SUBJECTS_DSN"
receipt_key_file = "keys/receipt-ed25519.pem"              # private key that signs receipts
max_staleness = 2.0                                        # seconds a replica may lag the registry
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["SUBJECTS_KEYS", "SubjectsSettings"]

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
