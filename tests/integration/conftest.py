"""Real ASGI servers in subprocesses, for the tests that need what a server puts in the scope
(``root_path``, ``raw_path``) rather than what a test client does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from jurisgate.middleware.config import CONFIG_ENV

ROOT = Path(__file__).resolve().parents[2]

# (server name, the app's module:attribute, extra arguments) -> a context giving the port
ServeApp = Callable[[str, str, Sequence[str]], AbstractContextManager[int]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command(server: str, app: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning"]  # fmt: skip
    if server == "hypercorn":
        return [sys.executable, "-m", "hypercorn", app, "--bind", f"127.0.0.1:{port}"]
    raise ValueError(f"unknown server {server!r}")


@contextmanager
def _serve(server: str, app: str, extra: Sequence[str]) -> Iterator[int]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != CONFIG_ENV}
    process = subprocess.Popen([*_command(server, app, port), *extra], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{server} did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def serve_app() -> ServeApp:
    """``with serve_app("uvicorn", "examples.search_api:app", ["--root-path", "/api"]) as
    port``: the app under a real server on a free loopback port, the development config."""
    return _serve
