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

# The jurisdiction claims of each client (a claim left out is not sent); usable and unusable.
CLIENTS: list[dict[str, str] | None] = [
    {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-DC"},
    {"entity_type": "federal_law_enforcement", "country": "US", "region": "US-IL"},
    {"entity_type": "state_law_enforcement", "country": "US", "region": "IL",
     "agency_region": "US-IL"},
    {"entity_type": "state_law_enforcement", "country": "US", "region": "US-IN",
     "agency_region": "US-IL"},
    {"entity_type": "state_agency", "country": "US", "region": "US-TX"},  # no agency region
    {"entity_type": "government_contractor", "agency_type": "federal_law_enforcement",
     "agency_region": "US", "country": "US", "region": "US-VA"},
    {"entity_type": "federal_law_enforcement", "capacity": "personal", "country": "US",
     "region": "US-VA"},
    {"entity_type": "local_law_enforcement", "country": "PR", "agency_region": "PR"},
    {"entity_type": "local_law_enforcement", "country": "US"},
    {"entity_type": "private_company", "country": "US", "region": "Texas"},
    {"entity_type": "individual", "country": "US", "region": "US-CA"},
    {"entity_type": "foreign_law_enforcement", "country": "UA"},
    {"entity_type": "federal_agency", "country": "US", "region": "US-DC"},
    {"entity_type": "astronaut", "country": "US", "region": "US-DC"},
    None,  # no token at all
]  # fmt: skip
LEFT_OUT = ("region", "agency_region", "agency_type", "capacity")
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
            claims = dict(client)
            token = idps.rsa.mint(**{**dict.fromkeys(LEFT_OUT, idps.drop), **client})
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
        try:
            principal = principal_from_claims("(test)", "(test)", client)
        except ClaimsError:  # unusable claims: no class of the policy space
            continue
        offline = decide_claims(engine, client, method, path, idps.now)
        p = principal
        cell = Client(
            p.entity_type, p.country, p.region or "", str(client), (),
            p.agency_type or "", p.agency_region or "", "", p.capacity,
        )  # fmt: skip
        status, rule = gate_answer(engine, cell, Route(canonical_method(method), path), idps.now)
        assert (status, rule) == (offline.status, offline.rule), (client, method, path)
        compared += 1
    assert compared > 20
