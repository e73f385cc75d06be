"""The audit record's hand-written JSON line must say exactly what its fields say, also when
a remembered request's record reuses the JSON of the fields it shares."""

from __future__ import annotations

import itertools
import json
import logging
import pickle
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware import Decision, Principal, load_engine
from jurisgate.middleware.audit.log import AuditLog, AuditRecord
from jurisgate.middleware.audit.record import ReplayedRecord
from jurisgate.middleware.audit.settings import AuditSettings
from jurisgate.middleware.cache.warm import RememberedRequest
from jurisgate.middleware.config.gate_config import PolicySettings
from jurisgate.middleware.decision.values import Citation

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
            "sent_status": st.one_of(st.none(), st.sampled_from([101, 200, 307, 403, 500])),
            "outcome": st.one_of(
                st.none(), st.sampled_from(["sent", "app_error", "disconnected", "no_response"])
            ),
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
                "agency_type": text,
                "agency_region": text,
                "capacity": st.text(max_size=10),
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
CITATION = Citation("BIPA settlement", "https://example.test/settlement")
Rewrite = Callable[[dict[str, Any]], None]
_logger_names = itertools.count()
KEY_ORDER = [
    "ts", "decision_id", "issuer", "subject", "principal", "method", "path", "effect", "status",
    "rule", "citation", "policy_version", "reason", "tier", "latency_us", "sent_status",
    "outcome",
]  # fmt: skip
HASHED = AuditSettings(subject="hash", subject_key=b"k" * 32)


def replayed(
    rewrite: Rewrite | None,
    times: int = 2,
    *,
    logger_on_later: bool = False,
    subjects: AuditSettings | None = None,
) -> tuple[list[tuple[dict[str, Any], str]], dict[str, Any]]:
    """One remembered request replayed ``times`` through a logger whose filter hands each
    record's fields to ``rewrite`` first (as a redacting filter would): the fields and the
    line each handler call saw, and the fields ``AuditLog.record`` gives the same request
    decided in full. ``logger_on_later``: the logger is switched on only after the request
    was remembered."""
    engine = load_engine(PolicySettings())
    decision = Decision("allow", 200, "p, rule", CITATION, engine.version)
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
    audit = AuditLog(logger, subjects=subjects)
    fields = audit.remembered(PRINCIPAL, decision, "GET", "/search")
    assert (fields.template is None) == logger_on_later  # no template kept that nothing wants
    entry = RememberedRequest(engine, PRINCIPAL, decision, "GET", "/search", 0.0, fields)
    logger.setLevel(logging.INFO)
    for n in range(times):
        audit.replay(entry, f"id{n}", time.perf_counter() - 0.001)
    replays = got[:]
    audit.record(
        decision_id="decided", method="GET", path="/search", status=200, effect="allow",
        started=time.perf_counter(), principal=PRINCIPAL, decision=decision, tier="local",
    )  # fmt: skip
    return replays, got[-1][0]


def shared(fields: dict[str, Any]) -> dict[str, Any]:
    """A record's fields without the three that are new on every request."""
    return {k: v for k, v in fields.items() if k not in ("ts", "decision_id", "latency_us")}


@pytest.mark.parametrize("subjects", [None, HASHED], ids=["raw-subject", "hashed-subject"])
@pytest.mark.parametrize("logger_on_later", [False, True])
def test_a_replayed_record_is_the_record_a_decided_request_gets(
    logger_on_later: bool, subjects: AuditSettings | None
) -> None:
    records, decided = replayed(None, logger_on_later=logger_on_later, subjects=subjects)
    assert len(records) == 2
    for fields, line in records:
        assert json.loads(line) == json.loads(json.dumps(fields))
        assert shared(fields) == shared(decided)
        assert list(fields) == list(decided) == KEY_ORDER
        assert fields["latency_us"] >= 1000.0  # this request's own (started 1 ms before)
        assert abs(fields["ts"] - time.time()) < 60
    assert [f["decision_id"] for f, _ in records] == ["id0", "id1"]
    assert records[0][0]["principal"] is not records[1][0]["principal"]
    subject = records[0][0]["subject"]
    if subjects is None:
        assert subject == records[0][0]["principal"]["subject"] == "client-7"
    else:
        assert subject.startswith("hmac-sha256:")


REWRITES: dict[str, Rewrite] = {
    "nothing": lambda fields: None,
    "principal's subject": lambda fields: fields["principal"].update(subject="[redacted]"),
    "principal removed": lambda fields: fields.update(principal=None),
    "subject": lambda fields: fields.update(subject="[redacted]"),
    "path": lambda fields: fields.update(path="/elsewhere"),
    "rule": lambda fields: fields.update(rule="another rule"),
    "status": lambda fields: fields.update(status=451),
    "effect": lambda fields: fields.update(effect="deny"),
    "citation": lambda fields: fields.update(citation=None),
    "policy_version": lambda fields: fields.update(policy_version="v9"),
    "reason": lambda fields: fields.update(reason="why not"),
    "tier": lambda fields: fields.update(tier="engine"),
}


@pytest.mark.parametrize("name", list(REWRITES))
def test_a_filter_that_rewrites_a_replayed_record_is_seen_in_its_line(name: str) -> None:
    rewrite = REWRITES[name]

    def first_only(fields: dict[str, Any]) -> None:
        if fields["decision_id"] == "id0":
            rewrite(fields)

    (first, second), decided = replayed(first_only)
    untouched = json.loads(json.dumps(shared(decided)))  # a deep copy
    expected = json.loads(json.dumps(shared(decided)))
    rewrite(expected)
    assert shared(json.loads(first[1])) == expected
    assert json.loads(first[1]) == json.loads(json.dumps(first[0]))
    # The next replay starts from the remembered fields again, not from the rewritten ones.
    assert shared(json.loads(second[1])) == untouched


def test_a_status_rewritten_to_a_float_is_refused_as_for_a_decided_record() -> None:
    engine = load_engine(PolicySettings())
    decision = Decision("allow", 200, "p, rule", None, engine.version)
    audit = AuditLog(logging.getLogger("jurisgate.test.float"), observers=[lambda r: None])
    remembered = audit.remembered(PRINCIPAL, decision, "GET", "/search")
    assert remembered.template is not None  # an observer wants whole records
    record = ReplayedRecord(remembered.template)
    record._shared = remembered
    assert json.loads(str(record)) == json.loads(json.dumps(record))
    record["status"] = 200.0  # equal to 200, but not what a status is written as
    with pytest.raises(ValueError, match="Unknown format code"):
        str(record)
    with pytest.raises(ValueError, match="Unknown format code"):
        str(AuditRecord(record))


def test_a_replayed_record_pickles_as_a_plain_record() -> None:
    records, _ = replayed(None, times=1)
    fields, line = records[0]
    assert type(fields) is ReplayedRecord
    copied = pickle.loads(pickle.dumps(fields))  # noqa: S301 (our own bytes)
    assert type(copied) is AuditRecord
    assert copied == fields
    assert json.loads(str(copied)) == json.loads(line)
    assert json.loads(str(type(fields)(fields))) == json.loads(line)  # a copy writes in full
