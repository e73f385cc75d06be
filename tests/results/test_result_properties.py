"""For any configured shape and any suppressions: no suppressed entry in the output, every
other entry unchanged and in order, counts lowered by what was removed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import ResultRoute

from .asgi_harness import json_answer, run, scripted

IDS = [f"face-{n}" for n in range(20)]
REGIONS = ["US-NY", "US-TX", "US-CA", "BR-SP", "JP-13"]  # no item rule names these places
KEYS = st.sampled_from(["results", "hits", "data", "faces", "people"])

entries = st.lists(
    st.builds(
        lambda i, r, x: {"id": i, "where": r, "extra": x},
        st.sampled_from(IDS),
        st.sampled_from(REGIONS),
        st.integers(),
    ),
    max_size=12,
)


@st.composite
def shapes(draw: st.DrawFn) -> tuple[ResultRoute, Any, list[list[dict[str, Any]]]]:
    """A route and an answer of its shape: the entry lists at a depth of 0-2 ``[*]`` steps."""
    outer = draw(st.lists(KEYS, min_size=0, max_size=2, unique=True))
    inner = draw(KEYS.filter(lambda k: k not in outer))
    lists: list[list[dict[str, Any]]] = []

    def level(depth: int) -> dict[str, Any]:
        if depth == len(outer):
            found = draw(entries)
            lists.append(found)
            return {inner: found, "n": len(found)}
        children = draw(st.lists(st.just(None), max_size=3))
        return {outer[depth]: [level(depth + 1) for _ in children], "label": "x"}

    document = level(0)
    document["total"] = sum(len(found) for found in lists)
    prefix = "".join(f"{key}[*]." for key in outer)
    counts = ("total", f"{prefix}n") if outer else ("total", "n")
    route = ResultRoute(path="/search", items=f"{prefix}{inner}", region="where", counts=counts)
    return route, document, lists


@settings(max_examples=150, deadline=None)
@given(shapes(), st.frozensets(st.sampled_from(IDS)))
def test_any_shape_any_suppressions(
    shape: tuple[ResultRoute, Any, list[list[dict[str, Any]]]], suppressed: frozenset[str]
) -> None:
    route, document, lists = shape
    sent = json.loads(json.dumps(document))  # what the app sends, before we filter
    status, _, body, _ = asyncio.run(
        run(scripted(json_answer(document)), route, suppressed=sorted(suppressed))
    )
    assert status == 200
    got = json.loads(body)
    # Oracle restated on purpose: walk the answer the way the configuration says.
    got_lists = collect(got, route.items)
    assert len(got_lists) == len(lists)
    for before, after in zip(lists, got_lists, strict=True):
        assert after == [e for e in before if e["id"] not in suppressed]
    removed = sum(len(b) for b in lists) - sum(len(a) for a in got_lists)
    assert got["total"] == sent["total"] - removed


def collect(document: Any, items: str) -> list[list[Any]]:
    holders = [document]
    *steps, last = items.split(".")
    for step in steps:
        key = step.removesuffix("[*]")
        holders = [child for holder in holders for child in holder[key]]
    for holder in holders:  # every holder's own count matches its list
        assert holder["n"] == len(holder[last])
    return [holder[last] for holder in holders]
