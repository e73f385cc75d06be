"""The PostgreSQL policy store on a real server: push, load back, decide, refuse, roll back."""

from __future__ import annotations

import itertools
import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import casbin
import psycopg
import pytest
from psycopg import sql

from jurisgate.adapters import load_policy_files
from jurisgate.adapters.casbin_store import CasbinStoreAdapter
from jurisgate.adapters.factory import open_store
from jurisgate.adapters.postgres_store import PostgresPolicyStore
from jurisgate.admin.push import push_policy
from jurisgate.middleware import (
    ConfigError,
    JurisdictionMiddleware,
    PolicyError,
    PolicySettings,
    TrustedIssuer,
    load_engine,
)
from jurisgate.middleware.claims.principal import ENTITY_TYPES
from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.engine import PolicyEngine
from jurisgate.middleware.decision.policy_source import PolicyRow
from jurisgate.policies import pack_files

if TYPE_CHECKING:
    from tests.conftest import StartupFailureOf

from .conftest import unreachable_dsn

pytestmark = pytest.mark.postgres

TODAY = parse_instant("2026-11-26T00:00:00Z")
# The README's settlement decision table: entity, country, region -> status, rule (GET /search).
SETTLEMENT = [
    ("federal_law_enforcement", "US", "US-DC", 200, "us-government-search"),
    ("federal_law_enforcement", "US", "US-IL", 451, "il-located-five-years"),
    ("state_law_enforcement", "US", "US-IL", 451, "il-located-five-years"),
    ("local_law_enforcement", "US", "US-NY", 200, "us-government-search"),
    ("state_agency", "US", "US-TX", 200, "us-government-search"),
    ("private_company", "US", "US-TX", 451, "us-private-permanent"),
    ("individual", "US", "US-CA", 451, "us-private-permanent"),
    ("foreign_law_enforcement", "UA", "", 403, None),
]


def file_engine() -> PolicyEngine:
    return PolicyEngine(load_policy_files(*pack_files()))


def rows_in(settings: PolicySettings) -> list[tuple[object, ...]]:
    assert settings.store is not None
    with psycopg.connect(settings.store) as conn:
        query = sql.SQL("SELECT position, ptype, vals, origin FROM {} ORDER BY position")
        return conn.execute(query.format(sql.Identifier(settings.store_table))).fetchall()


def test_pushed_pack_loads_back_identical(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    pushed = push_policy(store_settings, pack_policy)
    loaded = load_engine(store_settings)
    expected = file_engine()

    def values(engine: PolicyEngine) -> list[tuple[str, tuple[str, ...]]]:
        return [(row.ptype, row.values) for row in engine.source.rows]

    assert values(loaded) == values(expected)
    assert loaded.version == pushed.version == expected.version
    # Rules are validated and parsed identically; only where they came from differs.
    assert [replace(r, source="") for r in loaded.rules] == [
        replace(r, source="") for r in expected.rules
    ]
    table = store_settings.store_table
    assert [rule.source for rule in loaded.rules] == [
        f"postgresql:{table}#{n}" for n in range(1, len(expected.rules) + 1)
    ]
    citation = loaded.rule("il-agencies-five-years")
    assert citation is not None
    assert citation.citation is not None
    assert "ACLU v. Clearview AI, Inc., No. 2020-CH-04353" in citation.citation.text  # commas kept


@pytest.mark.parametrize(("entity", "country", "region", "status", "rule"), SETTLEMENT)
def test_settlement_decisions_from_the_store(
    store_settings: PolicySettings,
    pack_policy: Path,
    entity: str,
    country: str,
    region: str,
    status: int,
    rule: str | None,
) -> None:
    push_policy(store_settings, pack_policy)
    decision = load_engine(store_settings).decide(entity, country, region, "GET", "/search", TODAY)
    assert (decision.status, decision.rule) == (status, rule)
    assert decision == file_engine().decide(entity, country, region, "GET", "/search", TODAY)


def test_every_decision_equals_the_file_engine(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    push_policy(store_settings, pack_policy)
    stored, files = load_engine(store_settings), file_engine()
    clients = [(e, "US", r) for e in sorted(ENTITY_TYPES) for r in ("US-IL", "US-NY", "")]
    clients += [("foreign_government", "UA", "UA-30"), ("anonymous", "", "")]
    requests = [("GET", "/search"), ("GET", "/search/x"), ("POST", "/opt-out"), ("GET", "/health")]
    instants = [
        parse_instant(t)
        for t in ("2022-05-10", "2026-11-26", "2027-05-11", "2027-05-11T05:00:00Z", "2031-01-01")
    ]
    for (entity, country, region), (method, path), at in itertools.product(
        clients, requests, instants
    ):
        assert stored.decide(entity, country, region, method, path, at) == files.decide(
            entity, country, region, method, path, at
        ), (entity, region, method, path, at)


def test_pushing_twice_does_not_duplicate_rows(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    first = push_policy(store_settings, pack_policy)
    before = rows_in(store_settings)
    with closing(open_store(store_settings)) as store:
        version = store.content_version()
    second = push_policy(store_settings, pack_policy)
    assert rows_in(store_settings) == before
    assert len(before) == len(file_engine().source.rows)
    assert [row[0] for row in before] == list(range(1, len(before) + 1))
    lines = pack_policy.read_text(encoding="utf-8").splitlines()
    second_rule = [n for n, text in enumerate(lines, start=1) if text.startswith("p, ")][1]
    assert before[1][3] == f"{pack_policy}:{second_rule}"  # where each row was pushed from
    with closing(open_store(store_settings)) as store:
        assert store.content_version() == version
    assert first.version == second.version


def test_invalid_push_is_refused_and_changes_nothing(
    store_settings: PolicySettings, pack_policy: Path, tmp_path: Path
) -> None:
    push_policy(store_settings, pack_policy)
    before = rows_in(store_settings)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        pack_policy.read_text(encoding="utf-8")
        + "p, broken, maybe, *, US, *, *, *, *, *, *, , , , \n"
    )
    with pytest.raises(PolicyError, match=r"bad\.csv:\d+: rule 'broken': effect must be"):
        push_policy(store_settings, bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("# nothing here\n")
    with pytest.raises(PolicyError, match="no policy rows"):
        push_policy(store_settings, empty)
    assert rows_in(store_settings) == before


def test_a_failed_check_rolls_the_whole_replace_back(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    """The transaction, not just the validation up front: rows written, then refused."""
    push_policy(store_settings, pack_policy)
    before = rows_in(store_settings)
    seen: list[int] = []

    def refuse(stored: tuple[PolicyRow, ...]) -> None:
        seen.append(len(stored))
        raise PolicyError("refused after writing")

    other = (PolicyRow("p", ("only", "allow"), "x.csv:1"),)
    with closing(open_store(store_settings)) as store, pytest.raises(PolicyError, match="after"):
        store.replace(other, check=refuse)
    assert seen == [1]  # the new rows were in the table when the check ran
    assert rows_in(store_settings) == before
    # A value PostgreSQL itself refuses (NUL in text) fails the same way, as a PolicyError.
    nul = (PolicyRow("p", ("a\x00b",), "x.csv:1"),)
    with closing(open_store(store_settings)) as store, pytest.raises(PolicyError, match="Postgre"):
        store.replace(nul, check=lambda stored: None)
    assert rows_in(store_settings) == before


def test_an_edit_made_in_sql_changes_the_content_version(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    push_policy(store_settings, pack_policy)
    assert store_settings.store is not None
    with closing(open_store(store_settings)) as store:
        version = store.content_version()
        with psycopg.connect(store_settings.store) as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET vals[2] = 'allow' WHERE vals[1] = 'il-agencies-five-years'"
                ).format(sql.Identifier(store_settings.store_table))
            )
        assert store.content_version() != version


def test_missing_table_and_unreachable_server_are_policy_errors(
    store_settings: PolicySettings,
) -> None:
    with pytest.raises(PolicyError, match="does not exist; push a policy first"):
        load_engine(store_settings)
    down = replace(store_settings, store=unreachable_dsn())
    with pytest.raises(PolicyError, match="PostgreSQL error") as caught:
        load_engine(down)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(PostgresPolicyStore(unreachable_dsn()))


def test_a_gate_does_not_start_without_a_pushed_policy(
    store_settings: PolicySettings, issuer: TrustedIssuer, startup_failure: StartupFailureOf
) -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    gate = JurisdictionMiddleware(app, issuers=[issuer], policy=store_settings)
    assert "push a policy first" in startup_failure(gate, ConfigError)


def test_an_empty_table_is_refused(store_settings: PolicySettings, pack_policy: Path) -> None:
    push_policy(store_settings, pack_policy)
    assert store_settings.store is not None
    with psycopg.connect(store_settings.store) as conn:
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(store_settings.store_table)))
    with pytest.raises(PolicyError, match="holds no rows"):
        load_engine(store_settings)


def test_the_store_reconnects_after_its_connection_is_killed(
    store_settings: PolicySettings, pack_policy: Path
) -> None:
    push_policy(store_settings, pack_policy)
    assert store_settings.store is not None
    with closing(open_store(store_settings)) as store:
        version = store.content_version()
        others = (
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(store_settings.store, autocommit=True) as admin:
            admin.execute(f"SELECT pg_terminate_backend(pid) {others}")
            for _ in range(500):  # until the store's backend is really gone
                found = admin.execute(f"SELECT count(*) {others}").fetchone()
                if found == (0,):
                    break
                time.sleep(0.01)
        with pytest.raises(PolicyError):  # the broken connection is dropped ...
            store.content_version()
        assert store.content_version() == version  # ... and the next call opens a new one


def test_casbin_adapter_round_trip(store_settings: PolicySettings, pack_policy: Path) -> None:
    push_policy(store_settings, pack_policy)
    model_text = pack_files()[0].read_text(encoding="utf-8")
    with closing(open_store(store_settings)) as store:
        adapter = CasbinStoreAdapter(store)
        model = casbin.Enforcer.new_model(text=model_text)
        adapter.load_policy(model)
        rows = file_engine().source.rows
        assert model["p"]["p"].policy == [list(r.values) for r in rows if r.ptype == "p"]
        assert model["p"]["p2"].policy == [list(r.values) for r in rows if r.ptype == "p2"]
        before = store.content_version()
        assert adapter.save_policy(model) is True
        assert store.content_version() != before  # origins now say casbin:p ...
        assert load_engine(store_settings).version == file_engine().version  # ... same rules
        with pytest.raises(NotImplementedError):
            adapter.add_policy("p", "p", ["x"])
        with pytest.raises(NotImplementedError):
            adapter.remove_policy("p", "p", ["x"])
        with pytest.raises(NotImplementedError):
            adapter.remove_filtered_policy("p", "p", 0, "x")
