"""``[[results]]`` and ``[items]`` in jurisgate.toml: read strictly, errors name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurisgate.middleware import ConfigError, load_config
from jurisgate.middleware.results.route_paths import ResultPaths

ISSUER = """[[issuers]]
issuer = "https://idp.test"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "{key}"
"""
DEV_KEY = Path(__file__).resolve().parents[2] / "examples" / "dev" / "dev_idp_public.pem"


def config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "jurisgate.toml"
    path.write_text(ISSUER.format(key=DEV_KEY) + extra, encoding="utf-8")
    return path


def test_results_and_items_are_read(tmp_path: Path) -> None:
    loaded = load_config(
        config(
            tmp_path,
            '[[results]]\npath = "/clusters/*"\nitems = "clusters[*].faces"\n'
            'counts = ["total", "clusters[*].n"]\ncountry = "cc"\nunknown = "refuse"\n'
            '[items]\npacks = ["clearview_settlement"]\nfiles = ["mine.csv"]\n'
            'disabled_rules = ["il-opt-out"]\n',
        )
    )
    (route,) = loaded.results
    assert ResultPaths(loaded.results).find("/clusters/7") is route
    assert ResultPaths(loaded.results).find("/clustersx") is None
    assert route.fields.country == "cc"
    assert route.unknown == "refuse"
    assert route.mode == "filter"  # the default
    assert loaded.items.packs == ("clearview_settlement",)
    assert loaded.items.files == (tmp_path / "mine.csv",)
    assert loaded.items.disabled_rules == {"il-opt-out"}


def test_mode_verify_is_read(tmp_path: Path) -> None:
    loaded = load_config(
        config(tmp_path, '[[results]]\npath = "/search"\nitems = "results"\nmode = "verify"\n')
    )
    assert [route.mode for route in loaded.results] == ["verify"]


def test_collected_at_names_the_entries_field_and_defaults_to_none(tmp_path: Path) -> None:
    loaded = load_config(
        config(
            tmp_path,
            '[[results]]\npath = "/a"\nitems = "r"\ncollected_at = "taken"\n'
            '[[results]]\npath = "/b"\nitems = "r"\n',
        )
    )
    assert [route.fields.collected_at for route in loaded.results] == ["taken", None]


def test_the_defaults(tmp_path: Path) -> None:
    loaded = load_config(config(tmp_path, ""))
    assert loaded.results == ()
    assert loaded.items.packs == ("clearview_settlement", "foreign_orders")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[results]]\nitems = "results"\n', "results[0].path is required"),
        (
            '[[results]]\npath = "/s"\nitems = "results"\nlimit = 3\n',
            "unknown key results[0].limit",
        ),
        ('[[results]]\npath = "/s"\nitems = "a..b"\n', "items: 'a..b' must be dotted keys"),
        ('[[results]]\npath = "/s"\nitems = "a[*]"\n', "must end at the list"),
        ('[[results]]\npath = "/s"\nitems = "r"\ncounts = ["x[*].n"]\n', "must start with"),
        ('[[results]]\npath = "/s"\nitems = "r"\nunknown = "maybe"\n', "unknown must be"),
        ('[[results]]\npath = "/s"\nitems = "r"\nmax_body_bytes = 10\n', "max_body_bytes"),
        (
            '[[results]]\npath = "/s"\nitems = "r"\nmode = "check"\n',
            "results[0].mode must be 'filter' or 'verify'",
        ),
        ('[[results]]\npath = "/s"\nitems = "r"\nmode = 1\n', "results[0].mode must be a str"),
        ('[[results]]\npath = "s"\nitems = "r"\n', "path must be"),
        # The paths are matched in their canonical spelling: another would match nothing.
        ('[[results]]\npath = "/search/"\nitems = "r"\n', "'/search' as the policy reads it"),
        ('[[results]]\npath = "//search"\nitems = "r"\n', "'/search' as the policy reads it"),
        ('[[results]]\npath = "/a/../s/*"\nitems = "r"\n', "'/s/*' as the policy reads it"),
        (
            '[[results]]\npath = "/s"\nitems = "r"\n[[results]]\npath = "/s"\nitems = "q"\n',
            "the same path appears twice",
        ),
        ('[items]\npacks = ["nope"]\n', "unknown pack 'nope'"),
        ('[items]\nfiles = [""]\n', "items.files must be a list of non-empty strings"),
        ("[items]\nextra = 1\n", "unknown key items.extra"),
        ('[[results]]\npath = "/s"\nitems = "r"\ncollected_at = ""\n', "collected_at must name"),
        ('[[results]]\npath = "/s"\nitems = "r"\ncollected_at = 3\n', "results[0].collected_at"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config(tmp_path, extra))
    assert str(tmp_path / "jurisgate.toml") in str(caught.value)
    assert message in str(caught.value)
