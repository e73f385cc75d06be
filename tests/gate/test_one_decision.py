"""The admin tools' decision (``decide_claims``: ``explain`` and ``jurisgate test``) and the
gate's agree on every client, method and path spelling: a drift between them fails here.

The gate is sent exact ASGI scopes (no HTTP client rewrites the dot segments) with real
tokens; ``decide_claims`` gets the same claims and the engine of the same (bundled) policy. A
request the gate lets through may still be answered 404 or 405 by the app: what must agree is
whether the gate let it through (the app's own problems are typed ``urn:jurisgate-example:``),
and otherwise how it refused."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

from jurisgate.adapters.factory import load_engine
from jurisgate.admin.policy_space import Client, Route
from jurisgate.admin.truth_table import gate_answer
from jurisgate.middleware import ClaimsError, PolicySettings, principal_from_claims
from jurisgate.middleware.claims.paths import canonical_method, policy_paths
from jurisgate.middleware.offline import decide_claims

if TYPE_CHECKING:
    from tests.fixtures.idps import Gate, IdPs

# entity_type, country, region (None omits the claim); usable and unusable alike.
CLIENTS: list[tuple[str, str, str | None] | None] = [
    ("federal_law_enforcement", "US", "US-DC"),
    ("federal_law_enforcement", "US", "US-IL"),
    ("state_law_enforcement", "US", "IL"),
    ("local_law_enforcement", "US", None),
    ("private_company", "US", "Texas"),
    ("individual", "US", "US-CA"),
    ("foreign_law_enforcement", "UA", None),
    ("federal_agency", "US", "US-DC"),
    ("astronaut", "US", "US-DC"),
    None,  # no token at all
]
PATHS = ["/search", "/search/", "//search", "/search/./x/..", "/health", "/search/../health",
         "/health/../search", "/opt-out", "/admin", "/%73earch"]  # fmt: skip
METHODS = ["GET", "HEAD", "POST"]


def test_gate_and_admin_tools_decide_alike(gate: Gate, idps: IdPs) -> None:
    engine = load_engine(PolicySettings())
    mismatches = []
    for client, path, method in itertools.product(CLIENTS, PATHS, METHODS):
        headers: list[tuple[bytes, bytes]] = []
        claims: dict[str, object] | None = None
        if client is not None:
            entity, country, region = client
            claims = {"entity_type": entity, "country": country}
            if region is not None:
                claims["region"] = region
            token = idps.rsa.mint(**{"region": idps.drop, **claims})
            headers.append((b"authorization", f"Bearer {token}".encode()))
        messages = gate.raw(path, method=method, headers=headers)
        body = b"".join(m.get("body", b"") for m in messages[1:])
        problem = json.loads(body) if body.startswith(b"{") else {}
        refused = str(problem.get("type", "")).startswith("urn:jurisgate:problem:")
        start = messages[0]
        at_gate = start["status"] if refused else 200
        offline = decide_claims(engine, claims, method, path, idps.now).status
        if at_gate != offline:
            mismatches.append((client, method, path, at_gate, offline))
    assert mismatches == []


def test_the_truth_table_answers_like_explain(idps: IdPs) -> None:
    """``jurisgate diff`` and ``matrix`` answer normalized client classes on canonical routes
    (admin/truth_table.py); for those they must agree with the decision sequence too."""
    engine = load_engine(PolicySettings())
    compared = 0
    for client, path, method in itertools.product(CLIENTS, PATHS, METHODS):
        if client is None or policy_paths(path) != (path,):
            continue
        entity, country, region = client
        claims = {"entity_type": entity, "country": country, "region": region}
        try:
            principal = principal_from_claims("(test)", "(test)", claims)
        except ClaimsError:  # unusable claims: no class of the policy space
            continue
        offline = decide_claims(engine, claims, method, path, idps.now)
        cell = Client(*principal.policy_view(), label=str(client))
        status, rule = gate_answer(engine, cell, Route(canonical_method(method), path), idps.now)
        assert (status, rule) == (offline.status, offline.rule), (client, method, path)
        compared += 1
    assert compared > 20
