"""The result filter over HTTP with ``[[results]] collected_at`` configured and an admin's
``p2`` rule with a collection window, read from a real jurisgate.toml."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import FixedClock, ResultFilterMiddleware, load_config
from jurisgate.middleware.config.loading import item_policy_of
from jurisgate.middleware.subjects import FixedSuppressions

pytestmark = pytest.mark.anyio
DEV_KEY = Path(__file__).resolve().parents[2] / "examples" / "dev" / "dev_idp_public.pem"
RULE = (
    "p2, il-collected-during-ban, suppress, collected_in, US-IL, 2022-05-11, , refuse, "
    '"photos collected in Illinois during the ban", "an order", https://example.org/order, '
    "2022-05-11..2027-05-11T05:00:00Z\n"
)
FACES = [
    {"id": "before", "source_region": "US-IL", "taken": "2022-05-10T23:59:59Z"},
    {"id": "first-second", "source_region": "US-IL", "taken": "2022-05-11T00:00:00Z"},
    {"id": "last-second", "source_region": "US-IL", "taken": 1810011599},
    {"id": "after", "source_region": "US-IL", "taken": "2027-05-11T05:00:00Z"},
    {"id": "naive", "source_region": "US-IL", "taken": "2024-01-01T00:00:00"},
    {"id": "untold", "source_region": "US-IL"},
    {"id": "new-york", "source_region": "US-NY", "taken": "2024-01-01T00:00:00Z"},
]


async def search(request: Request) -> JSONResponse:
    return JSONResponse({"total": len(FACES), "results": FACES})


def app(tmp_path: Path) -> Starlette:
    (tmp_path / "mine.csv").write_text(RULE, encoding="utf-8")
    config_file = tmp_path / "jurisgate.toml"
    config_file.write_text(
        "[[issuers]]\n"
        'issuer = "https://idp.test"\naudience = "face-search-api"\nalgorithms = ["RS256"]\n'
        f'public_key_file = "{DEV_KEY}"\n'
        '[[results]]\npath = "/search"\nitems = "results"\ncounts = ["total"]\n'
        'collected_at = "taken"\n'
        '[items]\npacks = []\nfiles = ["mine.csv"]\n',
        encoding="utf-8",
    )
    config = load_config(config_file)
    filtered = Middleware(
        ResultFilterMiddleware,
        routes=config.results,
        suppressions=FixedSuppressions(set()),
        policy=item_policy_of(config.policy, config.items),
        clock=FixedClock("2030-01-01T00:00:00Z"),  # the rule is in force: it has no end
    )
    return Starlette(routes=[Route("/search", search)], middleware=[filtered])


async def test_only_entries_collected_in_the_window_or_untold_are_removed(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/search")
    assert answer.status_code == 200
    document = answer.json()
    assert [face["id"] for face in document["results"]] == ["before", "after", "new-york"]
    assert document["total"] == 3
    assert int(answer.headers["content-length"]) == len(answer.content)
