"""``IngestCheck`` on policy files follows them as the gate's reloader does, at most every
``[policy] watch_interval`` (an injected clock stands for the time passing): a published edit
is applied, an unpublished one is not, an invalid published one leaves the last good rules.
A configuration or policy it cannot use stops it with a ConfigError naming file and key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from jurisgate.adapters import IngestCheck
from jurisgate.middleware import FixedClock
from jurisgate.middleware.errors import ConfigError

from ..fixtures import live_items
from ..fixtures.live_items import AT, item_row, publish, publish_unchecked, write_policy

INTERVAL = 0.05  # [policy] watch_interval, in the injected clock's seconds
BERLIN = {"region": "DE-BE"}
MADRID = {"region": "ES-M"}


def files_config(directory: Path, *rows: str) -> Path:
    return live_items.files_config(directory, *rows, watch_interval=INTERVAL)


def refuses(check: IngestCheck, facts: dict[str, str]) -> str | None:
    answer = check.check(facts, at=AT)
    return None if answer.admissible else answer.rule


def test_a_published_edit_is_applied_at_the_next_poll_and_an_unpublished_one_is_not(
    tmp_path: Path,
) -> None:
    config = files_config(tmp_path, item_row("order", "DE"))
    clock = FixedClock(AT)
    check = IngestCheck(config, clock=clock)
    first = check.version
    assert (refuses(check, BERLIN), refuses(check, MADRID)) == ("order", None)

    write_policy(tmp_path / "policy.csv", item_row("order", "ES"))
    clock.advance(INTERVAL)
    assert (refuses(check, BERLIN), refuses(check, MADRID)) == ("order", None)
    assert check.waiting is not None  # as the gate: an edit not published yet is waited for
    assert check.version == first

    publish(config)
    assert refuses(check, BERLIN) == "order"  # no poll due before watch_interval has passed
    clock.advance(INTERVAL)
    assert (refuses(check, BERLIN), refuses(check, MADRID)) == (None, "order")
    assert check.version != first
    assert (check.reloads, check.rejected) == (1, 0)
    assert check.waiting is None  # the publish it waited for came


def test_an_invalid_published_edit_keeps_the_last_good_rules(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = files_config(tmp_path, item_row("order", "DE"))
    clock = FixedClock(AT)
    check = IngestCheck(config, clock=clock)
    good = check.version
    # A broken item rule, published by a tool that did not check it (publish_policy refuses
    # it): IngestCheck must refuse it itself, as the gate does.
    policy = tmp_path / "policy.csv"
    write_policy(policy, item_row("order", "ES", effect="allow"))
    publish_unchecked(config, policy)
    clock.advance(INTERVAL)
    with caplog.at_level(logging.ERROR, logger="jurisgate.reload"):
        assert (refuses(check, BERLIN), refuses(check, MADRID)) == ("order", None)
    assert check.version == good
    assert check.rejected == 1
    assert "item rule 'order'" in str(check.last_error)
    assert [r.levelname for r in caplog.records if "rejected" in r.getMessage()] == ["ERROR"]
    assert f"{policy}:" in caplog.text
    clock.advance(INTERVAL)  # the next poll sees no change: no second refusal, no reload
    assert refuses(check, BERLIN) == "order"
    assert check.rejected == 1


def test_it_reads_jurisgate_config_by_default_and_names_a_bad_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = files_config(tmp_path, item_row("order", "DE"))
    monkeypatch.setenv("JURISGATE_CONFIG", str(config))
    assert refuses(IngestCheck(), BERLIN) == "order"

    bad = tmp_path / "bad.toml"
    bad.write_text(
        config.read_text(encoding="utf-8").replace("watch_interval = 0.05", "watch_interval = -1")
    )
    with pytest.raises(ConfigError, match=r"bad\.toml.*watch_interval"):
        IngestCheck(bad)


def test_an_unpublished_policy_at_start_is_a_config_error(tmp_path: Path) -> None:
    config = files_config(tmp_path, item_row("order", "DE"))
    write_policy(tmp_path / "policy.csv", item_row("order", "ES"))  # edited, not published
    with pytest.raises(ConfigError, match=r"jurisgate\.toml: \[policy\] .*publish"):
        IngestCheck(config)
