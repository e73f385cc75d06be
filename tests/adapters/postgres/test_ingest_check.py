"""``IngestCheck`` on a PostgreSQL store: it decides with the store's ``p2`` rows (which
``item_policy_of`` cannot read), and it stops deciding once the store has not confirmed its
policy for ``[policy] max_staleness`` (PolicyStale, as the gate's 503), not before."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jurisgate.adapters.ingest_check import IngestCheck
from jurisgate.admin.push import push_policy
from jurisgate.middleware import FixedClock, PolicySettings, admissible, load_config
from jurisgate.middleware.config.loading import item_policy_of
from jurisgate.middleware.errors import PolicyStale

from ...fixtures.live_items import AT, item_row, write_live_config
from .test_dead_store import BlackHoleProxy, proxy, through
from .test_item_rules_store import policy_with, store_config
from .test_stale_store import MAX_STALENESS

__all__ = ["proxy"]  # test_dead_store's fixture
pytestmark = pytest.mark.postgres

BERLIN = {"region": "DE-BE"}
MADRID = {"region": "ES-M"}


def test_the_store_s_item_rules_refuse_what_item_policy_of_admits(
    store_settings: PolicySettings, pack_policy: Path, tmp_path: Path
) -> None:
    push_policy(store_settings, policy_with(pack_policy, "de.csv", item_row("order", "DE")))
    config = store_config(tmp_path, store_settings)
    with IngestCheck(config) as check:
        refused = check.check(BERLIN, at=AT)
        assert (refused.admissible, refused.rule) == (False, "order")
        assert check.check(MADRID, at=AT).admissible
    # The fault IngestCheck fixes: item_policy_of reads no store, so the order is not seen.
    # (Kept as public API; its docstring and the README send crawlers to IngestCheck.)
    loaded = load_config(config)
    assert admissible(BERLIN, at=AT, rules=item_policy_of(loaded.policy, loaded.items)).admissible


def test_a_push_is_followed_at_the_next_poll(
    store_settings: PolicySettings, pack_policy: Path, tmp_path: Path
) -> None:
    push_policy(store_settings, policy_with(pack_policy, "de.csv", item_row("order", "DE")))
    clock = FixedClock(AT)
    with IngestCheck(store_config(tmp_path, store_settings), clock=clock) as check:
        first = check.version
        assert not check.check(BERLIN).admissible
        push_policy(store_settings, policy_with(pack_policy, "es.csv", item_row("order", "ES")))
        assert not check.check(BERLIN).admissible  # no poll due yet: the clock has not moved
        clock.advance(store_settings.watch_interval)
        assert check.check(BERLIN).admissible
        assert check.check(MADRID).rule == "order"
        assert check.version != first


def test_an_unreachable_store_is_used_until_max_staleness_then_check_raises(
    store_settings: PolicySettings, pack_policy: Path, tmp_path: Path, proxy: BlackHoleProxy
) -> None:
    push_policy(store_settings, policy_with(pack_policy, "de.csv", item_row("order", "DE")))
    settings = replace(through(proxy, store_settings), max_staleness=MAX_STALENESS)
    config = write_live_config(
        tmp_path,
        f'model = "{settings.model}"\nstore = "{settings.store}"\n'
        f'store_table = "{settings.store_table}"\nwatch_interval = {settings.watch_interval}\n'
        f"store_timeout = {settings.store_timeout}\nmax_staleness = {MAX_STALENESS}",
    )
    clock = FixedClock(AT)
    with IngestCheck(config, clock=clock) as check:
        assert check.check(BERLIN).rule == "order"
        proxy.black_hole()
        clock.advance(settings.watch_interval)
        # The poll fails (the store does not answer); the policy is still fresh enough.
        assert check.check(BERLIN).rule == "order"
        assert check.check(MADRID).admissible
        assert not check.polls.reachable()
        clock.advance(MAX_STALENESS)
        with pytest.raises(PolicyStale, match=r"max_staleness"):
            check.check(MADRID)  # never a decision on unconfirmed rules, admit or refuse
        with pytest.raises(PolicyStale):
            check.check(BERLIN)
        proxy.resume()
        clock.advance(settings.watch_interval)
        assert check.check(BERLIN).rule == "order"  # confirmed again: decides again
        assert check.check(MADRID).admissible
