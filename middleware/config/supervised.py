"""Background tasks that outlive their own failures: the policy watcher and the reload listener.

A task that dies waits for someone to notice; one that restarts itself does not. ``supervised``
runs a coroutine function until it returns or is cancelled, and after any exception logs it and
runs it again ``RESTART_DELAY`` seconds later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

__all__ = ["RESTART_DELAY", "supervised"]

RESTART_DELAY: Final = 1.0  # seconds before a failed task runs again: no busy loop on a bug

logger = logging.getLogger("jurisgate.reload")


async def supervised(run: Callable[[], Awaitable[None]], name: str) -> None:
    """Await ``run()``; after a failure (a message it could not handle, a bug) log it and start
    again. Returns when ``run()`` returns; cancelling stops it."""
    while True:
        try:
            await run()
        except Exception:
            logger.exception("%s failed; restarting it in %.0f s", name, RESTART_DELAY)
            await asyncio.sleep(RESTART_DELAY)
        else:
            return
