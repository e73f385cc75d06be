"""A reloader that cannot check its policy source says so: a failing check at once, a check
that hangs once it has run for ``stalled_after`` seconds; both clear when checks work again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable

from jurisgate.adapters import load_policy_files
from jurisgate.middleware.config.reload import PolicyReloader
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.policies import pack_files


def watching(fingerprint: Callable[[], Hashable]) -> PolicyReloader[PolicyEngine]:
    engine = PolicyEngine(load_policy_files(*pack_files()))
    return PolicyReloader(
        load=lambda: engine,
        current=lambda: engine,
        swap=lambda _: None,
        fingerprint=fingerprint,
        interval=0.05,
        stalled_after=0.3,
    )


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the state changes in the watcher task
            await asyncio.sleep(0.02)


def test_a_failing_check_is_reported_and_counted_until_one_works() -> None:
    failing = threading.Event()

    def fingerprint() -> Hashable:
        if failing.is_set():
            raise OSError("store unreachable")
        return "v1"

    async def scenario() -> None:
        watcher = watching(fingerprint)
        watcher.ensure_running()
        try:
            await until(lambda: watcher.health()["watching"] is True)
            assert watcher.health()["source_reachable"] is True
            failing.set()
            await until(lambda: watcher.health()["source_reachable"] is False)
            await until(lambda: watcher.polls.failures >= 2)  # it keeps polling
            failing.clear()
            await until(lambda: watcher.health()["source_reachable"] is True)
        finally:
            watcher.stop()

    asyncio.run(scenario())


def test_a_hanging_check_is_reported_once_overdue() -> None:
    hang, released = threading.Event(), threading.Event()

    def fingerprint() -> Hashable:
        if hang.is_set():
            released.wait(10)
        return "v1"

    async def scenario() -> None:
        watcher = watching(fingerprint)
        watcher.ensure_running()
        try:
            hang.set()
            await until(lambda: watcher.health()["source_reachable"] is False)
            assert watcher.polls.failures == 0  # not failed: still running, but overdue
            hang.clear()
            released.set()
            await until(lambda: watcher.health()["source_reachable"] is True)
        finally:
            released.set()
            watcher.stop()

    asyncio.run(scenario())
