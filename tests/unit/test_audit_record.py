"""The audit record's hand-written JSON line must say exactly what its fields say."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from jurisgate.middleware.audit import AuditRecord

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
