"""The example app under a real uvicorn on 127.0.0.1, attacked with raw HTTP/1.1 bytes.

Nothing normalizes the request line here (an HTTP client library would): this is what the
gate sees in production.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..fixtures.servers import example_server

if TYPE_CHECKING:
    from tests.fixtures.idps import IdP, IdPs

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(idps: IdPs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("uvicorn")
    (folder / "idp.pem").write_bytes(idps.rsa.public_key)
    (folder / "jurisgate.toml").write_text(
        "[[issuers]]\n"
        f'issuer = "{idps.rsa.issuer}"\n'
        'audience = "face-search-api"\n'
        'algorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "JURISGATE_CONFIG": str(folder / "jurisgate.toml")}
    with example_server(cwd=ROOT, env=env) as url:
        yield int(url.rsplit(":", 1)[1])


def live(idp: IdP, **claims: object) -> str:
    """A token for the server's wall clock (the other suites pin a fixed clock)."""
    now = int(time.time())
    return idp.mint(iat=now - 60, exp=now + 600, **claims)


def send(port: int, request: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def get(port: int, target: str, *headers: str, method: str = "GET") -> tuple[int, bytes]:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", "Connection: close", *headers]
    return send(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def test_the_control_is_served(server: int, idps: IdPs) -> None:
    status, body = get(server, "/search?q=a", f"Authorization: Bearer {live(idps.rsa)}")
    assert status == 200
    assert json.loads(body)["served_to"]["region"] == "US-NY"


@pytest.mark.parametrize(
    "target",
    [
        "/search/../health",
        "/search/%2e%2e/health",
        "/search/%2E%2E/health",
        "/search/..%2Fhealth",
        "/search%2F..%2Fhealth",
        "//search",
        "/%73earch",
        "/search/",
        "/./search",
        "/health/../search",
        "/search;/health",
        "/search%00",
    ],
)
def test_raw_path_spellings_never_reach_search_without_a_token(server: int, target: str) -> None:
    status, body = get(server, target)
    assert status in (401, 404), body  # 404 only if uvicorn/Starlette refuse it first
    assert b"results" not in body


@pytest.mark.parametrize(
    "target", ["/search/../health", "//search", "/%73earch", "/search/", "/x/../search"]
)
def test_raw_path_spellings_are_refused_to_illinois(server: int, idps: IdPs, target: str) -> None:
    status, body = get(server, target, f"Authorization: Bearer {live(idps.rsa, region='US-IL')}")
    assert status in (403, 451), body
    assert b"results" not in body


def test_hostile_requests_get_no_5xx(server: int, idps: IdPs) -> None:
    good = live(idps.rsa)
    cases = [
        (("Authorization: Bearer " + good, "Authorization: Bearer " + good), "GET", 400),
        (("Authorization: Bearer " + "a" * 7000,), "GET", 401),
        (("Authorization: Bearer " + good, "X-HTTP-Method-Override: GET"), "POST", 403),
        (("Authorization: Bearer " + good,), "OPTIONS", 403),
        (("Authorization: Bearer " + good,), "HEAD", 200),
        (("Authorization: Bearer " + live(idps.attacker_rsa),), "GET", 401),
        (("Authorization: bearer\t" + good,), "GET", 401),
        (("Authorization: Bearer \u00e9\u00e9",), "GET", 400),
    ]
    for headers, method, expected in cases:
        status, body = get(server, "/search", *headers, method=method)
        assert status == expected, (headers[0][:40], method, body)
        if method != "HEAD":
            assert good not in body.decode("latin-1")
