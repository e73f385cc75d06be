"""``ResultPaths.find`` with its shortcuts (one ``startswith`` for every subtree, no resolving
of a path with a single spelling) finds exactly what matching every table against the path
and its canonical spelling finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import ResultRoute
from jurisgate.middleware.results.route_paths import ResultPaths
from tests.fixtures.paths import resolved_path

SEGMENTS = st.sampled_from(["search", "people", "clusters", "x", "", ".", "..", "searchx"])
PATHS = st.lists(SEGMENTS, max_size=5).map(lambda parts: "/" + "/".join(parts))
ROUTE_PATHS = st.lists(
    st.lists(st.sampled_from(["search", "people", "clusters", "x"]), min_size=1, max_size=3).map(
        lambda parts: "/" + "/".join(parts)
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


def slow_find(routes: list[ResultRoute], path: str) -> ResultRoute | None:
    """The lookup restated on purpose as the oracle: an exact table first (the first listed),
    else the longest subtree holding the path; the path as routed, then its canonical
    spelling."""

    def match(candidate: str) -> ResultRoute | None:
        for route in routes:
            base = route.path.removesuffix("/*")
            if candidate == base:
                return route
        under = [r for r in routes if r.path.endswith("/*") and candidate.startswith(r.path[:-1])]
        return max(under, key=lambda r: len(r.path), default=None)

    return match(path) or match(resolved_path(path))


@settings(max_examples=400)
@given(ROUTE_PATHS, st.lists(st.booleans(), min_size=4, max_size=4), PATHS)
def test_find_is_the_slow_lookup(bases: list[str], subtree: list[bool], path: str) -> None:
    routes = [
        ResultRoute(base + "/*" if tree else base, items="results")
        for base, tree in zip(bases, subtree, strict=False)
    ]
    assert ResultPaths(routes).find(path) is slow_find(routes, path)
