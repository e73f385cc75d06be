"""Keys: an issuer's verification keys from a JWKS document, looked up by ``kid``.

Each issuer with a ``jwks_url`` or ``jwks_file`` owns one JwksKeys: keys are found by
(issuer, kid), never in a key set merged across issuers. Fetching is asynchronous (blocking
I/O runs in a worker thread, never on the event loop), the cached set has a bounded lifetime,
and refreshes are rate-limited: a flood of tokens with random ``kid``s costs at most one fetch
per ``min_refresh_interval``, and concurrent requests share one fetch.

Only public signing keys of the issuer's pinned algorithm family are kept; a key whose ``use``
is not ``sig``, whose ``alg`` is not pinned, that carries private material, or (from a URL)
that is a shared secret, is ignored. Any failure leaves the previous keys until their
lifetime ends; after that, tokens of the issuer are refused until a fetch succeeds.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from jwt.algorithms import Algorithm

from .algorithms import ALGORITHM_FAMILIES, jose_algorithms
from .strict_json import strict_loads

__all__ = ["JwksKeys", "PreparedKeys"]

logger = logging.getLogger("jurisgate.keys")

# alg name -> (PyJWT algorithm, prepared key) for one kid.
PreparedKeys = Mapping[str, tuple[Algorithm, Any]]

_FAMILY_OF_KTY: Final = {"RSA": "RSA", "EC": "EC", "OKP": "OKP", "oct": "HMAC"}
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_EMPTY: Final[PreparedKeys] = {}


class JwksKeys:
    """The keys of one issuer, from ``url`` (http or https) or ``file`` (exactly one).

    Options: ``algorithms`` (the issuer's pinned algorithms; one family), ``cache_ttl`` (how
    long a fetched set is trusted, defaults to 300 s), ``min_refresh_interval`` (least time
    between two fetches, defaults to 30 s), ``timeout`` (defaults to 5 s), ``max_bytes`` (of
    a JWKS document, defaults to 256 KiB), ``monotonic`` (the clock, defaults to
    ``time.monotonic``; tests move it).
    """

    def __init__(
        self,
        *,
        algorithms: tuple[str, ...],
        url: str | None = None,
        file: Path | None = None,
        cache_ttl: float = 300.0,
        min_refresh_interval: float = 30.0,
        timeout: float = 5.0,
        max_bytes: int = 256 * 1024,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if (url is None) == (file is None):
            raise ValueError("give exactly one of jwks_url and jwks_file")
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError("jwks_url must be an http(s) URL")
        if not 1 <= cache_ttl <= 86_400:
            raise ValueError("jwks_cache_ttl must be between 1 and 86400 seconds")
        if not 0 <= min_refresh_interval <= cache_ttl:
            raise ValueError("jwks_min_refresh must be between 0 and jwks_cache_ttl seconds")
        if not 0 < timeout <= 60:
            raise ValueError("jwks timeout must be between 0 and 60 seconds")
        if not 1024 <= max_bytes <= 16 * 1024 * 1024:
            raise ValueError("jwks max_bytes must be between 1 KiB and 16 MiB")
        available = jose_algorithms()
        missing = [alg for alg in algorithms if alg not in available]
        if not algorithms or missing:
            raise ValueError(f"algorithms unusable for a JWKS: {missing or 'none given'}")
        self.url = url
        self.file = file
        self.algorithms = algorithms
        self.cache_ttl = cache_ttl
        self.min_refresh_interval = min_refresh_interval
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._monotonic = monotonic
        self._available = available
        self._keys: dict[str, PreparedKeys] = {}
        self._fetched_at = -float("inf")  # when the current keys were fetched
        self._attempted_at = -float("inf")  # when a fetch was last tried, success or not
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0  # how many fetches were attempted (for tests and metrics)

    @property
    def source(self) -> str:
        return self.url if self.url is not None else str(self.file)

    def lookup(self, kid: str) -> PreparedKeys:
        """The prepared keys for ``kid`` while the set is fresh; empty when unknown or stale."""
        if self._monotonic() - self._fetched_at >= self.cache_ttl:
            return _EMPTY
        return self._keys.get(kid, _EMPTY)

    async def ensure(self, kid: str) -> None:
        """Fetch the set if it is stale or does not know ``kid``, at most once per interval.

        Never raises: a failed fetch is logged and the token will be refused by ``lookup``.
        """
        if self.lookup(kid):
            return
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            # An asyncio.Lock belongs to one event loop; a new loop (tests, reloads) gets its own.
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            # Another request may have fetched while this one waited.
            if self.lookup(kid) or not self._may_fetch():
                return
            await self.refresh()

    def _may_fetch(self) -> bool:
        return self._monotonic() - self._attempted_at >= self.min_refresh_interval

    async def refresh(self) -> None:
        """Fetch and replace the key set now (callers rate-limit). Never raises."""
        self._attempted_at = self._monotonic()
        self.fetches += 1
        try:
            # The socket timeout bounds each read, not a server that drips bytes: bound it all.
            raw = await asyncio.wait_for(asyncio.to_thread(self._read), self.timeout * 2)
            keys = self.parse(raw)
        except Exception as exc:  # a dead or hostile IdP endpoint must not break the gate
            logger.warning("JWKS fetch from %s failed: %s", self.source, type(exc).__name__)
            return
        self._keys = keys
        self._fetched_at = self._monotonic()

    def _read(self) -> bytes:
        """Runs in a worker thread."""
        if self.file is not None:
            with self.file.open("rb") as handle:
                data = handle.read(self.max_bytes + 1)
        else:
            assert self.url is not None
            data = _http_get(self.url, self.timeout, self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise ValueError("JWKS document too large")
        return data

    def parse(self, raw: bytes) -> dict[str, PreparedKeys]:
        """kid -> prepared keys, from a JWKS document. Raises ValueError on a malformed set."""
        document = strict_loads(raw.decode("utf-8"))
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")
        keys: dict[str, PreparedKeys] = {}
        for jwk in document["keys"]:
            if not isinstance(jwk, dict):
                continue
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid or kid in keys:
                # Without a kid a key cannot be chosen; with a repeated one it is ambiguous.
                if isinstance(kid, str) and kid in keys:
                    keys[kid] = _EMPTY
                continue
            keys[kid] = self._prepare(jwk)
        return {kid: prepared for kid, prepared in keys.items() if prepared}

    def _prepare(self, jwk: dict[str, Any]) -> PreparedKeys:
        family = _FAMILY_OF_KTY.get(jwk.get("kty"))  # type: ignore[arg-type]
        if family is None or jwk.get("use", "sig") != "sig":
            return _EMPTY
        if family == "HMAC" and self.url is not None:
            return _EMPTY  # a shared secret is never taken from the network
        if family != "HMAC" and _PRIVATE_MEMBERS & jwk.keys():
            return _EMPTY
        named = jwk.get("alg")
        prepared: dict[str, tuple[Algorithm, Any]] = {}
        for alg in self.algorithms:
            if ALGORITHM_FAMILIES.get(alg) != family or (named is not None and named != alg):
                continue
            algorithm = self._available[alg]
            try:
                prepared[alg] = (algorithm, algorithm.prepare_key(algorithm.from_jwk(jwk)))
            except Exception as exc:  # one unusable key does not spoil the set
                logger.warning(
                    "JWKS %s: key %r unusable for %s (%s)",
                    self.source,
                    jwk.get("kid"),
                    alg,
                    type(exc).__name__,
                )
        return prepared


def _http_get(url: str, timeout: float, limit: int) -> bytes:
    """GET ``url`` with http.client: no redirects followed (a JWKS URL is configured exactly),
    no proxies from the environment, and the connection closed whatever happens."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("jwks_url must be an http(s) URL")
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.request(
            "GET", target, headers={"Accept": "application/jwk-set+json, application/json"}
        )
        with connection.getresponse() as response:
            if response.status != 200:
                raise OSError(f"HTTP {response.status}")
            return response.read(limit)
    finally:
        connection.close()
