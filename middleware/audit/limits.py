"""The size limits of an audit record's fields: what a client chooses (the path, the method)
is cut to a documented length, so no request can make its record, or the audit file, large.

A cut value keeps its beginning and ends with a marker that says how much was cut and a
SHA-256 prefix of the whole value, so a record can still be matched to a request seen
elsewhere (a proxy's log):

    /search/aaaa...aaaa…[cut 61440 chars, sha256:3f0c5e1a9b2d7c44]

The other fields are bounded where they come from: the subject by the token checks (at most
256 characters), issuers, rules, citations and policy versions by the configuration and the
policy, claims by the claims contract, reasons and tiers by the gate's own codes.
"""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = ["MAX_METHOD_CHARS", "MAX_PATH_CHARS", "clipped", "clipped_method", "clipped_path"]

MAX_PATH_CHARS: Final = 1024
MAX_METHOD_CHARS: Final = 32


def clipped(value: str, limit: int) -> str:
    """``value`` if it has at most ``limit`` characters; else its first ``limit`` and a
    marker (about 50 characters more)."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{value[:limit]}…[cut {len(value) - limit} chars, sha256:{digest}]"


def clipped_path(path: str) -> str:
    return path if len(path) <= MAX_PATH_CHARS else clipped(path, MAX_PATH_CHARS)


def clipped_method(method: str) -> str:
    return method if len(method) <= MAX_METHOD_CHARS else clipped(method, MAX_METHOD_CHARS)
