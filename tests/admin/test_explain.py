"""``jurisgate explain``: in-process through main(), and once as the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from jurisgate.admin.cli import main
from jurisgate.middleware.config.gate_config import CONFIG_ENV

TODAY = "2026-11-26T12:00:00Z"
ACLU = "https://www.aclu.org/cases/aclu-v-clearview-ai"
NLR = (
    "https://www.natlawreview.com/article/"
    "facial-recognition-clearview-aclu-settlement-charts-new-path-bipa-and-first"
)
ISP = {
    "entity_type": "state_law_enforcement",
    "country": "US",
    "region": "IL",
    "agency_region": "US-IL",
}


@pytest.fixture(autouse=True)
def _no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


@pytest.fixture
def claims_file(tmp_path: Path) -> Any:
    def write(claims: object, name: str = "claims.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(claims), encoding="utf-8")
        return str(path)

    return write


def pack_rule_ids() -> list[str]:
    """Rule ids read straight from the bundled policy.csv (not through jurisgate's parser)."""
    text = files("jurisgate.policies.clearview_settlement").joinpath("policy.csv").read_text()
    return [line.split(",")[1].strip() for line in text.splitlines() if line.startswith("p,")]


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["explain", *args])
    out, err = capsys.readouterr()
    return code, out, err


def explain_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = explain(capsys, *args, "--json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_text_output(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    code, out, err = explain(
        capsys, "--claims", claims_file(ISP), "--path", "/search", "--at", TODAY
    )
    assert code == 0
    assert err == ""
    assert "GET /search at 2026-11-26T12:00:00Z" in out
    assert "DENY -> 451" in out
    assert "il-agencies-five-years" in out
    assert NLR in out
    assert "Clearview" in out
    assert "state_law_enforcement of US-IL in US/US-IL" in out
    assert "2027-05-11T05:00:00Z" in out


def test_json_output(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    result = explain_json(
        capsys, "--claims", claims_file(ISP), "--path", "/search", "--method", "get", "--at", TODAY
    )
    assert result["effect"] == "deny"
    assert result["status"] == 451
    assert result["rule"] == "il-agencies-five-years"
    assert result["citation"]["url"] == NLR
    assert "five years" in result["citation"]["text"]
    assert result["valid_until"] == "2027-05-11T05:00:00Z"
    assert result["method"] == "GET"
    assert result["path"] == "/search"
    assert result["at"] == TODAY
    assert result["principal"]["region"] == "US-IL"
    assert result["principal"]["entity_type"] == "state_law_enforcement"
    assert result["policy_version"]
    assert "trace" not in result
    assert {"effect", "status", "rule", "citation", "reason", "valid_until", "principal"} <= set(
        result
    )


def test_after_the_five_years_illinois_is_allowed(
    capsys: pytest.CaptureFixture[str], claims_file: Any
) -> None:
    result = explain_json(
        capsys, "--claims", claims_file(ISP), "--path", "/search", "--at", "2027-06-01T00:00:00Z"
    )
    assert (result["effect"], result["status"]) == ("allow", 200)
    assert result["rule"] == "us-government-search"
    assert result["valid_until"] is None


@pytest.mark.parametrize(
    ("at", "status"),
    [
        ("2027-05-10T23:59:59Z", 451),
        ("2027-05-11T00:00:00Z", 451),  # 7 pm on May 10 in Chicago
        ("2027-05-11T04:59:59Z", 451),
        ("2027-05-11T05:00:00Z", 200),  # midnight in Chicago
        ("2027-05-11T01:00:00-04:00", 200),
        ("2027-05-11T00:00:00-05:00", 200),
    ],
)
def test_boundary_instants(
    capsys: pytest.CaptureFixture[str], claims_file: Any, at: str, status: int
) -> None:
    result = explain_json(capsys, "--claims", claims_file(ISP), "--path", "/search", "--at", at)
    assert result["status"] == status


@pytest.mark.parametrize(
    ("claims", "status", "rule"),
    [
        (
            {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-DC"},
            200,
            "us-government-search",
        ),
        (
            {"entity_type": "private_company", "country": "US", "region": "Texas"},
            451,
            "us-private-permanent",
        ),
        (
            {"entity_type": "individual", "country": "us", "region": "ca"},
            451,
            "us-private-permanent",
        ),
        ({"entity_type": "foreign_law_enforcement", "country": "UA"}, 403, None),
    ],
)
def test_decisions(
    capsys: pytest.CaptureFixture[str],
    claims_file: Any,
    claims: dict[str, str],
    status: int,
    rule: str | None,
) -> None:
    result = explain_json(
        capsys, "--claims", claims_file(claims), "--path", "/search", "--at", TODAY
    )
    assert (result["status"], result["rule"]) == (status, rule)
    assert result["effect"] == ("allow" if status == 200 else "deny")


def test_trace_lists_every_rule(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    args = ("--claims", claims_file(ISP), "--path", "/search", "--at", TODAY, "--trace")
    result = explain_json(capsys, *args)
    trace = {item["rule"]: item for item in result["trace"]}
    assert [item["rule"] for item in result["trace"]] == pack_rule_ids()
    assert trace["il-agencies-five-years"]["matched"] is True
    assert trace["il-located-five-years"]["matched"] is True
    assert trace["us-government-search"]["matched"] is True
    assert trace["us-private-permanent"]["matched"] is False
    assert "entity" in trace["us-private-permanent"]["why_not"]
    assert trace["public-health"]["matched"] is False
    assert all(
        item["source"].endswith(tuple(f":{n}" for n in range(1, 100))) for item in trace.values()
    )

    code, out, _ = explain(capsys, *args)
    assert code == 0
    for rule_id in pack_rule_ids():
        assert rule_id in out
    assert out.count("[MATCH]") == 3


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"entity_type": "local_law_enforcement", "country": "US"}, "missing_region"),
        (
            {"entity_type": "local_law_enforcement", "country": "US", "region": "US-TX"},
            "missing_agency_region",
        ),
        (
            {
                "entity_type": "government_contractor",
                "country": "US",
                "region": "US-TX",
                "agency_region": "US-TX",
            },
            "missing_agency_type",
        ),
        (
            {"entity_type": "individual", "country": "US", "region": "US-TX", "capacity": True},
            "invalid_capacity",
        ),
        ({"entity_type": "spy", "country": "US", "region": "US-DC"}, "invalid_entity_type"),
        ({"entity_type": "state_agency", "country": "US", "region": "UA-30"}, "region_mismatch"),
        ({"entity_type": "state_agency", "country": "US", "region": "I\u200bL"}, "invalid_region"),
        ({"entity_type": "state_agency", "country": 1, "region": "US-IL"}, "invalid_country"),
        ({"country": "US", "region": "US-IL"}, "missing_entity_type"),
    ],
)
def test_bad_claims_are_403_with_their_code(
    capsys: pytest.CaptureFixture[str], claims_file: Any, claims: dict[str, object], code: str
) -> None:
    result = explain_json(
        capsys, "--claims", claims_file(claims), "--path", "/search", "--at", TODAY
    )
    assert (result["effect"], result["status"], result["rule"]) == ("deny", 403, None)
    assert code in result["reason"]
    assert result["principal"] is None

    exit_code, out, _ = explain(
        capsys, "--claims", claims_file(claims), "--path", "/search", "--at", TODAY
    )
    assert exit_code == 0
    assert "DENY -> 403" in out
    assert code in out


def test_public_path_needs_no_claims(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    result = explain_json(capsys, "--claims", claims_file({}), "--path", "/health", "--at", TODAY)
    assert (result["status"], result["rule"]) == (200, "public-health")


def test_path_is_canonicalized(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    result = explain_json(
        capsys,
        "--claims",
        claims_file(ISP),
        "--path",
        "//search/",
        "--method",
        "HEAD",
        "--at",
        TODAY,
    )
    assert (result["path"], result["method"], result["status"]) == ("/search", "GET", 451)


def test_claims_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(ISP)))
    result = explain_json(capsys, "--claims", "-", "--path", "/search", "--at", TODAY)
    assert result["rule"] == "il-agencies-five-years"


def test_config_policy_is_used(
    capsys: pytest.CaptureFixture[str], claims_file: Any, tmp_path: Path, dev_public_key: bytes
) -> None:
    """An admin's edited copy of the pack, named in [policy], is what explain decides with."""
    pack = files("jurisgate.policies.clearview_settlement")
    (tmp_path / "model.conf").write_text(pack.joinpath("model.conf").read_text())
    edited = (
        pack.joinpath("policy.csv")
        .read_text()
        .replace(
            "p, il-located-five-years, deny, *,",
            "p, il-located-five-years, deny, state_law_enforcement|local_law_enforcement,",
        )
    )
    (tmp_path / "policy.csv").write_text(edited)
    (tmp_path / "idp.pem").write_bytes(dev_public_key)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        '[[issuers]]\nissuer = "https://idp"\naudience = "api"\nalgorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\n\n[policy]\nmodel = "model.conf"\npolicy = "policy.csv"\n'
    )
    fbi_chicago = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"}
    args = ("--claims", claims_file(fbi_chicago), "--path", "/search", "--at", TODAY)
    assert explain_json(capsys, *args)["status"] == 451  # the bundled pack
    assert explain_json(capsys, *args, "--config", str(config))["status"] == 200
    assert (
        explain_json(
            capsys,
            "--config",
            str(config),
            "--claims",
            claims_file(ISP),
            "--path",
            "/search",
            "--at",
            TODAY,
        )["status"]
        == 451
    )


def test_config_from_environment(
    capsys: pytest.CaptureFixture[str],
    claims_file: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "absent.toml"))
    code, _, err = explain(capsys, "--claims", claims_file(ISP), "--path", "/search")
    assert code == 2
    assert "absent.toml" in err


@pytest.mark.parametrize(
    "config",
    [
        pytest.param("absent.toml", id="missing"),
        pytest.param("directory", id="a-directory"),
        pytest.param("bad.toml", id="invalid-toml"),
        pytest.param("unknown-key.toml", id="unknown-key"),
    ],
)
def test_unreadable_config_exits_2(
    capsys: pytest.CaptureFixture[str], claims_file: Any, tmp_path: Path, config: str
) -> None:
    (tmp_path / "directory").mkdir()
    (tmp_path / "bad.toml").write_text("[[issuers]\n")
    (tmp_path / "unknown-key.toml").write_text("issuers = []\nsurprise = 1\n")
    path = tmp_path / config
    code, out, err = explain(
        capsys, "--config", str(path), "--claims", claims_file(ISP), "--path", "/search"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("jurisgate: ")
    assert str(path) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [None, "not json", "[1, 2]"])
def test_unreadable_claims_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    code, _, err = explain(capsys, "--claims", str(path), "--path", "/search")
    assert code == 2
    assert err.startswith("jurisgate: ")
    assert str(path) in err


def test_invalid_at_is_a_usage_error(capsys: pytest.CaptureFixture[str], claims_file: Any) -> None:
    code, _, err = explain(
        capsys, "--claims", claims_file(ISP), "--path", "/search", "--at", "soon"
    )
    assert code == 2
    assert "--at" in err or "soon" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--path", "/search"])  # --claims is required
    assert exited.value.code == 2
    capsys.readouterr()


def test_console_script(repo_root: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / ("jurisgate.exe" if os.name == "nt" else "jurisgate")
    assert script.is_file(), f"console script not installed next to {sys.executable}"
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(ISP))
    env = {k: v for k, v in os.environ.items() if k not in (CONFIG_ENV, "PYTHONPATH")}
    command = [str(script), "explain", "--claims", str(claims), "--path", "/search"]
    done = subprocess.run(
        [*command, "--at", TODAY, "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["effect"], result["status"], result["rule"]) == (
        "deny",
        451,
        "il-agencies-five-years",
    )
    assert result["citation"]["url"] == NLR

    dev_config = repo_root / "examples" / "dev" / "jurisgate.dev.toml"
    later = subprocess.run(
        [*command, "--at", "2027-06-01T00:00:00Z", "--config", str(dev_config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert later.returncode == 0, later.stderr
    assert "ALLOW -> 200" in later.stdout

    broken = subprocess.run(
        [*command, "--config", str(tmp_path / "absent.toml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 2
    assert broken.stderr.startswith("jurisgate: ")


def test_issuer_authority_limits_explain_like_the_gate(
    capsys: pytest.CaptureFixture[str], claims_file: Any, tmp_path: Path, dev_public_key: bytes
) -> None:
    """A claims file naming a configured issuer gets that issuer's limits, as its tokens would."""
    (tmp_path / "idp.pem").write_bytes(dev_public_key)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        '[[issuers]]\nissuer = "https://tx-idp"\naudience = "api"\nalgorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\nregions = ["US-TX"]\n'
    )
    nypd = {
        "entity_type": "local_law_enforcement",
        "country": "US",
        "region": "US-NY",
        "agency_region": "US-NY",
    }
    args = ("--path", "/search", "--at", TODAY, "--config", str(config))
    beyond = explain_json(capsys, "--claims", claims_file({**nypd, "iss": "https://tx-idp"}), *args)
    assert beyond["status"] == 403
    assert "beyond_issuer_authority" in beyond["reason"]
    # Another issuer (not limited in this config) may vouch for the NYPD.
    other = explain_json(capsys, "--claims", claims_file({**nypd, "iss": "https://ny-idp"}), *args)
    assert other["status"] == 200


# The acceptance cases (issue 13), with the bundled pack: claims, --at, status, rule.
DECREE_CASES = [
    (
        {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN",
         "agency_region": "US-IL"},
        TODAY, 451, "il-agencies-five-years",
    ),
    (
        {"entity_type": "government_contractor", "agency_type": "local_law_enforcement",
         "agency_region": "US-IL", "country": "US", "region": "US-TX"},
        TODAY, 451, "il-agencies-five-years",
    ),
    (
        {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
         "agency_region": "US", "country": "US", "region": "US-VA"},
        TODAY, 200, "us-contractor-search",
    ),
    (
        {"entity_type": "federal_law_enforcement", "capacity": "personal", "country": "US",
         "region": "US-VA"},
        TODAY, 451, "us-personal-capacity",
    ),
    (
        {"entity_type": "local_law_enforcement", "country": "PR", "agency_region": "PR"},
        TODAY, 200, "us-government-search",
    ),
    ({"entity_type": "private_company", "country": "PR"}, TODAY, 451, "us-private-permanent"),
    (ISP, "2027-05-11T03:00:00Z", 451, "il-agencies-five-years"),
    (ISP, "2027-05-11T06:00:00Z", 200, "us-government-search"),
]  # fmt: skip


@pytest.mark.parametrize(("claims", "at", "status", "rule"), DECREE_CASES)
def test_the_decree_cases_without_a_path(
    capsys: pytest.CaptureFixture[str],
    claims_file: Any,
    claims: dict[str, str],
    at: str,
    status: int,
    rule: str,
) -> None:
    """``jurisgate explain --claims FILE --at T --json`` (the path defaults to /search)."""
    result = explain_json(capsys, "--claims", claims_file(claims), "--at", at)
    assert (result["path"], result["status"], result["rule"]) == ("/search", status, rule)


def test_explain_names_agency_and_capacity(
    capsys: pytest.CaptureFixture[str], claims_file: Any
) -> None:
    personal = {"entity_type": "federal_law_enforcement", "capacity": "personal",
                "country": "US", "region": "US-VA"}  # fmt: skip
    result = explain_json(capsys, "--claims", claims_file(personal), "--at", TODAY)
    assert result["principal"]["capacity"] == "personal"
    assert result["principal"]["agency_region"] == "US"
    _, out, _ = explain(capsys, "--claims", claims_file(personal), "--at", TODAY)
    assert "federal_law_enforcement of US in US/US-VA (personal capacity)" in out
    fbi = {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
           "agency_region": "US", "country": "US", "region": "US-VA"}  # fmt: skip
    _, out, _ = explain(capsys, "--claims", claims_file(fbi), "--at", TODAY)
    assert "government_contractor for federal_law_enforcement of US in US/US-VA" in out


def test_the_decree_text_reading_is_chosen_in_config(
    capsys: pytest.CaptureFixture[str], claims_file: Any, tmp_path: Path, dev_public_key: bytes
) -> None:
    (tmp_path / "idp.pem").write_bytes(dev_public_key)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        '[[issuers]]\nissuer = "https://idp"\naudience = "api"\nalgorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\n\n[policy]\nbundled_reading = "decree_text"\n'
    )
    fbi_chicago = {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"}
    args = ("--claims", claims_file(fbi_chicago), "--at", TODAY)
    assert explain_json(capsys, *args)["rule"] == "il-located-five-years"  # strict by default
    assert explain_json(capsys, *args, "--config", str(config))["status"] == 200
    isp = ("--claims", claims_file(ISP), "--at", TODAY, "--config", str(config))
    assert explain_json(capsys, *isp)["rule"] == "il-agencies-five-years"


def test_a_pinned_issuer_fills_in_the_agency_region_in_explain_too(
    capsys: pytest.CaptureFixture[str], claims_file: Any, tmp_path: Path, dev_public_key: bytes
) -> None:
    (tmp_path / "idp.pem").write_bytes(dev_public_key)
    config = tmp_path / "jurisgate.toml"
    config.write_text(
        '[[issuers]]\nissuer = "https://isp-idp"\naudience = "api"\nalgorithms = ["RS256"]\n'
        'public_key_file = "idp.pem"\nagency_region = "US-IL"\n'
    )
    officer = {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN"}
    args = ("--at", TODAY, "--config", str(config))
    pinned = explain_json(
        capsys, "--claims", claims_file({**officer, "iss": "https://isp-idp"}), *args
    )
    assert (pinned["status"], pinned["rule"]) == (451, "il-agencies-five-years")
    assert pinned["principal"]["agency_region"] == "US-IL"
    other = explain_json(
        capsys, "--claims", claims_file({**officer, "iss": "https://other"}), *args
    )
    assert "missing_agency_region" in other["reason"]
