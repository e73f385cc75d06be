"""A tiny protected app and an HTTP client for it, shared by the Redis tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.middleware import (
    CacheSettings,
    FixedClock,
    JurisdictionMiddleware,
    PolicySettings,
    TrustedIssuer,
)
from jurisgate.middleware.cache import DecisionCache
from jurisgate.middleware.policy_publish import publish_policy
from jurisgate.policies import pack_files

from .conftest import AT, CACHE_SECRET

# (entity_type, country, region, expected status) from the README's decision table.
TABLE: Sequence[tuple[str, str, str | None, int]] = (
    ("federal_law_enforcement", "US", "US-DC", 200),
    ("federal_law_enforcement", "US", "US-IL", 451),
    ("state_law_enforcement", "US", "US-IL", 451),
    ("local_law_enforcement", "US", "US-NY", 200),
    ("state_agency", "US", "US-TX", 200),
    ("private_company", "US", "US-TX", 451),
    ("individual", "US", "US-CA", 451),
    ("foreign_law_enforcement", "UA", None, 403),
)


async def search(request: Request) -> JSONResponse:
    return JSONResponse({"results": [], "for": request.state.principal.entity_type})


def gate(
    issuer: TrustedIssuer,
    *,
    redis_url: str | None,
    local_max_entries: int = 0,
    policy: PolicySettings | None = None,
    shared_cache: DecisionCache | None = None,
    breaker_cooldown: float = 0.2,
    socket_timeout: float = 1.0,
) -> JurisdictionMiddleware:
    """One replica: the gate around the app, local tier off by default so Redis is exercised.

    The Redis timeout is generous (1 s) so a loaded CI machine cannot turn a test about keys
    into an outage; the outage tests pass the production default (0.05 s).
    """
    app = Starlette(routes=[Route("/search", search)])
    cache = CacheSettings(
        redis_url=redis_url,
        local_max_entries=local_max_entries,
        secret=CACHE_SECRET,
        breaker_cooldown=breaker_cooldown,
        socket_timeout=socket_timeout,
    )
    return JurisdictionMiddleware(
        app,
        issuers=[issuer],
        cache=cache,
        policy=policy,
        shared_cache=shared_cache,
        clock=FixedClock(AT),
    )


def client(app: JurisdictionMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica")


async def status_of(http: httpx.AsyncClient, token: str) -> int:
    response = await http.get(
        "/search", params={"q": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    """Poll ``condition`` until it holds; TimeoutError after ``seconds``."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the state changes in other tasks and threads
            await asyncio.sleep(0.02)


def copy_pack(directory: Path) -> tuple[Path, Path]:
    """The bundled pack's files in ``directory``, not published (see ``publish``)."""
    model, policy = pack_files()
    model_path, policy_path = directory / "model.conf", directory / "policy.csv"
    model_path.write_text(model.read_text(encoding="utf-8"), encoding="utf-8")
    policy_path.write_text(policy.read_text(encoding="utf-8"), encoding="utf-8")
    return model_path, policy_path


def publish(policy: Path) -> None:
    """``jurisgate policy publish`` for the model.conf and policy.csv in ``policy``'s folder."""
    publish_policy(PolicySettings(policy.with_name("model.conf"), policy))


def edit(path: Path, change: Callable[[str], str], *, published: bool = True) -> None:
    """Replace the file atomically, then publish it, as deployment tools do."""
    text = change(path.read_text(encoding="utf-8"))
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    if published:
        publish(path)


def without_illinois_rule(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "il-five-years" not in line)


def with_row(row: str) -> Callable[[str], str]:
    return lambda text: f"{text}\n{row}\n"
