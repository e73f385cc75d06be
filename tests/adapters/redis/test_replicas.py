"""Two uvicorn replicas of the example API on one throw-away Redis (issue #3's end-to-end test).

Same answers from both; decision keys under the prefix; a policy edit on disk reaches both
within 2 s; Redis killed, stopped and restarted mid-run: no 5xx, no wrong answer, no hang,
and the shared tier comes back. Slow (starts servers); the wheel run skips it because it
serves ``examples.search_api`` from the checkout.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from ...fixtures.servers import example_server
from ...fixtures.tokens import hs256_token
from .app import copy_pack, edit, publish, without_illinois_rule
from .conftest import AUDIENCE, CACHE_SECRET, HMAC_KEY, ISSUER, RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
FED, STATE, LOCAL = "federal_law_enforcement", "state_law_enforcement", "local_law_enforcement"
Client = tuple[dict[str, str], int, int]  # claims, answer before the edit, after it
# The edit drops the Illinois rules: Illinois government clients are served again.
CLIENTS: dict[str, Client] = {
    "fbi-hq": ({"entity_type": FED, "country": "US", "region": "DC"}, 200, 200),
    "fbi-chicago": ({"entity_type": FED, "country": "US", "region": "IL"}, 451, 200),
    "isp": (
        {"entity_type": STATE, "country": "US", "region": "US-IN", "agency_region": "US-IL"},
        451,
        200,
    ),
    "nypd": (
        {"entity_type": LOCAL, "country": "US", "region": "NY", "agency_region": "US-NY"},
        200,
        200,
    ),
    "company": ({"entity_type": "private_company", "country": "US", "region": "TX"}, 451, 451),
    "ukraine": ({"entity_type": "foreign_law_enforcement", "country": "UA"}, 403, 403),
}


def token(claims: dict[str, str]) -> str:
    return hs256_token(
        HMAC_KEY, claims, issuer=ISSUER, audience=AUDIENCE, now=time.time(), subject="t"
    )


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {seconds}s")
        time.sleep(0.05)


@pytest.fixture
def replicas(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[list[str], Path]]:
    model, policy = copy_pack(tmp_path)
    publish(policy)
    key = tmp_path / "issuer.key"
    key.write_bytes(HMAC_KEY)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        f'[[issuers]]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\nalgorithms = ["HS256"]\n'
        f'public_key_file = "{key}"\n'
        f'[policy]\nmodel = "{model}"\npolicy = "{policy}"\nwatch_interval = 0.1\n'
        f'[cache]\nredis_url = "{redis_server.url}"\nbreaker_cooldown = 0.2\n'
        "local_max_entries = 0\nsocket_timeout = 0.25\n",
        encoding="utf-8",
    )
    env = {**os.environ, "JURISGATE_CONFIG": str(config), "JURISGATE_CACHE_SECRET": CACHE_SECRET}
    with contextlib.ExitStack() as servers:
        urls = [servers.enter_context(example_server(cwd=ROOT, env=env)) for _ in range(2)]
        yield urls, policy


def answers(urls: list[str]) -> dict[tuple[str, str], int]:
    """Every client against every replica; a hang fails the test (timeout 5 s)."""
    found = {}
    for url in urls:
        for name, (claims, _, _) in CLIENTS.items():
            headers = {"Authorization": f"Bearer {token(claims)}"}
            response = httpx.get(f"{url}/search", params={"q": "a"}, headers=headers, timeout=5)
            found[url, name] = response.status_code
    return found


def expected(urls: list[str], after_edit: bool) -> dict[tuple[str, str], int]:
    return {
        (url, name): after if after_edit else before
        for url in urls
        for name, (_, before, after) in CLIENTS.items()
    }


def test_two_replicas_on_one_redis(
    replicas: tuple[list[str], Path], redis_server: RedisServer
) -> None:
    urls, policy = replicas
    plain = redis.Redis.from_url(redis_server.url)
    assert answers(urls) == expected(urls, after_edit=False)
    wait_for(lambda: bool(plain.keys("jurisgate:decision:*")), 5)

    edit(policy, without_illinois_rule)
    wait_for(lambda: answers(urls) == expected(urls, after_edit=True), 2.0)

    redis_server.kill()
    for _ in range(3):
        assert answers(urls) == expected(urls, after_edit=True)

    redis_server.start()  # empty: the entries come back once the replicas use it again
    plain = redis.Redis.from_url(redis_server.url)
    wait_for(
        lambda: bool(
            answers(urls) == expected(urls, after_edit=True) and plain.keys("jurisgate:*")
        ),
        5,
    )

    redis_server.pause()
    for _ in range(3):
        assert answers(urls) == expected(urls, after_edit=True)
    redis_server.resume()
    plain.flushall()
    wait_for(
        lambda: bool(
            answers(urls) == expected(urls, after_edit=True) and plain.keys("jurisgate:*")
        ),
        5,
    )
    plain.close()
