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

from urllib.parse import unquote

from starlette.types import Scope

from .paths import canonical_path

__all__ = ["routed_path", "strip_root"]


def routed_path(scope: Scope) -> str | None:
    """The path to decide, as sent below the root path; None when it was rewritten."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    raw: bytes | None = scope.get("raw_path")
    if raw is not None:
        sent = raw.decode("latin-1")
        if "%" in sent:
            sent = unquote(sent)  # as servers decode it (uvicorn, hypercorn)
        if sent != path:
            # The framework stripped the root path itself (Litestar): path is already routed.
            if root and (
                root + path == sent or canonical_path(root + path) == canonical_path(sent)
            ):
                return path
            if canonical_path(path) != canonical_path(sent):
                return None  # rewritten relative to a mount, or by a decoding of its own
    return strip_root(path, scope.get("app_root_path", root))


def strip_root(path: str, root: str) -> str:
    """``path`` below ``root``, as Starlette's router sees it (``get_route_path``), except that
    the root itself reads as ``/``."""
    if not root or not path.startswith(root):
        return path
    if len(path) == len(root):
        return "/"
    return path[len(root) :] if path[len(root)] == "/" else path
