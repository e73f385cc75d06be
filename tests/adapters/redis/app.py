"""A tiny protected app and an HTTP client for it, shared by the Redis tests."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jurisgate.adapters.redis_cache import RedisDecisionCache
from jurisgate.adapters.redis_pubsub import RedisAnnouncer
from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import (
    CacheSettings,
    FixedClock,
    JurisdictionMiddleware,
    PolicySettings,
    TrustedIssuer,
)
from jurisgate.middleware.cache.lru import DecisionCache
from jurisgate.policies import pack_files

from .conftest import AT, AUDIENCE, CACHE_SECRET, HMAC_KEY, ISSUER

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
    topology: Mapping[str, Any] | None = None,
) -> JurisdictionMiddleware:
    """One replica: the gate around the app, local tier off by default so Redis is exercised.
    ``topology`` sets more [cache] options (``cluster``, ``sentinels``, ...).

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
    if topology:
        cache = dataclasses.replace(cache, **topology)
    return JurisdictionMiddleware(
        app,
        issuers=[issuer],
        cache=cache,
        policy=policy,
        shared_cache=shared_cache,
        clock=FixedClock(AT),
    )


def gate_from_file(
    directory: Path, *, cache: str, policy: tuple[Path, Path], watch_interval: float
) -> JurisdictionMiddleware:
    """One replica configured by a jurisgate.toml whose [cache] table holds ``cache`` (the MAC
    secret is added), as a deployment configures it."""
    key = directory / "issuer.key"
    key.write_bytes(HMAC_KEY)
    model, rows = policy
    config = directory / "jurisgate.toml"
    config.write_text(
        f'[[issuers]]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\nalgorithms = ["HS256"]\n'
        f'public_key_file = "{key}"\n'
        f'[policy]\nmodel = "{model}"\npolicy = "{rows}"\nwatch_interval = {watch_interval}\n'
        f'[cache]\nsecret = "{CACHE_SECRET}"\nlocal_max_entries = 0\nsocket_timeout = 1.0\n'
        f"breaker_cooldown = 0.2\n{cache}",
        encoding="utf-8",
    )
    app = Starlette(routes=[Route("/search", search)])
    return JurisdictionMiddleware(app, config=config, clock=FixedClock(AT))


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


HANG = 5.0  # seconds: far above any Redis timeout and normal latency; only a hang takes this long


def tier(replica: JurisdictionMiddleware) -> RedisDecisionCache:
    """The replica's Redis decision tier."""
    assert isinstance(replica.shared_cache, RedisDecisionCache)
    return replica.shared_cache


def announcer(replica: JurisdictionMiddleware) -> RedisAnnouncer:
    """The replica's reload announcer on Redis."""
    assert replica.reloader is not None
    assert isinstance(replica.reloader.announcer, RedisAnnouncer)
    return replica.reloader.announcer


async def serve_table(
    http: httpx.AsyncClient, tokens: Sequence[tuple[str, int]], stop: asyncio.Event, seen: list[int]
) -> None:
    """Send each ``(token, expected status)`` until ``stop``; fails on the first wrong answer
    (a 5xx included) or hang; every status goes to ``seen``."""
    while not stop.is_set():
        for token, expected in tokens:
            async with asyncio.timeout(HANG):
                status = await status_of(http, token)
            assert status == expected, status
            seen.append(status)


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
    """The pack without its Illinois rules (the decree's five-year ones and the strict one)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("p, il-"))


def with_row(row: str) -> Callable[[str], str]:
    return lambda text: f"{text}\n{row}\n"
