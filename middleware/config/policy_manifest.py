"""The policy manifest: which files make up a complete policy, and their SHA-256 digests.

A watcher cannot know when a writer has finished (a file written in two parts with a pause is
a valid, shorter policy in between), but the admin can: ``jurisgate policy publish`` reads the
files once they are written, validates them, and writes this manifest last and atomically
(temporary file, fsync, rename, fsync of the directory). The gate reads the manifest first and
the files after, and applies what it read only when every file's digest is the published one;
otherwise it keeps its policy and waits. What is parsed is the bytes that were hashed, never a
second read. The manifest is JSON, with paths relative to its own folder so that it can be
built once and shipped beside the files::

    {"jurisgate_policy_manifest": 1, "version": "8885cb3ff203e1a0",
     "published_at": "2026-12-05T03:30:00Z",
     "files": [{"path": "model.conf", "sha256": "..."}, {"path": "policy.csv", "sha256": "..."}]}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import PolicyError, PolicyNotPublished
from ..token.strict_json import bounded_loads, strict_loads

__all__ = ["FORMAT", "Manifest", "read_manifest", "read_published", "write_manifest"]

FORMAT: Final = 1
MAX_MANIFEST_BYTES: Final = 64 * 1024
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
PUBLISH_HINT: Final = "run `jurisgate policy publish` once the policy files are completely written"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A published policy set: absolute file paths to their SHA-256 digests, and its version."""

    digests: Mapping[Path, str]
    version: str | None
    published_at: str


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path``; PolicyNotPublished when there is none, PolicyError when it is
    not a manifest (a broken one is an admin's error, not a write in progress)."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise PolicyNotPublished(f"{path}: no policy manifest; {PUBLISH_HINT}") from None
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy manifest ({exc.strerror})") from exc
    try:
        data = bounded_loads(raw, max_bytes=MAX_MANIFEST_BYTES, max_depth=3)
        return _parse(data, path.parent)
    except ValueError as exc:
        raise PolicyError(f"{path}: not a jurisgate policy manifest ({exc})") from exc


def read_published(manifest_path: Path, files: Sequence[Path]) -> dict[Path, str]:
    """The text of each of ``files`` as read once, provided the manifest records exactly these
    files with exactly these digests; PolicyNotPublished otherwise."""
    manifest = read_manifest(manifest_path)
    wanted = {_absolute(file): file for file in files}
    if set(manifest.digests) != set(wanted):
        listed = ", ".join(sorted(str(p) for p in manifest.digests))
        raise PolicyNotPublished(
            f"{manifest_path} lists {listed or 'no files'}, not the configured policy files; "
            f"{PUBLISH_HINT}"
        )
    texts: dict[Path, str] = {}
    for absolute, file in wanted.items():
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise PolicyNotPublished(f"{file}: cannot read it ({exc.strerror})") from exc
        if hashlib.sha256(content).hexdigest() != manifest.digests[absolute]:
            raise PolicyNotPublished(
                f"{file} is not what was published in {manifest_path}; {PUBLISH_HINT}"
            )
        try:
            texts[file] = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{file}: not UTF-8 ({exc})") from exc
    return texts


def write_manifest(path: Path, contents: Mapping[Path, bytes], version: str | None) -> Manifest:
    """Record ``contents`` (each file's bytes as validated) as the published policy set: written
    to a temporary file in the same folder, flushed to disk, then renamed over ``path``."""
    folder = path.parent
    entries = [
        {"path": _relative(file, folder), "sha256": hashlib.sha256(content).hexdigest()}
        for file, content in contents.items()
    ]
    published_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    document = {
        "jurisgate_policy_manifest": FORMAT,
        "version": version,
        "published_at": published_at,
        "files": entries,
    }
    text = json.dumps(document, indent=2) + "\n"
    try:
        _replace_durably(path, text)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot write the policy manifest ({exc.strerror})") from exc
    return _parse(strict_loads(text), folder)


def _replace_durably(path: Path, text: str) -> None:
    """Temporary file in the same folder, written and fsynced, renamed over ``path``, folder
    fsynced: a reader sees the old manifest or the whole new one, also after a crash."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _parse(data: object, folder: Path) -> Manifest:
    if not isinstance(data, dict) or data.get("jurisgate_policy_manifest") != FORMAT:
        raise ValueError(f'"jurisgate_policy_manifest" must be {FORMAT}')
    version, published_at, files = data.get("version"), data.get("published_at"), data.get("files")
    if version is not None and not isinstance(version, str):
        raise ValueError('"version" must be a string or null')
    if not isinstance(published_at, str):
        raise ValueError('"published_at" must be a string')
    if not isinstance(files, list) or not files:
        raise ValueError('"files" must be a non-empty list')
    digests: dict[Path, str] = {}
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != {"path", "sha256"}:
            raise ValueError('each of "files" must be {"path": ..., "sha256": ...}')
        name, digest = entry["path"], entry["sha256"]
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ValueError('"path" must be a file name or path')
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise ValueError(f'"sha256" of {name} must be 64 lower-case hex digits')
        digests[_absolute(folder / name)] = digest
    if len(digests) != len(files):
        raise ValueError('"files" names a file twice')
    return Manifest(digests, version, published_at)


def _absolute(path: Path) -> Path:
    # Not resolve(): symbolic links (a Kubernetes ConfigMap swaps one) are followed when read.
    return Path(os.path.normpath(os.path.abspath(path)))


def _relative(file: Path, folder: Path) -> str:
    absolute, base = _absolute(file), _absolute(folder)
    return str(absolute.relative_to(base)) if absolute.is_relative_to(base) else str(absolute)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
