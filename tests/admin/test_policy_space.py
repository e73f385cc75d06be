"""The finite input space: one representative per class of inputs no rule tells apart."""

from __future__ import annotations

import math

from jurisgate.adapters import read_policy_csv
from jurisgate.admin.policy_space import OTHER_METHOD, OTHER_PATH, policy_space
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.rules import RULE_FIELDS, parse_rules
from jurisgate.middleware.decision.values import Rule


def rules(*lines: str) -> tuple[Rule, ...]:
    return parse_rules(read_policy_csv("\n".join(lines), "t.csv"), RULE_FIELDS)


def test_a_subtree_is_split_only_where_a_rule_tells_its_parts_apart() -> None:
    merged = policy_space([rules("p, a, allow, *, US, *, *, *, *, /search/*, GET, , , ,")])
    assert sorted({r.path for r in merged.routes}) == sorted(["/search", OTHER_PATH])
    split = policy_space(
        [
            rules(
                "p, a, allow, *, US, *, *, *, *, /search/*, GET, , , ,",
                "p, b, deny, *, US, *, *, *, *, /search, GET, , , x, https://x.test",
            )
        ]
    )
    assert sorted({r.path for r in split.routes}) == sorted(["/search", "/search/*", OTHER_PATH])


def test_every_named_method_and_any_other() -> None:
    exact = policy_space([rules("p, a, allow, *, US, *, *, *, *, /s, GET|POST, , , ,")])
    assert {r.method for r in exact.routes} == {"GET", "POST", OTHER_METHOD}
    wild = policy_space(
        [
            rules(
                "p, a, allow, *, US, *, *, *, *, /s, GET, , , ,",
                "p, b, deny, individual, US, *, *, *, *, *, *, , , x, https://x.test",
            )
        ]
    )
    assert {r.method for r in wild.routes} == {"GET", OTHER_METHOD}


def test_locations_named_regions_other_regions_and_no_region() -> None:
    space = policy_space([rules("p, a, allow, *, *, UA-30|US-IL, *, *, *, /s, GET, , , ,")])
    labels = [
        c.label for c in space.clients if c.entity == "state_agency" and c.capacity == "official"
    ]
    assert labels == [
        "US-IL",
        "US (any other region)",
        "UA-30",
        "UA (any other region)",
        "UA (no region)",
        "any other country",
    ]
    other_us = next(c for c in space.clients if c.label == "US (any other region)")
    assert "US-IL" not in other_us.regions
    assert other_us.region in other_us.regions
    assert [c.entity for c in space.clients].count("anonymous") == 1


def test_periods_start_at_every_boundary() -> None:
    space = policy_space(
        [rules("p, a, allow, *, US, *, *, *, *, /s, GET, 2022-05-11, 2027-05-11, ,")],
    )
    start, end = parse_instant("2022-05-11"), parse_instant("2027-05-11")
    assert space.instants == (start - 86_400, start, end)
    assert space.ends == (start, end, math.inf)
    limited = policy_space(
        [rules("p, a, allow, *, US, *, *, *, *, /s, GET, 2022-05-11, 2027-05-11, ,")],
        start=parse_instant("2026-01-01"),
        end=parse_instant("2030-01-01"),
    )
    assert limited.instants == (parse_instant("2026-01-01"), end)
    assert limited.ends == (end, parse_instant("2030-01-01"))


def test_every_us_region_on_its_own_for_pictures() -> None:
    space = policy_space(
        [rules("p, a, allow, *, US, *, *, *, *, /s, GET, , , ,")], us_regions_each=True
    )
    us = [c for c in space.clients if c.entity == "individual" and c.country == "US"]
    assert len(us) > 50
    assert all(c.regions == (c.region,) == (c.label,) for c in us)
