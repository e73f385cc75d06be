"""What the reloader reports as confirming the policy in force (``confirm``, read by
policy_freshness.py): a read of the store that showed it current, never a read that failed or a
change not loaded. A load the store did not answer (PolicyUnavailable) is tried again, not
rejected."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable

import pytest

from jurisgate.adapters import load_policy_files
from jurisgate.middleware.config.reload import PolicyReloader
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.errors import PolicyError, PolicyNotPublished, PolicyUnavailable
from jurisgate.policies import pack_files


class Store:
    """A policy source a test scripts: the fingerprint it answers, and what a load does."""

    def __init__(self) -> None:
        self.engine = PolicyEngine(load_policy_files(*pack_files()))
        self.version: Hashable = "v1"
        self.unreachable = threading.Event()
        self.load_fails: Exception | None = None
        self.loads = 0

    def fingerprint(self) -> Hashable:
        if self.unreachable.is_set():
            raise PolicyUnavailable("postgresql:policy: no answer within 0.5 s")
        return self.version

    def load(self) -> PolicyEngine:
        self.loads += 1
        if self.load_fails is not None:
            raise self.load_fails
        return self.engine


def watching(store: Store, confirmed: list[float]) -> PolicyReloader[PolicyEngine]:
    return PolicyReloader(
        load=store.load,
        current=lambda: store.engine,
        swap=lambda _: None,
        fingerprint=store.fingerprint,
        interval=0.02,
        confirm=confirmed.append,
    )


async def until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the state changes in the watcher task
            await asyncio.sleep(0.01)


def test_polls_confirm_while_the_store_answers_and_not_while_it_does_not() -> None:
    store, confirmed = Store(), list[float]()

    async def scenario() -> None:
        reloader = watching(store, confirmed)
        reloader.ensure_running()
        try:
            await until(lambda: len(confirmed) >= 2)  # nothing changed: each poll confirms
            store.unreachable.set()
            await until(lambda: reloader.polls.failures >= 1)
            seen = len(confirmed)
            await until(lambda: reloader.polls.failures >= 3)
            assert len(confirmed) == seen
            store.unreachable.clear()
            await until(lambda: len(confirmed) > seen)
        finally:
            reloader.stop()

    asyncio.run(scenario())


def test_a_change_the_store_could_not_finish_sending_is_loaded_at_the_next_poll() -> None:
    store, confirmed = Store(), list[float]()
    store.load_fails = PolicyUnavailable("postgresql:policy: no answer within 0.5 s")

    async def scenario() -> None:
        reloader = watching(store, confirmed)
        reloader.ensure_running()
        try:
            await until(lambda: confirmed)
            store.version = "v2"  # the version answers, the rows do not
            await until(lambda: store.loads >= 3)  # tried again at each poll
            seen = len(confirmed)
            await until(lambda: store.loads >= 5)
            assert len(confirmed) == seen, "a policy not loaded was confirmed"
            assert reloader.rejected == 0  # an outage, not an invalid policy
            store.load_fails = None
            await until(lambda: len(confirmed) > seen)
        finally:
            reloader.stop()

    asyncio.run(scenario())


def test_an_invalid_policy_is_refused_once_and_the_store_still_confirms() -> None:
    store, confirmed = Store(), list[float]()
    store.load_fails = PolicyError("postgresql:policy#1: effect must be 'allow' or 'deny'")

    async def scenario() -> None:
        reloader = watching(store, confirmed)
        reloader.ensure_running()
        try:
            await until(lambda: confirmed)
            store.version = "v2"
            await until(lambda: reloader.rejected == 1)
            seen = len(confirmed)
            await until(lambda: len(confirmed) > seen + 1)  # no newer valid policy exists
            assert reloader.rejected == 1
            assert store.loads == 1
        finally:
            reloader.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("failure", "first", "later"),
    [
        pytest.param(
            PolicyNotPublished("model.conf differs from policy-manifest.json"), 2, 4,
            id="waiting-to-be-published",
        ),
        # A surprise while loading a changed policy (a bug, not a verdict on the policy) keeps
        # the old policy, and the watcher alive: the store's current policy was never seen, so
        # no poll may confirm the old one as current until a load succeeds.
        pytest.param(RuntimeError("a bug in a loader"), 1, 3, id="load-fails-unexpectedly"),
    ],
)  # fmt: skip
def test_a_changed_policy_not_loaded_is_not_confirmed_and_is_tried_again(
    failure: Exception, first: int, later: int
) -> None:
    """The changed policy could not be loaded (it waits for its publish, or the loader
    failed): no poll confirms the old one until a load succeeds; each poll tries again."""
    store, confirmed = Store(), list[float]()
    store.load_fails = failure

    async def scenario() -> None:
        reloader = watching(store, confirmed)
        reloader.ensure_running()
        try:
            await until(lambda: confirmed)
            store.version = "v2"
            await until(lambda: store.loads >= first)
            seen = len(confirmed)
            await until(lambda: store.loads >= later)  # tried again at each poll
            assert len(confirmed) == seen, "a policy not loaded was confirmed"
            store.load_fails = None
            await until(lambda: len(confirmed) > seen)
        finally:
            reloader.stop()

    asyncio.run(scenario())
