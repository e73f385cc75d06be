"""The path the policy sees: one spelling per resource, so ``//search``, ``/search/`` and
``/search/./x/..`` cannot slip past a rule written for ``/search``."""

from __future__ import annotations

__all__ = ["canonical_method", "canonical_path", "policy_paths", "single_spelling"]


def canonical_path(path: str) -> str:
    """Collapse duplicate slashes, resolve ``.``/``..``, drop a trailing slash (as Starlette's
    redirect_slashes does). ``path`` is the ASGI scope path, already percent-decoded once."""
    if single_spelling(path):
        return path
    resolved: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if resolved:
                resolved.pop()
            continue
        resolved.append(segment)
    return "/" + "/".join(resolved)


def single_spelling(path: str) -> bool:
    """True when ``canonical_path`` leaves ``path`` as it is: it starts with a slash and has
    no empty, ``.`` or ``..`` segment and no trailing slash (every segment is non-empty and
    does not start with a dot). False says only that it may not."""
    return (
        "/." not in path
        and "//" not in path
        and path[:1] == "/"
        and (path[-1] != "/" or len(path) == 1)
    )


def policy_paths(path: str) -> tuple[str, ...]:
    """Every spelling the policy must allow: the canonical path and, when it differs, the path
    as sent, which is what the router matches (Starlette resolves no dot segments). A request
    passes only if all pass, so ``/search/../health`` (served by a ``/search/{rest:path}``
    route) cannot borrow the public ``/health``'s rights."""
    canonical = canonical_path(path)
    return (canonical,) if canonical == path else (canonical, path)


def canonical_method(method: str) -> str:
    """HEAD is served by GET routes in Starlette, so the policy sees it as GET."""
    return "GET" if method == "HEAD" else method
