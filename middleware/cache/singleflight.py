"""Single flight: concurrent misses for one key in one process compute once.

The first caller starts the computation as a task; callers that arrive while it runs await the
same task. The task is shielded, so a caller that goes away (client disconnect) cancels only
its own wait, not the others' answer. An exception reaches every waiter (and so denies).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Per-key coalescing of concurrent calls; holds only calls in flight, nothing after."""

    __slots__ = ("_flights",)

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: K, compute: Callable[[], Awaitable[V]]) -> tuple[V, bool]:
        """The value for ``key`` and whether this caller shared another caller's computation."""
        loop = asyncio.get_running_loop()
        task = self._flights.get(key)
        shared = task is not None and not task.done() and task.get_loop() is loop
        if task is None or not shared:
            task = loop.create_task(_call(compute))
            self._flights[key] = task
            task.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(task), shared

    def _landed(self, key: K, task: asyncio.Task[V]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited is not logged as lost


async def _call(compute: Callable[[], Awaitable[V]]) -> V:
    return await compute()
