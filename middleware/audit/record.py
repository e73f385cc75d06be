"""One decision's audit record: its fields, as a dict, and its JSON line.

A remembered request's records share all but their time, decision id and latency with the
first one: ``RememberedFields`` keeps those fields once, as a template, with their JSON, and
``ReplayedRecord`` reuses that JSON while the fields are still equal to it (a logging filter
may rewrite them; its line then says what the filter wrote).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .json_line import core_json, principal_json, record_line

__all__ = ["AuditRecord", "RememberedFields", "ReplayedRecord"]


class AuditRecord(dict[str, Any]):
    """One decision's fields (a plain dict to observers, handlers and ``json.dumps``) whose
    ``str()`` is the JSON line, written out directly from the known field types
    (``json_line.py``)."""

    __slots__ = ()

    def __str__(self) -> str:
        core = _core_json(_shared_values(self))
        return record_line(
            self["ts"], self["decision_id"], core, self["latency_us"], self["sent_status"],
            self["outcome"], self.get("item_policy_version"), self.get("removed"),
            self.get("leaked"),
        )  # fmt: skip


class ReplayedRecord(AuditRecord):
    """A remembered request's record. Its line reuses the JSON of the fields it shares with
    the first record while they are still equal: a logging filter may have rewritten them."""

    __slots__ = ("_shared",)
    _shared: RememberedFields

    def __str__(self) -> str:
        values = _shared_values(self)
        shared: RememberedFields | None = getattr(self, "_shared", None)  # None in a copy
        # Equal is not enough for the status: 200.0 == 200, but only an int is written out.
        if shared is not None and values == shared.values and type(self["status"]) is int:
            core = shared.core
        else:
            core = _core_json(values)
        return record_line(
            self["ts"], self["decision_id"], core, self["latency_us"], self["sent_status"],
            self["outcome"], self.get("item_policy_version"), self.get("removed"),
            self.get("leaked"),
        )  # fmt: skip

    def __reduce__(self) -> tuple[type[AuditRecord], tuple[dict[str, Any]]]:
        """Pickled (QueueHandler, SocketHandler) as the plain record it is, not with the
        remembered fields it was made from."""
        return (AuditRecord, (dict(self),))


# A template record and its values: a dict of 17 fields and a tuple of 12, whose strings are
# bounded (limits.py) and mostly shared with the core JSON's.
_TEMPLATE_BYTES: Final = 4096

# The fields a remembered request's records share, in core_json's order; the principal's
# eight as a tuple of their own, or None.
_SharedValues = tuple[Any, ...]


def _shared_values(record: Mapping[str, Any]) -> _SharedValues:
    p = record["principal"]
    return (
        record["issuer"], record["subject"],
        None if p is None
        else (
            p["issuer"], p["subject"], p["entity_type"], p["country"], p["region"],
            p["agency_type"], p["agency_region"], p["capacity"],
        ),
        record["method"], record["path"], record["effect"], record["status"], record["rule"],
        record["citation"], record["policy_version"], record["reason"], record["tier"],
    )  # fmt: skip


def _core_json(values: _SharedValues) -> str:
    issuer, subject, who, method, path, effect, status, rule, cited, version, reason, tier = values
    principal = "null" if who is None else principal_json(*who)
    return core_json(
        issuer, subject, principal, method, path, effect, status, rule, cited, version, reason,
        tier,
    )  # fmt: skip


class RememberedFields:
    """What every record of one remembered request shares: their JSON, and (with
    ``whole_records``, when a logger or observer wants whole records) the fields as a
    template the per-request ones are filled into, and their values. Without it an entry
    holds only the JSON: about a kilobyte less for each of up to ``local_max_entries``."""

    __slots__ = ("core", "template", "values", "weight")

    def __init__(self, template: AuditRecord, *, whole_records: bool) -> None:
        values = _shared_values(template)
        self.core = _core_json(values)
        self.template = template if whole_records else None
        self.values = values if whole_records else ()
        # The memory these take, on the high side (for the byte bound of remembered requests).
        self.weight = 4 * len(self.core) + (_TEMPLATE_BYTES if whole_records else 0)
