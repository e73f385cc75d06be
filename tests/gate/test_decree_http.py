"""The consent decree's structure over HTTP: the gate answers the issue's cases as ``jurisgate
explain`` does (tests/cli/test_explain.py states the same cases for the command line; they are
restated here on purpose, so each side fails on its own)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from jurisgate.admin.files import engine_for_config
from jurisgate.middleware import FixedClock
from jurisgate.middleware.offline import decide_claims

if TYPE_CHECKING:
    from tests.conftest import ClientFactory, ExampleStack, TokenFactory

pytestmark = pytest.mark.anyio

TODAY = "2026-11-26T12:00:00Z"
ISP = {"entity_type": "state_law_enforcement", "country": "US", "region": "IL",
       "agency_region": "US-IL"}  # fmt: skip
# claims, instant -> status, rule (the bundled pack, strict reading)
CASES: list[tuple[dict[str, str], str, int, str]] = [
    (
        {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN",
         "agency_region": "US-IL"},
        TODAY, 451, "il-agencies-five-years",
    ),
    (
        {"entity_type": "government_contractor", "agency_type": "local_law_enforcement",
         "agency_region": "US-IL", "country": "US", "region": "US-TX"},
        TODAY, 451, "il-agencies-five-years",
    ),
    (
        {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
         "agency_region": "US", "country": "US", "region": "US-VA"},
        TODAY, 200, "us-contractor-search",
    ),
    (
        {"entity_type": "federal_law_enforcement", "capacity": "personal", "country": "US",
         "region": "US-VA"},
        TODAY, 451, "us-personal-capacity",
    ),
    (
        {"entity_type": "local_law_enforcement", "country": "PR", "agency_region": "PR"},
        TODAY, 200, "us-government-search",
    ),
    ({"entity_type": "private_company", "country": "PR"}, TODAY, 451, "us-private-permanent"),
    (ISP, "2027-05-11T03:00:00Z", 451, "il-agencies-five-years"),
    (ISP, "2027-05-11T06:00:00Z", 200, "us-government-search"),
]  # fmt: skip


def signed(tokens: TokenFactory, at: float, claims: dict[str, str], subject: str = "c") -> str:
    payload = tokens.claims(at, subject=subject)
    payload.update(claims)
    return tokens.sign(payload)


GateApp = Callable[[Path, str], Starlette]


@pytest.fixture
def gate_app(example_routes: list[BaseRoute], example_stack: ExampleStack) -> GateApp:
    """``gate_app(config, at)``: the example's routes behind a gate on ``config`` at ``at``,
    the result filter inside it."""
    return lambda config, at: example_stack(example_routes, config, FixedClock(at))


async def ask(
    http: ClientFactory, app: Starlette, token: str, path: str = "/search"
) -> tuple[int, Any]:
    async with http(app) as client:
        response = await client.get(path, headers={"authorization": f"Bearer {token}"})
    body = response.json()
    rule = body.get("rule") if response.status_code != 200 else None
    return response.status_code, rule


@pytest.mark.parametrize(("claims", "at", "status", "rule"), CASES)
async def test_the_gate_answers_the_decree_cases_as_explain_does(
    gate_app: GateApp,
    dev_config: Path,
    http: ClientFactory,
    tokens: TokenFactory,
    claims: dict[str, str],
    at: str,
    status: int,
    rule: str,
) -> None:
    clock = FixedClock(at)
    token = signed(tokens, clock.now(), claims)
    app = gate_app(dev_config, at)
    async with http(app) as client:
        headers = {"authorization": f"Bearer {token}"}
        first = await client.get("/search", headers=headers)
        again = await client.get("/search", headers=headers)  # from the gate's memory
    assert (first.status_code, again.status_code) == (status, status)
    if status != 200:
        assert first.json()["rule"] == again.json()["rule"] == rule
    offline = decide_claims(
        engine_for_config(str(dev_config)), claims, "GET", "/search", clock.now()
    )
    assert (offline.status, offline.rule) == (status, rule)


async def test_a_remembered_official_decision_never_answers_a_personal_account(
    example_app: Starlette, http: ClientFactory, tokens: TokenFactory, clock: FixedClock
) -> None:
    """Same subject, same issuer, same office: only the capacity differs."""
    officer = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-VA"}
    official = signed(tokens, clock.now(), officer, "agent-9")
    personal = signed(tokens, clock.now(), {**officer, "capacity": "personal"}, "agent-9")
    assert await ask(http, example_app, official) == (200, None)
    assert await ask(http, example_app, official) == (200, None)
    assert await ask(http, example_app, personal) == (451, "us-personal-capacity")


@pytest.fixture
def decree_text_config(dev_config: Path, tmp_path: Path) -> Path:
    """The development config with ``[policy] bundled_reading = "decree_text"``."""
    config = tmp_path / "jurisgate.toml"
    text = dev_config.read_text(encoding="utf-8")
    key = dev_config.parent / "dev_idp_public.pem"
    config.write_text(
        text.replace('"dev_idp_public.pem"', f'"{key}"')
        + '\n[policy]\nbundled_reading = "decree_text"\n',
        encoding="utf-8",
    )
    return config


async def test_the_decree_text_reading_over_http(
    gate_app: GateApp,
    dev_config: Path,
    decree_text_config: Path,
    http: ClientFactory,
    tokens: TokenFactory,
) -> None:
    config = decree_text_config
    now = FixedClock(TODAY).now()
    fbi_chicago = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"}
    token = signed(tokens, now, fbi_chicago)
    strict = gate_app(dev_config, TODAY)
    decree = gate_app(config, TODAY)
    assert await ask(http, strict, token) == (451, "il-located-five-years")
    assert await ask(http, decree, token) == (200, None)
    isp = signed(tokens, now, ISP)
    assert await ask(http, decree, isp) == (451, "il-agencies-five-years")


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"entity_type": "state_agency", "country": "US", "region": "US-TX"},
         "missing_agency_region"),
        ({"entity_type": "government_contractor", "agency_region": "US", "country": "US",
          "region": "US-VA"}, "missing_agency_type"),
        ({"entity_type": "state_agency", "agency_region": "US", "country": "US",
          "region": "US-TX"}, "agency_region_mismatch"),
        ({"entity_type": "private_company", "agency_region": "US-TX", "country": "US",
          "region": "US-TX"}, "invalid_agency_region"),
        ({"entity_type": "individual", "capacity": "Personal", "country": "US",
          "region": "US-TX"}, "invalid_capacity"),
    ],
)  # fmt: skip
async def test_unusable_agency_claims_are_403_with_their_code(
    example_app: Starlette,
    http: ClientFactory,
    tokens: TokenFactory,
    clock: FixedClock,
    claims: dict[str, str],
    code: str,
) -> None:
    token = signed(tokens, clock.now(), claims)
    async with http(example_app) as client:
        response = await client.get("/search", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["type"] == f"urn:jurisgate:problem:{code}"
