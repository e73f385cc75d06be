"""GET one JWKS document over HTTP(S) with asyncio streams, under one deadline for it all.

Why not http.client in a worker thread: its socket timeout bounds each read, so a server that
sends a byte a second keeps the thread forever, and ``asyncio.wait_for`` around the thread only
stops waiting for it. Here the whole exchange (connect, TLS, status line, headers, body) runs on
the event loop without blocking it, inside ``asyncio.timeout(deadline)``: when time runs out
the coroutine is cancelled and the connection aborted, so the fetch really ends. Only name
resolution blocks (``getaddrinfo``); it runs in the caller's own executor, never the loop's
default one that the rest of the gate shares.

Deliberately small: GET with ``Connection: close``; the body by Content-Length, chunked
encoding, or up to the end of the connection; no redirects (a JWKS URL is configured exactly),
no proxies from the environment, no compression; at most ``max_bytes`` of body and 16 KiB of
status line and headers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import urllib.parse
from concurrent.futures import Executor
from typing import Final

__all__ = ["http_get"]

_HEAD_LIMIT: Final = 16 * 1024
_ACCEPT: Final = "application/jwk-set+json, application/json"


async def http_get(url: str, *, deadline: float, max_bytes: int, resolver: Executor) -> bytes:
    """The body of a 200 answer to GET ``url``, within ``deadline`` seconds in all.

    Raises TimeoutError at the deadline, OSError for a network failure, an answer cut short or
    another status, ValueError for an answer that is too large or not HTTP/1.x.
    """
    try:
        async with asyncio.timeout(deadline):
            return await _get(url, max_bytes, resolver)
    except asyncio.IncompleteReadError as exc:  # the streams' own errors, translated here
        raise OSError("the answer ended early") from exc
    except asyncio.LimitOverrunError as exc:
        raise ValueError("the answer's head is too large") from exc


async def _get(url: str, max_bytes: int, resolver: Executor) -> bytes:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("jwks_url must be an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    address = host if _is_ip(host) else await _resolve(loop, resolver, host, port)
    tls: ssl.SSLContext | None = None
    if parts.scheme == "https":  # loading the CA bundle reads files: not on the loop either
        tls = await loop.run_in_executor(resolver, ssl.create_default_context)
    reader, writer = await asyncio.open_connection(
        address,
        port,
        ssl=tls,
        server_hostname=host if tls is not None else None,
        limit=_HEAD_LIMIT,
    )
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\n"
            f"Accept: {_ACCEPT}\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
            "User-Agent: jurisgate\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        headers = _head(await reader.readuntil(b"\r\n\r\n"))
        if "chunked" in headers.get("transfer-encoding", ""):
            return await _chunked(reader, max_bytes)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise ValueError("bad Content-Length")
            if int(length) > max_bytes:
                raise ValueError("JWKS document too large")
            return await reader.readexactly(int(length))
        body = b""
        while len(body) <= max_bytes:  # no length given: the body ends with the connection
            more = await reader.read(max_bytes + 1 - len(body))
            if not more:
                return body
            body += more
        raise ValueError("JWKS document too large")
    finally:
        writer.transport.abort()  # at once, also when cancelled: the server sees it closed


def _head(raw: bytes) -> dict[str, str]:
    """Header names (lower-case) to values, after checking the status line says 200."""
    lines = raw.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x answer")
    status = rest[:3]
    if status != "200":
        raise OSError(f"HTTP {status}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip().lower()
    return headers


async def _chunked(reader: asyncio.StreamReader, max_bytes: int) -> bytes:
    body = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError("bad chunk size") from None
        if size == 0:
            return body  # trailers, if any, are not read: the connection is closed anyway
        if size < 0 or len(body) + size > max_bytes:
            raise ValueError("JWKS document too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _resolve(
    loop: asyncio.AbstractEventLoop, resolver: Executor, host: str, port: int
) -> str:
    found = await loop.run_in_executor(
        resolver, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    )
    if not found:
        raise OSError(f"cannot resolve {host}")
    return str(found[0][4][0])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
