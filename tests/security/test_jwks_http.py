"""The asyncio JWKS GET (jwks_http.py) against a loopback server that answers canned bytes:
each way an HTTP/1.1 body may be framed, and each way an answer must be refused."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from jurisgate.middleware.jwks_http import http_get

BODY = b'{"keys": []}'
Serve = Callable[[bytes], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(answer)``: a URL whose server reads one request, sends ``answer``, closes."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(answer: bytes) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def once() -> None:
            conn, _ = listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                conn.sendall(answer)

        thread = threading.Thread(target=once, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"

    yield start
    for thread in threads:
        thread.join(timeout=5)
    for listener in listeners:
        listener.close()


def get(url: str, max_bytes: int = 1024) -> bytes:
    with ThreadPoolExecutor(1) as resolver:
        return asyncio.run(http_get(url, deadline=5, max_bytes=max_bytes, resolver=resolver))


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n" + BODY,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"
        + BODY[:5]
        + b"\r\n7;ext=1\r\n"
        + BODY[5:]
        + b"\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY,  # ends at close
    ],
    ids=["content-length", "chunked", "until-close"],
)
def test_bodies_framed_every_way_are_read(serve: Serve, answer: bytes) -> None:
    assert get(serve(answer)) == BODY


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HTTP/1.1 302 Found\r\nLocation: http://evil.test/\r\n\r\n", OSError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 2000, ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + BODY, OSError),  # cut short
        (b"SSH-2.0-OpenSSH\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n", ValueError),
    ],
    ids=[
        "redirect",
        "too-long",
        "chunk-too-long",
        "close-too-long",
        "bad-length",
        "cut-short",
        "not-http",
        "huge-head",
    ],
)
def test_bad_answers_are_refused(serve: Serve, answer: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        get(serve(answer))
