"""The admin guide's examples do what the guide says (docs/admin-guide.md, section 11)."""

from __future__ import annotations

import re
from pathlib import Path

from jurisgate.adapters import read_policy_csv
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicySource
from jurisgate.middleware.offline import decide_claims
from jurisgate.policies import pack_files

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "admin-guide.md"
TODAY = parse_instant("2026-11-26T12:00:00Z")


def test_the_bipa_route_example_opens_verify_only_outside_illinois() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    (row,) = re.findall(r"^p, bipa-consent-verify, .*$", guide, flags=re.MULTILINE)
    model, policy = (f.read_text(encoding="utf-8") for f in pack_files())
    private = "p, us-private-permanent, deny, private_company|individual, US, *, *, *, official, *,"
    assert private in policy
    narrowed = policy.replace(private, private.replace("official, *,", "official, /search/*,"))
    rows = read_policy_csv(narrowed + row + "\n", "copy.csv")
    engine = PolicyEngine(PolicySource(model, rows, "model.conf", "copy.csv"))

    def answer(region: str, method: str, path: str) -> tuple[int, str | None]:
        claims = {"entity_type": "private_company", "country": "US", "region": region}
        decided = decide_claims(engine, claims, method, path, TODAY)
        return decided.status, decided.rule

    assert answer("US-TX", "POST", "/verify") == (200, "bipa-consent-verify")
    assert answer("US-TX", "GET", "/search") == (451, "us-private-permanent")
    assert answer("US-IL", "POST", "/verify") == (451, "il-private-five-years")
    # Without narrowing the deny, the allow alone opens nothing: a deny beats an allow.
    unchanged = PolicyEngine(
        PolicySource(model, read_policy_csv(policy + row + "\n", "c.csv"), "m", "c.csv")
    )
    claims = {"entity_type": "private_company", "country": "US", "region": "US-TX"}
    assert decide_claims(unchanged, claims, "POST", "/verify", TODAY).status == 451
