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


ROOTS = st.sampled_from(["", "/api", "/v1/people", "/search"])


@settings(max_examples=400)
@given(ROUTE_PATHS, st.lists(st.booleans(), min_size=4, max_size=4), PATHS, ROOTS)
def test_a_path_no_table_may_cover_is_covered_by_none(
    bases: list[str], subtree: list[bool], path: str, root: str
) -> None:
    """``may_cover`` may say yes to a path no table covers, never no to one a table covers,
    in any spelling, nor to the whole path of which a root path was stripped."""
    routes = [
        ResultRoute(base + "/*" if tree else base, items="results")
        for base, tree in zip(bases, subtree, strict=False)
    ]
    paths = ResultPaths(routes)
    if slow_find(routes, path) is not None:
        assert paths.may_cover(path)
        assert paths.may_cover(root + path)


def test_may_cover_looks_for_the_longest_segment_of_each_table() -> None:
    paths = ResultPaths([ResultRoute("/v1/people/*", items="r"), ResultRoute("/search", items="r")])
    assert paths.needles == ("people", "search")
    for path in ("/health", "/", "/v1/other", "/v1", "/peopl"):
        assert not paths.may_cover(path), path
    for path in ("/v1/people/7", "//v1//people", "/x/../v1/people/./7", "/api/search/"):
        assert paths.may_cover(path), path
        assert paths.find(path.removeprefix("/api")) is not None, path
    # Also where no table would match: a yes says only "look it up".
    assert paths.may_cover("/peoples")
    assert paths.find("/peoples") is None


def test_a_table_on_the_root_may_cover_every_path() -> None:
    for root in ("/", "/*"):
        paths = ResultPaths([ResultRoute("/search", items="r"), ResultRoute(root, items="r")])
        assert paths.needles is None
        assert paths.may_cover("/health")
        assert paths.may_cover("")
