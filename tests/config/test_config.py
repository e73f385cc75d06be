"""jurisgate.toml: a valid file loads; every mistake stops start-up naming the key and the file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jurisgate.admin.policy_publish import publish_policy
from jurisgate.middleware import (
    CacheSettings,
    ConfigError,
    GateConfig,
    JurisdictionMiddleware,
    PolicySettings,
    TokenPolicy,
    load_config,
)
from jurisgate.middleware.config.gate_config import CONFIG_ENV
from jurisgate.policies import pack_files

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

ISSUER = """
[[issuers]]
issuer = "https://idp.example.gov"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "keys/idp.pem"
"""


async def _app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("the app is never called while loading configuration")


@pytest.fixture
def conf_dir(tmp_path: Path, dev_public_key: bytes, dev_private_key: bytes) -> Path:
    """A directory with keys/idp.pem (public), keys/private.pem and a copy of the policy pack."""
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "idp.pem").write_bytes(dev_public_key)
    (tmp_path / "keys" / "private.pem").write_bytes(dev_private_key)
    (tmp_path / "policy").mkdir()
    model, policy = pack_files()
    (tmp_path / "policy" / "model.conf").write_text(model.read_text(encoding="utf-8"))
    (tmp_path / "policy" / "policy.csv").write_text(policy.read_text(encoding="utf-8"))
    return tmp_path


def write(directory: Path, text: str, name: str = "jurisgate.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message, f"the message does not name the file: {message}"
    return message


def test_minimal_file_and_defaults(conf_dir: Path, dev_public_key: bytes) -> None:
    config = load_config(write(conf_dir, ISSUER))
    (issuer,) = config.issuers
    assert issuer.issuer == "https://idp.example.gov"
    assert issuer.audience == "face-search-api"
    assert issuer.algorithms == ("RS256",)
    assert issuer.key == dev_public_key
    assert config.tokens == TokenPolicy()
    assert config.policy == PolicySettings()
    assert config.cache == CacheSettings()
    assert config.blocked_by is None


def test_full_file(
    conf_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write(
        conf_dir,
        ISSUER
        + """
[[issuers]]
issuer = "https://other-idp.example.gov"
audience = "face-search-api"
algorithms = ["RS384", "PS256"]
public_key_file = "keys/idp.pem"

[tokens]
leeway = 5
max_bytes = 4096
max_lifetime = 3600

[policy]
model = "policy/model.conf"
policy = "policy/policy.csv"

[cache]
redis_url = "rediss://cache.example.gov:6380/1"
local_max_entries = 0
ttl = 60
secret = "replicas-share-this-secret-0123456789"

[responses]
blocked_by = "https://search.example.com/legal"
""",
    )
    # Relative paths resolve against the file, not the working directory.
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = load_config(path)
    assert [i.issuer for i in config.issuers] == [
        "https://idp.example.gov",
        "https://other-idp.example.gov",
    ]
    assert config.issuers[1].algorithms == ("RS384", "PS256")
    assert config.tokens == TokenPolicy(leeway=5, max_bytes=4096, max_lifetime=3600)
    assert config.policy == PolicySettings(
        conf_dir / "policy" / "model.conf", conf_dir / "policy" / "policy.csv"
    )
    assert config.cache == CacheSettings(
        redis_url="rediss://cache.example.gov:6380/1",
        local_max_entries=0,
        ttl=60.0,
        secret="replicas-share-this-secret-0123456789",
    )
    assert config.blocked_by == "https://search.example.com/legal"
    assert config.origin == str(path)
    # ...and the middleware starts on it, once its watched policy files are published.
    publish_policy(config.policy)
    gate = JurisdictionMiddleware(_app, config=path)
    assert {rule.id for rule in gate.engine.rules} >= {
        "il-agencies-five-years",
        "us-private-permanent",
    }


def test_absolute_key_path(conf_dir: Path, dev_public_key: bytes) -> None:
    key = conf_dir / "keys" / "idp.pem"
    path = write(conf_dir, ISSUER.replace('"keys/idp.pem"', f'"{key}"'))
    assert load_config(path).issuers[0].key == dev_public_key


def test_hmac_secret_is_stripped(conf_dir: Path) -> None:
    (conf_dir / "keys" / "secret").write_bytes(b"  shared-secret-of-enough-length-0123456789\n")
    text = ISSUER.replace('["RS256"]', '["HS256"]').replace("keys/idp.pem", "keys/secret")
    config = load_config(write(conf_dir, text))
    assert config.issuers[0].key == b"shared-secret-of-enough-length-0123456789"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (ISSUER + "\naudit = true\n", "audit"),
        (ISSUER + "\n[token]\nleeway = 5\n", "token"),
        (ISSUER + 'audiance = "face-search-api"\n', "issuers[0].audiance"),
        (ISSUER + 'kid = "k1"\n', "issuers[0].kid"),
        (ISSUER + "\n[tokens]\nleway = 5\n", "tokens.leway"),
        (ISSUER + '\n[policy]\nmodels = "x"\n', "policy.models"),
        (ISSUER + '\n[cache]\nredis = "redis://x"\n', "cache.redis"),
        (ISSUER + '\n[responses]\nblocked = "https://x"\n', "responses.blocked"),
    ],
)
def test_unknown_keys(conf_dir: Path, text: str, key: str) -> None:
    message = config_error(write(conf_dir, text))
    assert key in message
    assert "unknown" in message or "required" in message


def test_misspelt_required_key_is_named(conf_dir: Path) -> None:
    message = config_error(write(conf_dir, ISSUER.replace("audience =", "audiance =")))
    assert "issuers[0].audiance" in message


def test_unknown_key_in_second_issuer(conf_dir: Path) -> None:
    text = ISSUER + ISSUER.replace("idp.example.gov", "idp2.example.gov") + 'algorithm = "x"\n'
    assert "issuers[1].algorithm" in config_error(write(conf_dir, text))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('issuers = "https://idp"\n', "issuers"),
        ("issuers = [1]\n", "issuers[0]"),
        (ISSUER.replace('"face-search-api"', "7"), "audience"),
        (ISSUER.replace('["RS256"]', '"RS256"'), "algorithms"),
        (ISSUER.replace('["RS256"]', "[256]"), "algorithms"),
        (ISSUER.replace('["RS256"]', "[]"), "algorithms"),
        (ISSUER.replace('"keys/idp.pem"', "true"), "public_key_file"),
        (ISSUER + '\n[tokens]\nleeway = "30"\n', "leeway"),
        (ISSUER + "\n[tokens]\nleeway = true\n", "leeway"),
        (ISSUER + "\n[tokens]\nmax_bytes = 1.5\n", "max_bytes"),
        (ISSUER + "\n[tokens]\nleeway = 3600\n", "leeway"),
        (ISSUER + "\n[tokens]\nmax_bytes = 10\n", "max_bytes"),
        (ISSUER + '\ntokens = "strict"\n', "tokens"),
        (ISSUER + "\n[cache]\nttl = true\n", "ttl"),
        (ISSUER + "\n[cache]\nttl = 0\n", "ttl"),
        (ISSUER + "\n[cache]\nlocal_max_entries = -1\n", "local_max_entries"),
        (ISSUER + "\n[policy]\nmodel = 1\npolicy = 2\n", "model"),
        (ISSUER + '\n[responses]\nblocked_by = "ftp://x"\n', "blocked_by"),
        (ISSUER + '\n[responses]\nblocked_by = "https://x/>; rel=evil"\n', "blocked_by"),
    ],
)
def test_wrong_types_and_values(conf_dir: Path, text: str, key: str) -> None:
    assert key in config_error(write(conf_dir, text))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "issuers"),
        ("[tokens]\nleeway = 5\n", "issuers"),
        ("issuers = []\n", "issuers"),
        *[
            ("\n".join(line for line in ISSUER.splitlines() if not line.startswith(name)), name)
            for name in ("issuer", "audience", "algorithms", "public_key_file")
        ],
    ],
)
def test_missing_required_keys(conf_dir: Path, text: str, key: str) -> None:
    message = config_error(write(conf_dir, text))
    assert key in message
    assert "required" in message or "at least one" in message


def test_private_key_given_as_public_key_file(conf_dir: Path) -> None:
    message = config_error(write(conf_dir, ISSUER.replace("keys/idp.pem", "keys/private.pem")))
    assert "issuers[0].public_key_file" in message
    assert "private key" in message


def test_unreadable_key_file(conf_dir: Path) -> None:
    message = config_error(write(conf_dir, ISSUER.replace("keys/idp.pem", "keys/nope.pem")))
    assert "issuers[0].public_key_file" in message
    assert str(conf_dir / "keys" / "nope.pem") in message


def test_mixed_algorithm_families(conf_dir: Path) -> None:
    message = config_error(write(conf_dir, ISSUER.replace('["RS256"]', '["RS256", "ES256"]')))
    assert "issuers[0]" in message
    assert "family" in message


def test_same_issuer_twice(conf_dir: Path) -> None:
    assert "twice" in config_error(write(conf_dir, ISSUER + ISSUER))


@pytest.mark.parametrize(
    "url", ["http://cache:6379", "redis:/cache", "memcached://cache:11211", "cache:6379", ""]
)
def test_bad_redis_url_scheme(conf_dir: Path, url: str) -> None:
    message = config_error(write(conf_dir, ISSUER + f'\n[cache]\nredis_url = "{url}"\n'))
    assert "cache.redis_url" in message


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://c:6380", "unix:///tmp/r.sock"]
)
def test_good_redis_url_schemes(conf_dir: Path, url: str) -> None:
    config = load_config(write(conf_dir, ISSUER + f'\n[cache]\nredis_url = "{url}"\n'))
    assert config.cache.redis_url == url


@pytest.mark.parametrize(
    ("table", "missing"),
    [
        ('model = "policy/model.conf"', "policy.policy"),
        ('policy = "policy/policy.csv"', "policy.model"),
    ],
)
def test_model_without_policy_and_back(conf_dir: Path, table: str, missing: str) -> None:
    message = config_error(write(conf_dir, ISSUER + f"\n[policy]\n{table}\n"))
    assert missing in message
    assert "required" in message


@pytest.mark.parametrize(
    "table",
    ['model = ""\npolicy = "policy/policy.csv"', 'model = "policy/model.conf"\npolicy = ""'],
)
def test_empty_policy_path_is_an_error(conf_dir: Path, table: str) -> None:
    config_error(write(conf_dir, ISSUER + f"\n[policy]\n{table}\n"))


@pytest.mark.parametrize(
    "text",
    [
        ISSUER + "\n[[issuers]\n",
        ISSUER + 'audience = "again"\n',  # duplicate key is a TOML error
        "issuers = [\n",
        "key = 'unterminated\n",
    ],
)
def test_invalid_toml(conf_dir: Path, text: str) -> None:
    assert "not valid TOML" in config_error(write(conf_dir, text))


def test_not_utf8(conf_dir: Path) -> None:
    path = conf_dir / "jurisgate.toml"
    path.write_bytes(ISSUER.encode("utf-16"))
    config_error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in config_error(tmp_path / "absent.toml")


def test_environment_variable_names_the_file(
    conf_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(conf_dir, ISSUER)
    monkeypatch.setenv(CONFIG_ENV, str(path))
    config = load_config()
    assert config.origin == str(path)
    assert config.issuers[0].issuer == "https://idp.example.gov"
    gate = JurisdictionMiddleware(_app)
    assert gate.config.origin == str(path)


def test_explicit_path_wins_over_environment(
    conf_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(conf_dir / "absent.toml"))
    assert load_config(write(conf_dir, ISSUER)).issuers


def test_environment_variable_with_bad_file(
    conf_dir: Path, monkeypatch: pytest.MonkeyPatch, startup_failure: StartupFailureOf
) -> None:
    path = write(conf_dir, ISSUER + "\nsurprise = 1\n")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    with pytest.raises(ConfigError, match="surprise"):
        load_config()
    assert "surprise" in startup_failure(JurisdictionMiddleware(_app), ConfigError)


@pytest.mark.parametrize("value", [None, ""])
def test_no_configuration_at_all(
    monkeypatch: pytest.MonkeyPatch, value: str | None, startup_failure: StartupFailureOf
) -> None:
    if value is None:
        monkeypatch.delenv(CONFIG_ENV, raising=False)
    else:
        monkeypatch.setenv(CONFIG_ENV, value)
    with pytest.raises(ConfigError, match=CONFIG_ENV):
        load_config()
    assert CONFIG_ENV in startup_failure(JurisdictionMiddleware(_app), ConfigError)


def test_config_object_and_issuers_are_exclusive(
    conf_dir: Path, startup_failure: StartupFailureOf
) -> None:
    config = load_config(write(conf_dir, ISSUER))
    assert isinstance(config, GateConfig)
    gate = JurisdictionMiddleware(_app, config=config, issuers=config.issuers)
    assert "either config or issuers" in startup_failure(gate, TypeError)


def test_copied_pack_is_the_same_policy(conf_dir: Path) -> None:
    """The [policy] files are really read: a copy of the pack has the pack's rules."""
    shutil.copy(conf_dir / "policy" / "policy.csv", conf_dir / "policy" / "copy.csv")
    text = ISSUER + '\n[policy]\nmodel = "policy/model.conf"\npolicy = "policy/copy.csv"\n'
    config = load_config(write(conf_dir, text))
    assert config.policy.policy == conf_dir / "policy" / "copy.csv"
    publish_policy(config.policy)
    gate = JurisdictionMiddleware(_app, config=config)
    assert "copy.csv" in gate.engine.rules[0].source


STORE = "postgresql://jurisgate:not-a-real-password@db.invalid:5432/policy"


def test_manifest_keys(conf_dir: Path) -> None:
    text = ISSUER + '\n[policy]\nmodel = "policy/model.conf"\npolicy = "policy/policy.csv"\n'
    watched = load_config(write(conf_dir, text)).policy
    assert watched.manifest_required  # watched files: only a published set is applied
    assert watched.manifest_path == conf_dir / "policy" / "policy-manifest.json"
    unwatched = load_config(write(conf_dir, text + "watch_interval = 0\n")).policy
    assert not unwatched.manifest_required  # read once, at start-up
    text += 'manifest = "release/manifest.json"\nrequire_manifest = false\n'
    chosen = load_config(write(conf_dir, text)).policy
    assert chosen.manifest_path == conf_dir / "release" / "manifest.json"
    assert not chosen.manifest_required
    assert not PolicySettings().manifest_required  # the bundled pack is never published
    with pytest.raises(ConfigError, match=r"policy.require_manifest must be a bool"):
        load_config(write(conf_dir, ISSUER + "\n[policy]\nrequire_manifest = 1\n"))
    with pytest.raises(ConfigError, match="need policy files"):
        load_config(write(conf_dir, ISSUER + "\n[policy]\nrequire_manifest = true\n"))


def test_policy_store_keys(conf_dir: Path) -> None:
    text = (
        ISSUER
        + f'\n[policy]\nmodel = "policy/model.conf"\nstore = "{STORE}"\n'
        + 'store_table = "policy_v2"\nwatch_interval = 2\nstore_timeout = 1.5\n'
    )
    config = load_config(write(conf_dir, text))
    assert config.policy == PolicySettings(
        conf_dir / "policy" / "model.conf",
        None,
        watch_interval=2.0,
        store=STORE,
        store_table="policy_v2",
        store_timeout=1.5,
    )
    assert "not-a-real-password" not in repr(config.policy), "the DSN may hold a password"


def test_policy_store_table_defaults(conf_dir: Path) -> None:
    text = ISSUER + f'\n[policy]\nmodel = "policy/model.conf"\nstore = "{STORE}"\n'
    policy = load_config(write(conf_dir, text)).policy
    assert policy.store_table == "jurisgate_policy"
    assert policy.store_timeout == 5.0


@pytest.mark.parametrize(
    ("table", "key"),
    [
        (f'store = "{STORE}"', "policy.model"),  # the model stays a file
        (f'model = "policy/model.conf"\npolicy = "policy/policy.csv"\nstore = "{STORE}"', "policy"),
        ('model = "policy/model.conf"\nstore = "mysql://db/x"', "postgresql://"),
        ('model = "policy/model.conf"\nstore = 5', "policy.store"),
        (f'model = "policy/model.conf"\nstore = "{STORE}"\nstore_table = "Robert; DROP"', "table"),
        (f'model = "policy/model.conf"\nstore = "{STORE}"\nstore_tabel = "x"', "store_tabel"),
        (f'model = "policy/model.conf"\nstore = "{STORE}"\nstore_timeout = 0', "store_timeout"),
        (f'model = "policy/model.conf"\nstore = "{STORE}"\nstore_timeout = 301', "store_timeout"),
    ],
)
def test_policy_store_mistakes(conf_dir: Path, table: str, key: str) -> None:
    message = config_error(write(conf_dir, ISSUER + f"\n[policy]\n{table}\n"))
    assert key in message
    assert "not-a-real-password" not in message


STORED = f'model = "policy/model.conf"\nstore = "{STORE}"\n'


def test_max_staleness_of_a_store(conf_dir: Path) -> None:
    text = (
        ISSUER
        + f"\n[policy]\n{STORED}watch_interval = 2\nstore_timeout = 1.5\nmax_staleness = 10\n"
    )
    policy = load_config(write(conf_dir, text)).policy
    assert policy.max_staleness == 10.0
    assert policy.staleness_bound == 10.0


def test_max_staleness_defaults_to_three_checks_of_the_store(conf_dir: Path) -> None:
    policy = load_config(write(conf_dir, ISSUER + f"\n[policy]\n{STORED}")).policy
    assert policy.max_staleness is None
    # One check: watch_interval 1 + libpq's connect timeout 5 + store_timeout 5 = 11 s.
    assert policy.staleness_bound == 33.0
    quick = PolicySettings(Path("m.conf"), store=STORE, watch_interval=0.1, store_timeout=0.5)
    assert quick.staleness_bound == pytest.approx(3 * (0.1 + 2 + 0.5))  # connect: at least 2 s


def test_files_and_unwatched_stores_have_no_staleness_bound() -> None:
    assert PolicySettings().staleness_bound is None
    assert PolicySettings(Path("m.conf"), Path("p.csv")).staleness_bound is None
    assert PolicySettings(Path("m.conf"), store=STORE, watch_interval=0).staleness_bound is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (f"{STORED}max_staleness = 0", "max_staleness must be more than"),
        (f"{STORED}max_staleness = -5", "max_staleness must be more than"),
        (f"{STORED}max_staleness = nan", "max_staleness must be more than"),
        (f"{STORED}max_staleness = inf", "max_staleness must be more than"),
        (f"{STORED}max_staleness = 86401", "at most 86400"),
        (f"{STORED}max_staleness = 11", "(watch_interval + 5 + store_timeout = 11 s)"),
        (f'{STORED}max_staleness = "30"', "policy.max_staleness must be a float"),
        (f"{STORED}max_staleness = true", "policy.max_staleness must be a float"),
        (f"{STORED}watch_interval = 0\nmax_staleness = 60", "max_staleness needs watch_interval"),
        (
            'model = "policy/model.conf"\npolicy = "policy/policy.csv"\nmax_staleness = 60',
            "max_staleness applies to a policy store only",
        ),
        ("max_staleness = 60", "max_staleness applies to a policy store only"),
    ],
)
def test_max_staleness_mistakes(conf_dir: Path, table: str, message: str) -> None:
    error = config_error(write(conf_dir, ISSUER + f"\n[policy]\n{table}\n"))
    assert message in error
    assert "max_staleness" in error
    assert "not-a-real-password" not in error


def test_max_staleness_in_code() -> None:
    with pytest.raises(ValueError, match="max_staleness must be more than"):
        PolicySettings(Path("m.conf"), store=STORE, max_staleness=11.0)
    with pytest.raises(ValueError, match="policy store only"):
        PolicySettings(max_staleness=60.0)


def test_policy_store_settings_in_code() -> None:
    with pytest.raises(ValueError, match="model"):
        PolicySettings(store=STORE)
    with pytest.raises(ValueError, match="store_table"):
        PolicySettings(Path("m.conf"), store=STORE, store_table="x-y")


def test_bundled_reading_defaults_to_strict(conf_dir: Path) -> None:
    assert load_config(write(conf_dir, ISSUER)).policy.bundled_reading == "strict"
    config = load_config(write(conf_dir, ISSUER + '\n[policy]\nbundled_reading = "decree_text"\n'))
    assert config.policy.bundled_reading == "decree_text"


@pytest.mark.parametrize(
    "table",
    [
        'bundled_reading = "lenient"',
        'bundled_reading = "Decree_Text"',
        "bundled_reading = 1",
        # A reading of the bundled pack says nothing about your own files: refused, not ignored.
        'bundled_reading = "decree_text"\n'
        'model = "policy/model.conf"\npolicy = "policy/policy.csv"',
    ],
)
def test_bad_bundled_reading_is_a_start_up_error(conf_dir: Path, table: str) -> None:
    assert "policy.bundled_reading" in config_error(
        write(conf_dir, ISSUER + f"\n[policy]\n{table}\n")
    )
