"""``[cache]`` beyond one Redis: cluster and Sentinel keys load; every combination that cannot
work stops start-up with the file and the key; Sentinel passwords come from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurisgate.adapters.factory import redis_target, shared_cache
from jurisgate.adapters.redis_cache import resolve_secret
from jurisgate.adapters.redis_connect import RedisTarget
from jurisgate.middleware import CacheSettings, ConfigError, FixedClock, load_config

SENTINELS = 'sentinels = ["10.0.0.1:26379", "[::1]:26380"]\nsentinel_service = "mymaster"\n'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    key = tmp_path / "k.pem"
    key.write_text("x" * 32)
    path = tmp_path / "jurisgate.toml"
    path.write_text(
        f'[[issuers]]\nissuer="i"\naudience="a"\nalgorithms=["HS256"]\npublic_key_file="{key}"\n'
    )
    return path


def with_cache(config: Path, cache: str) -> Path:
    config.write_text(config.read_text().split("[cache]")[0] + "[cache]\n" + cache)
    return config


def test_cluster_and_sentinel_keys_load(config: Path) -> None:
    cluster = load_config(with_cache(config, 'redis_url = "redis://n1:7000/0"\ncluster = true\n'))
    assert cluster.cache.cluster
    assert cluster.cache.uses_redis
    sentinel = load_config(
        with_cache(config, SENTINELS + 'password_env = "PW"\nsentinel_username = "watcher"\n')
    )
    assert sentinel.cache == CacheSettings(
        sentinels=("10.0.0.1:26379", "[::1]:26380"),
        sentinel_service="mymaster",
        password_env="PW",
        sentinel_username="watcher",
    )
    assert sentinel.cache.uses_redis
    assert not load_config(with_cache(config, "ttl = 60\n")).cache.uses_redis


@pytest.mark.parametrize(
    ("cache", "key", "why"),
    [
        ('redis_url = "redis://n1:7000/0"\n' + SENTINELS, "sentinels", "with redis_url"),
        ("cluster = true\n" + SENTINELS, "cluster", "with sentinels"),
        ('sentinels = ["s:26379"]\n', "sentinel_service", "is required"),
        ('sentinels = ["s:26379"]\nsentinel_service = " "\n', "sentinel_service", "required"),
        ('sentinel_service = "mymaster"\n', "sentinel_service", "needs sentinels"),
        ('sentinels = []\nsentinel_service = "m"\n', "sentinels", "non-empty"),
        ('sentinels = "s:26379"\nsentinel_service = "m"\n', "sentinels", "must be a list"),
        ('sentinels = [26379]\nsentinel_service = "m"\n', "sentinels", "non-empty list"),
        ('sentinels = ["s"]\nsentinel_service = "m"\n', "sentinels", "host:port"),
        ('sentinels = ["s:0"]\nsentinel_service = "m"\n', "sentinels", "port"),
        ('sentinels = ["u:p@s:26379"]\nsentinel_service = "m"\n', "sentinels", "host:port"),
        ('sentinels = ["s:1", "s:1"]\nsentinel_service = "m"\n', "sentinels", "twice"),
        ("cluster = true\n", "cluster", "needs redis_url"),
        ('cluster = "yes"\nredis_url = "redis://n1:7000"\n', "cluster", "must be a bool"),
        ('redis_url = "redis://n1:7000/2"\ncluster = true\n', "redis_url", "database 0"),
        ('redis_url = "redis://n1:7000?db=3"\ncluster = true\n', "redis_url", "database 0"),
        ('redis_url = "unix:///tmp/r.sock"\ncluster = true\n', "redis_url", "unix"),
        ('redis_url = "redis://n1:6379"\npassword_env = "PW"\n', "password_env", "only"),
        ('redis_url = "redis://n1:6379"\nusername = "u"\n', "username", "only used with"),
        ("sentinel_password_env = 'PW'\n", "sentinel_password_env", "only used with"),
        (SENTINELS + 'password_env = ""\n', "password_env", "must name"),
    ],
)
def test_combinations_that_cannot_work_stop_start_up(
    config: Path, cache: str, key: str, why: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(with_cache(config, cache))
    message = str(caught.value)
    assert str(config) in message
    assert key in message
    assert why in message


def test_the_same_checks_apply_to_options_given_in_code() -> None:
    with pytest.raises(ValueError, match="sentinel_service is required"):
        CacheSettings(sentinels=("s:26379",))
    with pytest.raises(ValueError, match="redis_url must name database 0"):
        CacheSettings(redis_url="redis://n1:7000/1", cluster=True)
    listed = CacheSettings(sentinels=["s:26379"], sentinel_service="m")  # type: ignore[arg-type]
    assert listed.sentinels == ("s:26379",)


def test_sentinel_passwords_come_from_the_named_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = CacheSettings(
        sentinels=("10.0.0.1:26379", "[::1]:26380"),
        sentinel_service="mymaster",
        username="gate",
        password_env="TEST_PRIMARY_PW",
        sentinel_password_env="TEST_SENTINEL_PW",
        secret="s" * 16,
    )
    monkeypatch.delenv("TEST_PRIMARY_PW", raising=False)
    monkeypatch.setenv("TEST_SENTINEL_PW", "watch-pw")
    with pytest.raises(ConfigError, match=r"password_env names \$TEST_PRIMARY_PW"):
        redis_target(settings)
    with pytest.raises(ConfigError, match="TEST_PRIMARY_PW"):  # the gate does not start
        shared_cache(settings, FixedClock(0))
    monkeypatch.setenv("TEST_PRIMARY_PW", "primary-pw")
    target = redis_target(settings)
    assert target is not None
    assert target.sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (target.username, target.password, target.sentinel_password) == (
        "gate",
        "primary-pw",
        "watch-pw",
    )
    assert "primary-pw" not in repr(target)
    assert "watch-pw" not in repr(target)


def test_sentinels_need_the_mac_secret_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURISGATE_CACHE_SECRET", raising=False)
    settings = CacheSettings(sentinels=("s:26379",), sentinel_service="m")
    with pytest.raises(ConfigError, match=r"\[cache\] sentinels needs a MAC secret"):
        resolve_secret(settings)
    with pytest.raises(ConfigError, match="MAC secret"):
        shared_cache(settings, FixedClock(0))


def test_the_url_and_its_password_stay_out_of_reprs() -> None:
    settings = CacheSettings(redis_url="redis://:hunter2hunter2@n1:7000/0", cluster=True)
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in repr(RedisTarget(url="redis://:hunter2hunter2@n1:7000/0"))
