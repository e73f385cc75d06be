"""``single_spelling`` is the shortcut that lets ``canonical_path`` and the ``[[results]]``
lookup skip resolving a path: it must only ever say True of a path that resolving leaves as it
is, and say it of every path the full check's fast path (before the shortcut) passed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jurisgate.middleware.claims.paths import canonical_path, single_spelling
from tests.fixtures.paths import resolved_path

# Paths made of the pieces that matter to resolving (slashes, dots, empty segments), and any
# text at all.
PIECES = st.sampled_from(["/", "//", ".", "..", "/.", "/..", "a", "search", ".x", "x.", "%2e", ""])
PATHS = st.one_of(st.lists(PIECES, max_size=8).map("".join), st.text(max_size=20))


def fast_path_before(path: str) -> bool:
    """canonical_path's own shortcut as it was written before ``single_spelling``."""
    return (
        "//" not in path
        and "/." not in path
        and (len(path) == 1 or not path.endswith("/"))
        and path.startswith("/")
    )


@given(PATHS)
def test_a_single_spelling_is_its_own_resolution(path: str) -> None:
    if single_spelling(path):
        assert resolved_path(path) == path
    assert single_spelling(path) == fast_path_before(path)


@given(PATHS)
def test_canonical_path_is_the_full_resolution(path: str) -> None:
    assert canonical_path(path) == resolved_path(path)
