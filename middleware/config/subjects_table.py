"""``[subjects]``: the data-subject registry's table, read into a SubjectsSettings."""

from __future__ import annotations

import os
from pathlib import Path

from ..subjects.settings import SUBJECTS_KEYS, SubjectsSettings
from .table import Table, build, resolve_path

__all__ = ["parse_subjects"]


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
