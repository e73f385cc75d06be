"""``[audit]``: how records name the subject (``subject``, ``subject_key_file``) and the
JSON-lines file they go to (``file``, ``flush_interval``, ``max_pending``, ``fsync``), read
from jurisgate.toml into an AuditSettings."""

from __future__ import annotations

from pathlib import Path
from typing import Final, cast

from ..config.table import Table, build, resolve_path
from .settings import SUBJECT_MODES, AuditSettings, SubjectMode

__all__ = ["AUDIT_KEYS", "parse_audit"]

AUDIT_KEYS: Final = (
    "subject",
    "subject_key_file",
    "file",
    "flush_interval",
    "max_pending",
    "fsync",
)


def parse_audit(data: object, base: Path, file: Path) -> AuditSettings:
    """``[audit]``: ``subject`` = raw (default), hash or omit; hash needs ``subject_key_file``;
    ``file`` (relative to the config file), ``flush_interval``, ``max_pending``, ``fsync``."""
    table = Table(data, "audit", file, AUDIT_KEYS)
    mode = table.get("subject", str, "raw")
    key_name = table.get("subject_key_file", str)
    key = None
    if key_name is not None:
        key_file = resolve_path(base, key_name)
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise table.error(
                "subject_key_file", f"cannot be read: {key_file} ({exc.strerror})"
            ) from exc
    if mode not in SUBJECT_MODES:
        raise table.error("subject", f"must be raw, hash or omit, not {mode!r}")
    file_name = table.get("file", str)
    flush_interval = table.get("flush_interval", float, 0.2)
    max_pending = table.get("max_pending", int, 100_000)
    fsync = table.get("fsync", bool, False)
    audit_file = resolve_path(base, file_name) if file_name is not None else None
    return build(
        table,
        lambda: AuditSettings(
            cast(SubjectMode, mode), key, audit_file, flush_interval, max_pending, fsync
        ),
    )
