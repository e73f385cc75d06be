"""Keys: an issuer's verification keys from a JWKS document, looked up by ``kid``.

Each issuer with a ``jwks_url`` or ``jwks_file`` owns one JwksKeys: keys are found by
(issuer, kid), never in a key set merged across issuers. The cached set has a bounded lifetime
and fetching is bounded every way a slow or hostile IdP could stretch it (issue #12):
- a deadline: ``timeout`` seconds for the whole fetch, which really ends it (jwks_http.py
  aborts the connection; a ``jwks_file`` read is bounded the same way);
- single flight: at most one fetch per issuer is in flight; concurrent requests await it;
- a rate limit: at most one fetch per ``min_refresh_interval``, however many unknown ``kid``s
  arrive; meanwhile a token with an unknown ``kid`` is refused (401) at once;
- no shared threads: the HTTP exchange is asyncio I/O on the event loop, and the only blocking
  steps (name resolution, loading the CA bundle, reading a ``jwks_file``) run in this issuer's
  own one-thread executor, never in the default executor that policy reload and the rest of the
  gate use. A stuck resolver holds that one thread; later fetches then end at their deadline.

Only public signing keys of the issuer's pinned algorithm family are kept; a key whose ``use``
is not ``sig``, whose ``alg`` is not pinned, that carries private material, or (from a URL)
that is a shared secret, is ignored. Any failure leaves the previous keys until their
lifetime ends; after that, tokens of the issuer are refused until a fetch succeeds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from jwt.algorithms import Algorithm

from .algorithms import ALGORITHM_FAMILIES, jose_algorithms
from .jwks_http import http_get
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
    between two fetches, defaults to 30 s), ``timeout`` (the deadline of one whole fetch,
    defaults to 5 s), ``max_bytes`` (of
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
            raise ValueError("jwks_timeout must be between 0 and 60 seconds")
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
        self._flight: asyncio.Task[None] | None = None  # the fetch in flight, if any
        self._executor: ThreadPoolExecutor | None = None  # this issuer's own blocking steps
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
        """Fetch the set if it is stale or does not know ``kid``: join the fetch in flight, or
        start one if the rate limit allows; otherwise return at once (the token is refused).

        Never raises: a failed fetch is logged and the token will be refused by ``lookup``.
        """
        if self.lookup(kid):
            return
        loop = asyncio.get_running_loop()
        flight = self._flight
        if flight is not None and not flight.done() and not flight.get_loop().is_closed():
            if flight.get_loop() is not loop:
                return  # in flight in another event loop: one fetch per issuer, not one per loop
        elif self._may_fetch():
            flight = self._flight = loop.create_task(self.refresh())
        else:
            return
        # Shielded: a request that goes away stops waiting, the fetch goes on to its deadline.
        await asyncio.shield(flight)

    def _may_fetch(self) -> bool:
        return self._monotonic() - self._attempted_at >= self.min_refresh_interval

    async def refresh(self) -> None:
        """Fetch and replace the key set now, within ``timeout`` (callers rate-limit and
        coalesce; ``ensure`` does both). Never raises."""
        self._attempted_at = self._monotonic()
        self.fetches += 1
        try:
            raw = await self._read()
            keys = self.parse(raw)
        except Exception as exc:  # a dead or hostile IdP endpoint must not break the gate
            why = type(exc).__name__
            if isinstance(exc, TimeoutError):
                why = f"no complete answer within {self.timeout:g} s (jwks_timeout)"
            logger.warning("JWKS fetch from %s failed: %s", self.source, why)
            return
        self._keys = keys
        self._fetched_at = self._monotonic()

    async def _read(self) -> bytes:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="jurisgate-jwks")
        if self.url is not None:
            return await http_get(
                self.url, deadline=self.timeout, max_bytes=self.max_bytes, resolver=self._executor
            )
        read = functools.partial(_read_file, self.file, self.max_bytes + 1)
        async with asyncio.timeout(self.timeout):
            data = await asyncio.get_running_loop().run_in_executor(self._executor, read)
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


def _read_file(path: Path | None, limit: int) -> bytes:
    """Runs in the issuer's executor (a jwks_file may sit on a slow network file system)."""
    if path is None:
        raise ValueError("no jwks_file")
    with path.open("rb") as handle:
        return handle.read(limit)
