"""Instructions per request under uvicorn, counted by valgrind's callgrind.

wrk's req/s on a shared machine moves with the neighbours' load (the bare app alone was seen
anywhere between 12,500 and 19,000 req/s); an instruction count does not. The
server runs under callgrind with counting off; after a warm-up, counting is switched on for a
fixed number of sequential keep-alive requests (the same request wrk sends) and off again, so
start-up and shutdown are not counted. Threads are counted apart: the ``[audit] file`` writer's
share is reported beside the event loop's.

Only user-space instructions are counted. The kernel's part of a request (the socket calls,
the audit file's ``write``) and the cost of cache misses are not, so the ratio to bare is a
steady estimate of the CPU ratio, not a measurement of it. Work done by the clock rather than
per request (uvicorn's once-a-second tick, the audit writer's wake-ups) falls into the counted
window in proportion to its length, which valgrind stretches many times over: the writer's
count per line here is within about 1,000 instructions of what one large batch costs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import loadgen

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def find_valgrind() -> tuple[str, str] | None:
    """(valgrind, callgrind_control), or None when the machine lacks them."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    return (valgrind, control) if valgrind and control else None


def count(
    factory: str, token: str, *, requests: int, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Instructions per request of ``stacks:<factory>`` under uvicorn: the whole process, the
    event-loop (main) thread, and the other threads (the audit writer)."""
    tools = find_valgrind()
    if tools is None:
        raise RuntimeError("valgrind is not installed")
    valgrind, control = tools
    with tempfile.TemporaryDirectory(prefix="jurisgate-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        wrapper = [
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            "--separate-threads=yes",
            f"--callgrind-out-file={out}",
            f"--log-file={Path(tmp) / 'valgrind.log'}",  # its own messages, not the run's
        ]
        with loadgen.uvicorn_server(factory, env, wrapper=wrapper, start_seconds=300) as (
            base,
            pid,
        ):
            port = int(base.rsplit(":", 1)[1])
            with socket.create_connection((loadgen.HOST, port), timeout=60) as sock:
                request = (
                    f"GET {loadgen.SEARCH} HTTP/1.1\r\nHost: {loadgen.HOST}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\n\r\n"
                ).encode("ascii")
                for _ in range(max(requests // 10, 50)):  # warm-up: caches, first-call work
                    _exchange(sock, request)
                try:
                    _control(control, "--instr=on", pid)
                    for _ in range(requests):
                        _exchange(sock, request)
                    _control(control, "--instr=off", pid)
                    _control(control, "--dump", pid)
                except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                    raise RuntimeError(f"{exc}; {_tail(Path(tmp) / 'valgrind.log')}") from exc
        threads = _thread_totals(out)
    if not threads:
        raise RuntimeError(f"callgrind wrote no counts for {factory}")
    main = threads.get(1, 0)
    return {
        "requests": requests,
        "per_request": round(sum(threads.values()) / requests),
        "main_thread_per_request": round(main / requests),
        "other_threads_per_request": round((sum(threads.values()) - main) / requests),
    }


def _exchange(sock: socket.socket, request: bytes) -> None:
    """One request on a keep-alive connection; its response must be a 200 with a body."""
    sock.sendall(request)
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        buffer += chunk
        head, found, body = buffer.partition(b"\r\n\r\n")
        if not found:
            continue
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            raise RuntimeError(f"no content-length in {head[:200]!r}")
        if len(body) >= int(length.group(1)):
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"answered {head[:40]!r}")
            return


def _control(control: str, action: str, pid: int) -> None:
    done = subprocess.run([control, action, str(pid)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"callgrind_control {action} failed: {done.stderr.strip()[-500:]}")


def _tail(log: Path) -> str:
    """The end of valgrind's own log, for an error message (the folder is about to go)."""
    try:
        return "valgrind said: " + log.read_text(errors="replace").strip()[-500:]
    except OSError:
        return "no valgrind log"


def _thread_totals(out: Path) -> dict[int, int]:
    """Instruction totals by thread number (1 is the main thread) over the dump files."""
    totals: dict[int, int] = {}
    for path in out.parent.glob(out.name + "*"):
        thread = 1
        total = 0
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("thread:"):
                thread = int(line.split()[1])
            elif line.startswith("totals:"):
                total += int(line.split()[1])
        totals[thread] = totals.get(thread, 0) + total
    return totals


def per_call(argv_for: Callable[[int], list[str]], calls: int, *, timeout: float) -> int | None:
    """Instructions per call of what ``python argv_for(n)`` does ``n`` times: that command run
    under callgrind with 0 and with ``calls`` calls, the difference over ``calls`` (start-up and
    imports cancel out). None without valgrind, or when callgrind printed no total."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    totals = []
    for number in (0, calls):
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             *argv_for(number)],
            capture_output=True, text=True, timeout=timeout, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            return None
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) // calls
