"""routed_path: the scope each server or framework hands over, and the path the app routes.

The scopes are written as uvicorn 0.55, hypercorn 0.18, Starlette's Mount and Litestar 2 build
them (read from their sources; the integration tests run the real ones)."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from jurisgate.middleware.claims.routed_path import routed_path, strip_root


def scope(path: str, raw: bytes | None, root: str = "", **extra: str) -> Scope:
    built: Scope = {"type": "http", "method": "GET", "path": path, "root_path": root, **extra}
    if raw is not None:
        built["raw_path"] = raw
    return built


@pytest.mark.parametrize(
    ("given", "routed"),
    [
        # no root path: the path as sent, dot segments and all (policy_paths checks both)
        (scope("/search", b"/search"), "/search"),
        (scope("/search/../health", b"/search/%2E%2E/health"), "/search/../health"),
        (scope("/search", None), "/search"),
        # uvicorn --root-path /api: the prefix in path and raw_path
        (scope("/api/search", b"/api/search", "/api"), "/search"),
        (scope("/api", b"/api", "/api"), "/"),
        (scope("/api/api/search", b"/api/api/search", "/api"), "/api/search"),
        # hypercorn --root-path /api: the target as sent; outside the prefix, routed as it is
        (scope("/search", b"/search", "/api"), "/search"),
        (scope("/apix/search", b"/apix/search", "/api"), "/apix/search"),
        # Litestar strips the root path itself before its middleware run
        (scope("/search", b"/api/search", "/api"), "/search"),
        (scope("/search", b"/api//search/", "/api"), "/search"),
        (scope("/api/x", b"/api/api/x", "/api"), "/api/x"),  # the app's own /api/x
        # a Starlette Mount("/v2") inside a uvicorn --root-path /api deployment: the whole
        # application's path, not the mount's
        (scope("/api/v2/search", b"/api/v2/search", "/api/v2", app_root_path="/api"), "/v2/search"),
        (scope("/v2/search", b"/v2/search", "/v2", app_root_path=""), "/v2/search"),
        # percent-escapes decode as the servers decode them
        (scope("/search/a b", b"/search/a%20b"), "/search/a b"),
        (scope("/faces/~73ecrets", b"/faces/~73ecrets"), "/faces/~73ecrets"),
    ],
)
def test_the_path_the_app_routes(given: Scope, routed: str) -> None:
    assert routed_path(given) == routed


@pytest.mark.parametrize(
    "given",
    [
        # Litestar inside @asgi("/v2", is_mount=True): the path relative to the mount
        scope("/search/x/", b"/v2/search/x"),
        scope("/docs/x/", b"/api/v2/docs/x", "/api"),
        # a path that no decoding of what was sent explains
        scope("/search", b"/health"),
        scope("/search", b"/%2573earch"),
    ],
)
def test_a_rewritten_path_is_refused(given: Scope) -> None:
    assert routed_path(given) is None


def test_strip_root_follows_starlette() -> None:
    from starlette._utils import get_route_path

    for path, root in [("/api/x", "/api"), ("/apix", "/api"), ("/x", "/api"), ("/x", "")]:
        assert strip_root(path, root) == get_route_path({"path": path, "root_path": root})
