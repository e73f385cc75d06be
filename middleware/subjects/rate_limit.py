"""A per-client request budget for the public opt-out form: a fixed window per minute.

In memory, per replica: it stops one client from filling the registry, not a botnet (put a
reverse proxy's limits in front for that). Bounded: at most ``max_clients`` windows are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from ..clock import Clock, SystemClock

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(
        self, per_minute: int, *, clock: Clock | None = None, max_clients: int = 100_000
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock or SystemClock()
        self._max_clients = max_clients
        self._windows: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def admit(self, client: str) -> float | None:
        """None when admitted; otherwise the seconds until the client may try again."""
        now = self._clock.now()
        minute = int(now // 60)
        window, used = self._windows.pop(client, (minute, 0))
        if window != minute:
            window, used = minute, 0
        if used >= self.per_minute:
            self._windows[client] = (window, used)
            return float((minute + 1) * 60 - now)
        self._windows[client] = (window, used + 1)
        while len(self._windows) > self._max_clients:
            self._windows.popitem(last=False)
        return None
