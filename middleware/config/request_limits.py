"""``[requests]``: how long a path the gate will look at. A longer one is refused with 414
before any per-path work (no token check, no cache key, no policy lookup): the cost of
deciding, the caches' keys and the audit records all grow with the path, and a client must not
be able to choose that cost."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .table import Table, build

__all__ = ["DEFAULT_MAX_PATH_BYTES", "RequestLimits", "parse_requests", "path_too_long"]

DEFAULT_MAX_PATH_BYTES: Final = 4096
_MIN_PATH_BYTES: Final = 256
_MAX_PATH_BYTES: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """``max_path_bytes``: the longest path served, in bytes of its UTF-8 form (the ASGI
    ``path``, percent-decoded; the query string is the server's to limit); defaults to 4096."""

    max_path_bytes: int = DEFAULT_MAX_PATH_BYTES

    def __post_init__(self) -> None:
        if isinstance(self.max_path_bytes, bool) or not isinstance(self.max_path_bytes, int):
            raise TypeError("max_path_bytes must be an int")
        if not _MIN_PATH_BYTES <= self.max_path_bytes <= _MAX_PATH_BYTES:
            raise ValueError(
                f"max_path_bytes must be between {_MIN_PATH_BYTES} and {_MAX_PATH_BYTES}"
            )


def path_too_long(path: str, max_bytes: int) -> bool:
    """Over ``max_bytes`` as UTF-8. Constant time for the usual ASCII path (``len`` and
    ``isascii`` read the string's header); a non-ASCII one within the limit in characters is
    encoded, so the work stays bounded by the limit."""
    if len(path) > max_bytes:
        return True
    if path.isascii():
        return False
    return len(path.encode("utf-8", "surrogatepass")) > max_bytes


def parse_requests(data: object, file: Path) -> RequestLimits:
    """``[requests]``: ``max_path_bytes`` (defaults to 4096)."""
    table = Table(data, "requests", file, ("max_path_bytes",))
    max_path_bytes = table.get("max_path_bytes", int, DEFAULT_MAX_PATH_BYTES)
    return build(table, lambda: RequestLimits(max_path_bytes=max_path_bytes))
