"""Real servers refuse to run a gate that cannot be configured (issue 14).

``uvicorn app:app`` (default ``--lifespan auto``), hypercorn and granian, each started as a
subprocess on a free loopback port from a directory holding the README's app module and a bad
jurisgate.toml, must exit on their own with a message naming the file and the key. Every bad
config is tried under uvicorn; the other servers get one config-file error and one start-up
check (the mechanism, a failed lifespan startup, is the same for all; test_startup.py checks
every message in-process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx
import pytest

from .conftest import BAD_CONFIGS, FASTAPI_APP, STARLETTE_APP, free_port

if TYPE_CHECKING:
    from .conftest import WriteBadConfig

pytestmark = pytest.mark.slow

Command = Callable[[int], list[str]]
SERVERS: Final[dict[str, Command]] = {
    "uvicorn": lambda port: ["uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
    "hypercorn": lambda port: ["hypercorn", "app:app", "--bind", f"127.0.0.1:{port}"],
    "hypercorn --workers 0": lambda port: [
        *("hypercorn", "app:app", "--workers", "0"),
        *("--bind", f"127.0.0.1:{port}"),
    ],
    "granian": lambda port: [
        *("granian", "--interface", "asgi", "app:app"),
        *("--host", "127.0.0.1", "--port", str(port)),
    ],
}
# hypercorn 0.18 with worker processes (its default) reports status 0 when its worker fails:
# run() joins the failed worker, then overwrites the exit code with that of an empty process
# list (pgjones/hypercorn#269). The server does stop; with --workers 0 the status is kept.
EXITS_ZERO_UPSTREAM: Final = frozenset({"hypercorn"})


def start(
    server: str, app: str, directory: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    (directory / "app.py").write_text(app, encoding="utf-8")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JURISGATE_CONFIG", "JURISGATE_CACHE_SECRET", "PYTHONPATH")
    }
    command = [sys.executable, "-m", *SERVERS[server](port), *extra]
    # A session of its own: a server's worker processes go with it (they hold its output).
    process = subprocess.Popen(
        command,
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, port


def exit_of(process: subprocess.Popen[bytes], timeout: float = 60) -> tuple[int, str]:
    """The server's exit status and output; fails the test if it is still running."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the server kept running with a bad config:\n{output.decode()}")
    return process.returncode, output.decode(errors="replace")


def assert_stopped_naming(
    server: str, process: subprocess.Popen[bytes], names: tuple[str, ...]
) -> None:
    code, output = exit_of(process)
    if server not in EXITS_ZERO_UPSTREAM:
        assert code != 0, output
    assert "jurisgate cannot start: jurisgate.toml: " in output
    for name in names:
        assert name in output


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_uvicorn_exits_at_start_up_naming_file_and_key(
    write_bad_config: WriteBadConfig, tmp_path: Path, case: str
) -> None:
    bad = write_bad_config(case)
    process, _ = start("uvicorn", STARLETTE_APP, tmp_path)
    assert_stopped_naming("uvicorn", process, bad.names)


@pytest.mark.parametrize("case", ["unknown key", "redis_url without a secret"])
def test_fastapi_add_middleware_under_uvicorn_exits_at_start_up(
    write_bad_config: WriteBadConfig, tmp_path: Path, case: str
) -> None:
    bad = write_bad_config(case)
    process, _ = start("uvicorn", FASTAPI_APP, tmp_path)
    assert_stopped_naming("uvicorn", process, bad.names)


@pytest.mark.parametrize("server", ["hypercorn", "hypercorn --workers 0", "granian"])
@pytest.mark.parametrize("case", ["unknown key", "algorithm the key cannot serve"])
def test_other_servers_exit_at_start_up_naming_file_and_key(
    write_bad_config: WriteBadConfig, tmp_path: Path, server: str, case: str
) -> None:
    bad = write_bad_config(case)
    process, _ = start(server, STARLETTE_APP, tmp_path)
    assert_stopped_naming(server, process, bad.names)


def test_without_lifespan_every_request_gets_503_problem_json(
    write_bad_config: WriteBadConfig, tmp_path: Path
) -> None:
    write_bad_config("private key as public key")
    process, port = start("uvicorn", STARLETTE_APP, tmp_path, "--lifespan", "off")
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, exit_of(process)[1]
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("uvicorn did not answer in 30 s")
                time.sleep(0.1)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:jurisgate:problem:gate_unavailable"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    # The admin still reads why, once, at start-up.
    assert b"jurisgate cannot start: jurisgate.toml: issuers[0].public_key_file" in output
