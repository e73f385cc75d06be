"""Audit records as JSON lines, written directly from known field types.

Every served request writes one line, so the line is built with f-strings rather than
``json.dumps`` of a dict: strings go through ``json_string`` (ids and codes need no escaping;
short strings are remembered), and a remembered request reuses the fields it shares with the
first one (``core_json``) and writes only its time, decision id, latency and what was sent
(``replay_line``). ``item_policy_version`` (which item rules the result filter applied) and
``removed`` (its per-rule counts) end the line only when a filter ran, and ``leaked`` (what a
verifying filter found the app had not filtered out) only when it found some.
``audit.py`` decides what goes into a record; this module only spells it out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache

__all__ = [
    "ReplayFields",
    "core_json",
    "json_string",
    "leaked_json",
    "principal_json",
    "record_line",
    "removed_json",
    "replay_line",
]

# time_ns, decision id, shared fields, seconds taken, status sent, outcome, item rules'
# version, removal counts, leak counts
ReplayFields = tuple[
    int, str, str, float, int | None, str | None, str | None, Mapping[str, int] | None,
    Mapping[str, int] | None,
]  # fmt: skip


def replay_line(fields: ReplayFields) -> str:
    """A remembered request's record: ts to the microsecond from integer nanoseconds (a
    float's repr costs more than the rest of the line); the gate's decision ids are hex."""
    ns, decision_id, core, seconds, sent_status, outcome, version, removed, leaked = fields
    # _sent inlined for the usual statuses: this runs for every line.
    if type(sent_status) is int or sent_status is None:
        sent = _sent_json(sent_status, outcome)
    else:
        sent = _sent(sent_status, outcome)
    return (
        f'{{"ts":{ns // 1_000_000_000}.{ns // 1000 % 1_000_000:06d},'
        f'"decision_id":"{decision_id}",{core},"latency_us":{seconds * 1e6:.1f},'
        f"{sent}{_filtered(version, removed, leaked)}}}"
    )


def record_line(
    ts: float,
    decision_id: str,
    core: str,
    latency_us: float,
    sent_status: int | None,
    outcome: str | None,
    item_policy_version: str | None = None,
    removed: Mapping[str, int] | None = None,
    leaked: Mapping[str, int] | None = None,
) -> str:
    """One record: the per-request fields around the ones a remembered request shares."""
    return (
        f'{{"ts":{ts!r},"decision_id":{json_string(decision_id)},{core},'
        f'"latency_us":{latency_us!r},{_sent(sent_status, outcome)}'
        f"{_filtered(item_policy_version, removed, leaked)}}}"
    )


def _filtered(
    version: str | None, removed: Mapping[str, int] | None, leaked: Mapping[str, int] | None
) -> str:
    """What the result filter left for the record: nothing when it did not run."""
    if removed is None and leaked is None and version is None:  # most records
        return ""
    return (
        ("" if version is None else f',"item_policy_version":{json_string(version)}')
        + ("" if removed is None else removed_json(removed))
        + ("" if leaked is None else leaked_json(leaked))
    )


def removed_json(removed: Mapping[str, int]) -> str:
    """``,"removed":{rule id: count}``: the result filter's counts (a filtered answer only)."""
    return f',"removed":{json.dumps(removed, ensure_ascii=False, separators=(",", ":"))}'


def leaked_json(leaked: Mapping[str, int]) -> str:
    """``,"leaked":{rule id: count}``: suppressed entries a verifying filter found (and
    refused) in the app's answer."""
    return f',"leaked":{json.dumps(leaked, ensure_ascii=False, separators=(",", ":"))}'


def _sent(status: int | None, outcome: str | None) -> str:
    """The last two fields; the few usual pairs are remembered (this runs for every line)."""
    if type(status) is int or status is None:
        return _sent_json(status, outcome)
    return f'"sent_status":{json.dumps(status)},"outcome":{json_string(outcome)}'


@lru_cache(maxsize=1024)
def _sent_json(status: int | None, outcome: str | None) -> str:
    sent = "null" if status is None else f"{status:d}"
    return f'"sent_status":{sent},"outcome":{json_string(outcome)}'


def core_json(
    issuer: str | None,
    subject: str | None,
    principal: str,
    method: str,
    path: str,
    effect: str,
    status: int,
    rule: str | None,
    citation: str | None,
    policy_version: str | None,
    reason: str | None,
    tier: str | None,
) -> str:
    """The fields between ``decision_id`` and ``latency_us``, without the braces;
    ``principal`` is already JSON (``principal_json`` or ``null``)."""
    return (
        f'"issuer":{json_string(issuer)},"subject":{json_string(subject)},'
        f'"principal":{principal},'
        f'"method":{json_string(method)},"path":{json_string(path)},'
        f'"effect":{json_string(effect)},"status":{status:d},'
        f'"rule":{json_string(rule)},"citation":{json_string(citation)},'
        f'"policy_version":{json_string(policy_version)},"reason":{json_string(reason)},'
        f'"tier":{json_string(tier)}'
    )


@lru_cache(maxsize=4096)
def principal_json(
    issuer: str | None,
    subject: str | None,
    entity: str,
    country: str,
    region: str | None,
    agency_type: str | None,
    agency_region: str | None,
    capacity: str,
) -> str:
    """The ``principal`` object; few distinct principals make most requests."""
    return (
        f'{{"issuer":{json_string(issuer)},"subject":{json_string(subject)},'
        f'"entity_type":{json_string(entity)},'
        f'"country":{json_string(country)},"region":{json_string(region)},'
        f'"agency_type":{json_string(agency_type)},'
        f'"agency_region":{json_string(agency_region)},"capacity":{json_string(capacity)}}}'
    )


def json_string(value: str | None) -> str:
    """JSON for a string or null; short strings (ids, codes, claims) are remembered."""
    if value is None:
        return "null"
    if value.isalnum() and value.isascii():  # ids and codes: nothing to escape
        return f'"{value}"'
    if len(value) <= 128:
        return _json_string_short(value)
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=8192)
def _json_string_short(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
