"""The audit record's hand-written JSON line must say exactly what its fields say, also when
a remembered request's record reuses the JSON of the fields it shares."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import Decision, Principal, load_engine
from jurisgate.middleware.audit import AuditLog, AuditRecord
from jurisgate.middleware.config import PolicySettings
from jurisgate.middleware.warm import RememberedRequest

text = st.one_of(st.none(), st.text(max_size=300))


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "ts": st.floats(min_value=0, max_value=4e9),
            "decision_id": st.text(max_size=20),
            "issuer": text,
            "subject": text,
            "method": st.text(max_size=10),
            "path": st.text(max_size=300),
            "effect": st.sampled_from(["allow", "deny"]),
            "status": st.sampled_from([200, 400, 401, 403, 451]),
            "rule": text,
            "citation": text,
            "policy_version": text,
            "reason": text,
            "tier": text,
            "latency_us": st.floats(min_value=0, max_value=1e7),
        }
    ),
    st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "issuer": st.text(max_size=50),
                "subject": text,
                "entity_type": st.text(max_size=30),
                "country": st.text(max_size=3),
                "region": text,
            }
        ),
    ),
)
def test_json_line_round_trips(fields: dict[str, object], principal: object) -> None:
    record = AuditRecord(fields, principal=principal)
    line = str(record)
    assert "\n" not in line  # one record, one line, whatever the path or claims contain
    assert json.loads(line) == dict(record)
    assert json.loads(json.dumps(record)) == dict(record)


PRINCIPAL = Principal("https://idp.test/x", "client-7", "state_agency", "US", "US-TX")
Rewrite = Callable[[dict[str, Any]], None]
_logger_names = itertools.count()
KEY_ORDER = [
    "ts", "decision_id", "issuer", "subject", "principal", "method", "path", "effect", "status",
    "rule", "citation", "policy_version", "reason", "tier", "latency_us",
]  # fmt: skip


def replayed(
    rewrite: Rewrite | None, times: int = 2, *, logger_on_later: bool = False
) -> list[tuple[dict[str, Any], str]]:
    """One remembered request replayed ``times`` through a logger whose filter hands each
    record's fields to ``rewrite`` first (as a redacting filter would); the fields and the
    line each handler call saw. ``logger_on_later``: the logger is switched on only after
    the request was remembered."""
    engine = load_engine(PolicySettings())
    decision = Decision("allow", 200, "p, rule", None, engine.version)
    logger = logging.getLogger(f"jurisgate.test.replay.{next(_logger_names)}")
    logger.setLevel(logging.WARNING if logger_on_later else logging.INFO)
    logger.propagate = False
    got: list[tuple[dict[str, Any], str]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            got.append((record.audit, self.format(record)))  # type: ignore[attr-defined]

    class Rewriting(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if rewrite is not None:
                rewrite(record.audit)  # type: ignore[attr-defined]
            return True

    logger.addHandler(Keep())
    logger.addFilter(Rewriting())
    audit = AuditLog(logger)
    fields = audit.remembered(PRINCIPAL, decision, "GET", "/search")
    assert (fields.template is None) == logger_on_later  # no template kept that nothing wants
    entry = RememberedRequest(engine, PRINCIPAL, decision, "GET", "/search", 0.0, fields)
    logger.setLevel(logging.INFO)
    for n in range(times):
        audit.replay(entry, f"id{n}", time.perf_counter())
    return got


@pytest.mark.parametrize("logger_on_later", [False, True])
def test_a_replayed_record_is_the_whole_record(logger_on_later: bool) -> None:
    records = replayed(None, logger_on_later=logger_on_later)
    assert len(records) == 2
    for fields, line in records:
        assert json.loads(line) == json.loads(json.dumps(fields))
        assert fields["subject"] == fields["principal"]["subject"] == "client-7"
        assert fields["tier"] == "local"
    assert [f["decision_id"] for f, _ in records] == ["id0", "id1"]
    assert records[0][0]["principal"] is not records[1][0]["principal"]
    assert list(records[0][0]) == list(records[1][0]) == KEY_ORDER  # as a decided record's


def test_a_filter_that_rewrites_a_replayed_record_is_seen_in_its_line() -> None:
    def redact_first(fields: dict[str, Any]) -> None:
        if fields["decision_id"] == "id0":
            fields["subject"] = "[redacted]"
            fields["principal"]["subject"] = "[redacted]"
            fields["path"] = "/elsewhere"

    first, second = replayed(redact_first)
    assert json.loads(first[1]) == json.loads(json.dumps(first[0]))
    assert json.loads(first[1])["subject"] == "[redacted]"
    assert json.loads(first[1])["principal"]["subject"] == "[redacted]"
    assert json.loads(first[1])["path"] == "/elsewhere"
    # The next replay starts from the remembered fields again, not from the rewritten ones.
    assert json.loads(second[1])["subject"] == "client-7"
    assert json.loads(second[1])["principal"]["subject"] == "client-7"
    assert json.loads(second[1])["path"] == "/search"
