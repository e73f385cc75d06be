"""The path the policy decides: the one the application's router routes, below the deployment's
root path, or None when the scope's path was rewritten in a way the gate cannot trust.

ASGI servers hand over the deployment prefix (``--root-path /api``) in ``root_path`` and, for
uvicorn, in ``path`` and ``raw_path`` too (a client's ``/search`` arrives as ``/api/search``;
hypercorn passes the target as sent). Starlette's router strips ``root_path`` before it
matches, and so does the gate, with the same rule: only a whole leading segment run is
stripped, and a path outside the prefix is routed as it is. Inside a Starlette ``Mount`` the
gate strips only the server's prefix (``app_root_path``), never the mount's: rows are written
for the paths of the whole application, whatever sub-app the gate was added to.

Frameworks that route before their middleware run may hand a middleware a path relative to a
mount (Litestar: ``/v2/search/x`` becomes ``/search/x``). ``raw_path`` is what the client
sent; when it does not decode to ``path``, and no stripped root path or slash normalization
explains the difference, the path was rewritten and the request is refused (fail closed).
A scope without ``raw_path`` (the field is optional in ASGI) is taken as it is.
"""

from __future__ import annotations

import contextlib
from urllib.parse import unquote

from starlette.types import Scope

from .paths import canonical_path

__all__ = ["routed_path", "strip_root"]


def routed_path(scope: Scope) -> str | None:
    """The path to decide, as sent below the root path; None when it was rewritten."""
    path: str = scope["path"]
    raw: bytes | None = scope.get("raw_path")
    if raw is not None and raw.decode("latin-1") != path:
        return _reconciled(scope, path, raw)
    # On every request: two dictionary reads when there is no root path (a Starlette Mount's
    # app_root_path is a prefix of root_path, so an empty root_path means no prefix at all).
    root: str | None = scope.get("root_path")
    if not root:
        return path
    return strip_root(path, scope.get("app_root_path", root))


def _reconciled(scope: Scope, path: str, raw: bytes) -> str | None:
    """``path`` differs from the bytes sent: the routed path if a server's decoding, slashes
    or a root path stripped by the framework explain it, else None."""
    sent = unquote(raw.decode("latin-1"))  # as uvicorn and hypercorn decode it
    if sent != path and not raw.isascii():  # bytes sent unencoded: UTF-8 is what they meant
        # Not UTF-8 either: compared as latin-1, which will not match.
        with contextlib.suppress(UnicodeDecodeError):
            sent = unquote(raw.decode("utf-8"))
    if sent == path or canonical_path(sent) == canonical_path(path):
        root = scope.get("app_root_path", scope.get("root_path", ""))
        return strip_root(path, root)
    root = scope.get("root_path", "")
    if root and canonical_path(root + path) == canonical_path(sent):
        return path  # the framework stripped the root path itself (Litestar): already routed
    return None


def strip_root(path: str, root: str) -> str:
    """``path`` below ``root``, as Starlette's router sees it (``get_route_path``), except that
    the root itself reads as ``/``."""
    if not root or not path.startswith(root):
        return path
    if len(path) == len(root):
        return "/"
    return path[len(root) :] if path[len(root)] == "/" else path
