"""README.md's "What it decides" table stays true: each row, read as claims, is decided by the
bundled pack as the row says (explain's path, which the gate shares)."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from jurisgate.admin.files import engine_for, policy_files_for
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.offline import decide_claims

README = Path(__file__).resolve().parents[1] / "README.md"
TODAY = parse_instant("2026-11-26T12:00:00Z")  # the table's "2026-11"


def table_rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## What it decides", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def claims_of(row: list[str]) -> dict[str, str]:
    client, entity, region, agency, _ = row
    claims = {"entity_type": entity.split(",")[0].strip()}
    claims.update(dict(re.findall(r"`(\w+)` (\w+)", entity)))
    claims["country"] = "PR" if "`country: PR`" in client else "US"
    if region.startswith("(country "):
        claims["country"] = region.removeprefix("(country ").rstrip(")")
    elif region != "(none)":
        claims["region"] = region
    if agency and not agency.startswith("(") and "(default)" not in agency:
        claims["agency_region"] = agency
    return claims


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0])
def test_every_row_is_decided_as_written(row: list[str]) -> None:
    status, *rest = row[-1].split(" ", 1)
    named = re.findall(r"`([\w-]+)`", rest[0]) if rest else []
    answer = decide_claims(
        engine_for(policy_files_for(None)), claims_of(row), "GET", "/search", TODAY
    )
    assert answer.status == int(status), answer.reason
    if answer.rule is not None or not named:
        assert answer.rule == (named[0] if named else None)
    else:  # claims the gate cannot use: the row names the problem's code
        assert named[0] in answer.reason


def test_the_table_covers_the_decree_cases() -> None:
    assert len(table_rows()) >= 15


def demo_client(demo: ModuleType, row: list[str]) -> tuple[str, dict[str, str]]:
    """The demo's client for a table row: its label starts with the row's client name."""
    name = re.sub(r" \(`[^)]*`\)$", "", row[0])
    clients: dict[str, tuple[str, dict[str, str]]] = demo.CLIENTS
    found = [(label, claims) for label, claims in clients.values() if label.startswith(name)]
    assert found, f"the demo prints no token for README's {row[0]!r}"
    return found[0]


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0])
def test_the_demo_prints_every_row_and_is_answered_as_written(
    demo: ModuleType, row: list[str]
) -> None:
    _, claims = demo_client(demo, row)
    status = int(row[-1].split(" ", 1)[0])
    answer = decide_claims(engine_for(policy_files_for(None)), claims, "GET", "/search", TODAY)
    assert answer.status == status, answer.reason
