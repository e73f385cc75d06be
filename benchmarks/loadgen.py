"""Serve an app with uvicorn on a free loopback port and load it with wrk (or an async client).

Every load is bounded in time and count and targets 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inprocess import percentile

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
# What every load generator asks the servers for (wrk, the asyncio client, callgrind's counts).
SEARCH = "/search?q=avery"


# On a machine with two or more cores the server runs on core 0 and wrk on core 1, so that
# neither steals the other's core and the numbers compare the apps, not the scheduler's luck.
SERVER_CPU, CLIENT_CPU = "0", "1"


def pinned(command: list[str], cpu: str) -> list[str]:
    """``command`` under ``taskset -c cpu`` when that is possible here, else unchanged."""
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return command
    return [taskset, "-c", cpu, *command]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def uvicorn_server(
    factory: str,
    env: dict[str, str] | None = None,
    *,
    wrapper: Sequence[str] = (),
    start_seconds: float = 30,
) -> Iterator[tuple[str, int]]:
    """Run ``uvicorn stacks:<factory> --factory`` on a free port, under ``wrapper`` (a command
    prefix such as valgrind) if given; yields its base URL and process id."""
    port = free_port()
    command = [
        *wrapper,
        sys.executable,
        "-m",
        "uvicorn",
        f"stacks:{factory}",
        "--factory",
        "--app-dir",
        str(HERE),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(pinned(command, SERVER_CPU), env={**os.environ, **(env or {})})
    try:
        wait_for_port(process, port, f"uvicorn {factory}", seconds=start_seconds)
        yield f"http://{HOST}:{port}", process.pid
    finally:
        stop(process)


def wait_for_port(process: subprocess.Popen[bytes], port: int, what: str, seconds: float) -> None:
    """Until ``port`` accepts a TCP connection (enough: the usual stack answers a tokenless GET
    with a 500); RuntimeError if the process exits or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1.0).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it has not exited within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def find_wrk() -> str | None:
    return shutil.which("wrk")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    wrk: str, url: str, token: str | None, *, seconds: int, connections: int = 32
) -> dict[str, Any]:
    """``wrk -t1 -cN -dS --latency``; returns req/s, latency percentiles and error counts."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token is not None:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(
        pinned(command, CLIENT_CPU),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise RuntimeError(f"unreadable wrk output:\n{out}")
    lat = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)$", out, flags=re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": _ms(lat["50"]) if "50" in lat else None,
        "p99_ms": _ms(lat["99"]) if "99" in lat else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else None,
    }


def run_async_client(
    url: str, token: str | None, *, seconds: int, connections: int = 32, max_requests: int = 500_000
) -> dict[str, Any]:
    """The fallback without wrk: ``connections`` keep-alive HTTP/1.1 connections on asyncio
    streams, each sending its next request when the last answer is read, until time or count
    runs out. Raw streams rather than httpx: httpx's pool measured 189 req/s with 32
    connections against a bare app that wrk drives at 12,000, so it would time the client."""
    return asyncio.run(_async_load(url, token, seconds, connections, max_requests))


async def _async_load(
    url: str, token: str | None, seconds: int, connections: int, max_requests: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.hostname != HOST or parts.port is None:
        raise ValueError(f"load goes to {HOST} only, not {url}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = f"GET {target} HTTP/1.1\r\nHost: {HOST}:{parts.port}\r\n"
    if token is not None:
        head += f"Authorization: Bearer {token}\r\n"
    request = (head + "\r\n").encode("ascii")
    latencies: list[float] = []
    non2xx = 0
    began = time.perf_counter()
    deadline = began + seconds

    async def connection() -> None:
        nonlocal non2xx
        reader, writer = await asyncio.open_connection(HOST, parts.port)
        try:
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                sent = time.perf_counter()
                writer.write(request)
                response = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", response)
                if length is None:
                    raise RuntimeError("a response without Content-Length")
                await reader.readexactly(int(length.group(1)))
                latencies.append((time.perf_counter() - sent) * 1000)
                if not response.startswith((b"HTTP/1.1 2", b"HTTP/1.1 3")):
                    non2xx += 1
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "requests": len(ordered),
        "p50_ms": statistics.median(ordered) if ordered else None,
        "p99_ms": percentile(ordered, 99) if ordered else None,
        "non_2xx": non2xx,
        "socket_errors": None,
    }
