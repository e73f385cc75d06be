"""The ingest check and the result filter read the same item rules: turning a pack or a rule
off, or overriding one, in ``[items]`` changes both (they cannot drift apart)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jurisgate.admin.cli import main
from jurisgate.middleware import admissible, filter_items, load_config
from jurisgate.middleware.config.gate_config import CONFIG_ENV
from jurisgate.middleware.config.loading import item_policy_of
from jurisgate.middleware.ingest import bundled_boundaries, bundled_ingest_rules
from jurisgate.middleware.results import ItemPolicy

NOW = "2026-11-26T12:00:00Z"
CHICAGO = [41.8781, -87.6298]
ROME = [41.9028, 12.4964]
BERLIN = [52.52, 13.405]
DEV_KEY = Path(__file__).resolve().parents[2] / "examples" / "dev" / "dev_idp_public.pem"
ISSUER = f"""[[issuers]]
issuer = "https://idp.test"
audience = "face-search-api"
algorithms = ["RS256"]
public_key_file = "{DEV_KEY}"
"""
CITATION = '"people in Germany", "a test order", https://example.org/order'


@pytest.fixture(autouse=True)
def _no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def configured(tmp_path: Path, items: str) -> tuple[str, ItemPolicy]:
    path = tmp_path / "jurisgate.toml"
    path.write_text(ISSUER + "[items]\n" + items, encoding="utf-8")
    loaded = load_config(path)
    return str(path), item_policy_of(loaded.policy, loaded.items)


def both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], items: str, gps: list[float], region: str
) -> tuple[str | None, str | None, str | None]:
    """(the library check's rule, the command's rule, the filter's removing rule)."""
    config, policy = configured(tmp_path, items)
    library = admissible({"gps": gps}, at=NOW, rules=policy).rule
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"gps": gps}), encoding="utf-8")
    code = main(["admissible", "--config", config, "--facts", str(facts), "--at", NOW, "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert (code == 0) == answer["admissible"]
    entry = {"id": "e1", "source_region": region, "source_country": region.split("-")[0]}
    outcome = filter_items([entry], at=NOW, suppressed=(), policy=policy)
    removed = next(iter(outcome.removed), None)
    return library, answer["rule"], removed


def test_the_default_items_refuse_and_remove_illinois(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = "il-photos-five-years"
    assert both(tmp_path, capsys, "", CHICAGO, "US-IL") == (rule, rule, rule)
    assert admissible({"gps": CHICAGO}, at=NOW).rule == rule  # the library default agrees


def test_disabling_the_illinois_rule_turns_off_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = 'disabled_rules = ["il-photos-five-years"]\n'
    assert both(tmp_path, capsys, items, CHICAGO, "US-IL") == (None, None, None)


def test_dropping_a_pack_turns_off_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = "it-garante-2022"
    assert both(tmp_path, capsys, "", ROME, "IT-RM") == (rule, rule, rule)
    items = 'packs = ["clearview_settlement"]\n'
    assert both(tmp_path, capsys, items, ROME, "IT-RM") == (None, None, None)


def test_an_override_changes_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The admin's rule of the same id replaces the pack's: here it ended in 2025."""
    own = tmp_path / "own.csv"
    own.write_text(
        "p2, il-photos-five-years, suppress, collected_in, US-IL, 2022-05-11, 2025-01-01, "
        'refuse, "photos from Illinois", "an earlier end", https://example.org/il\n',
        encoding="utf-8",
    )
    items = f'files = ["{own}"]\n'
    assert both(tmp_path, capsys, items, CHICAGO, "US-IL") == (None, None, None)


def test_an_admins_rule_for_an_unmapped_country_refuses_a_point_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No outline of Germany is bundled: a GPS point cannot rule Germany out, so the rule's
    ``unknown`` decides (fail closed); a region tag still can."""
    own = tmp_path / "own.csv"
    own.write_text(
        f"p2, de-test, suppress, collected_in, DE, 2020-01-01, , refuse, {CITATION}\n",
        encoding="utf-8",
    )
    _, policy = configured(tmp_path, f'files = ["{own}"]\npacks = []\n')
    answer = admissible({"gps": BERLIN}, at=NOW, rules=policy)
    assert answer.rule == "de-test"
    assert "gps:unmapped:de-test" in answer.signals
    assert admissible({"region": "DE-BE"}, at=NOW, rules=policy).rule == "de-test"
    assert admissible({"region": "PL"}, at=NOW, rules=policy).admissible
    assert both(tmp_path, capsys, f'files = ["{own}"]\npacks = []\n', BERLIN, "DE-BE")[2] == (
        "de-test"
    )


def test_every_bundled_rule_territory_has_an_outline_or_a_country_outline() -> None:
    """The codes the item rules use (ISO 3166-1/-2) map to the geography's territories: the
    subdivision itself (US-IL, CA-BC) or, where it has no outline, its country (over-blocked)."""
    territories = bundled_boundaries().territories
    for rule in bundled_ingest_rules():
        for code in rule.where:
            assert code in territories or code.split("-")[0] in territories, (rule.id, code)
