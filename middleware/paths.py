"""The path the policy sees: one spelling per resource, so ``//search``, ``/search/`` and
``/search/./x/..`` cannot slip past a rule written for ``/search``."""

from __future__ import annotations

__all__ = ["canonical_method", "canonical_path", "policy_paths", "routed_path"]


def canonical_path(path: str) -> str:
    """Collapse duplicate slashes, resolve ``.``/``..``, drop a trailing slash (as Starlette's
    redirect_slashes does). ``path`` is the ASGI scope path, already percent-decoded once."""
    if (
        "//" not in path
        and "/." not in path
        and (len(path) == 1 or not path.endswith("/"))
        and path.startswith("/")
    ):
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


def routed_path(path: str) -> str:
    """The path as a router that does not resolve dot segments matches it (Starlette does not):
    duplicate and trailing slashes dropped, ``.`` and ``..`` kept as literal segments."""
    segments = [segment for segment in path.split("/") if segment]
    return "/" + "/".join(segments)


def policy_paths(path: str) -> tuple[str, ...]:
    """Every spelling the policy must allow: the canonical path, and when dot segments make the
    router see another resource (``/search/../health`` is served by a ``/search/{rest:path}``
    route, not by ``/health``), the routed spelling too. A request passes only if all pass."""
    canonical = canonical_path(path)
    if "." not in path:
        return (canonical,)
    routed = routed_path(path)
    return (canonical,) if routed == canonical else (canonical, routed)


def canonical_method(method: str) -> str:
    """HEAD is served by GET routes in Starlette, so the policy sees it as GET."""
    return "GET" if method == "HEAD" else method
