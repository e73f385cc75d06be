"""Record: one structured JSON record per decision on the ``jurisgate.audit`` logger.

The record is handed to logging unformatted; it becomes JSON only if a handler actually emits
it, so an unconfigured audit logger costs one ``isEnabledFor`` check. Handlers that want fields
rather than text read ``record.audit`` (a read-only mapping). The token is never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from .audit_subjects import AuditSettings
from .decision import Decision
from .principal import Principal

__all__ = ["AUDIT_LOGGER", "AuditLog", "AuditObserver", "AuditRecord"]

AUDIT_LOGGER: Final = "jurisgate.audit"
_ORIGIN: Final = "jurisgate/audit.py"


class AuditRecord(dict[str, Any]):
    """One decision's fields (a plain dict to observers, handlers and ``json.dumps``) whose
    ``str()`` is the JSON line, written out directly from the known field types."""

    __slots__ = ()

    def __str__(self) -> str:
        p = self["principal"]
        who = (
            "null"
            if p is None
            else _principal_json(
                p["issuer"], p["subject"], p["entity_type"], p["country"], p["region"]
            )
        )
        return (
            f'{{"ts":{self["ts"]!r},"decision_id":{_js(self["decision_id"])},'
            f'"issuer":{_js(self["issuer"])},"subject":{_js(self["subject"])},'
            f'"principal":{who},"method":{_js(self["method"])},"path":{_js(self["path"])},'
            f'"effect":{_js(self["effect"])},"status":{self["status"]:d},'
            f'"rule":{_js(self["rule"])},"citation":{_js(self["citation"])},'
            f'"policy_version":{_js(self["policy_version"])},"reason":{_js(self["reason"])},'
            f'"tier":{_js(self["tier"])},"latency_us":{self["latency_us"]!r}}}'
        )


@lru_cache(maxsize=4096)
def _principal_json(
    issuer: str | None, subject: str | None, entity: str, country: str, region: str | None
) -> str:
    return (
        f'{{"issuer":{_js(issuer)},"subject":{_js(subject)},"entity_type":{_js(entity)},'
        f'"country":{_js(country)},"region":{_js(region)}}}'
    )


def _js(value: str | None) -> str:
    """JSON for a string or null; short strings (ids, codes, claims) are remembered."""
    if value is None:
        return "null"
    if value.isalnum() and value.isascii():  # ids and codes: nothing to escape
        return f'"{value}"'
    if len(value) <= 128:
        return _js_short(value)
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=8192)
def _js_short(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# Called with every record's fields, whether or not the logger emits it (metrics, sinks).
AuditObserver = Callable[[Mapping[str, Any]], None]


class AuditLog:
    """``subjects`` says how records name the subject (defaults to as sent); ``observers``
    see every record (defaults to none); one that raises is logged and skipped."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        subjects: AuditSettings | None = None,
        observers: Sequence[AuditObserver] = (),
    ) -> None:
        self.logger = logger or logging.getLogger(AUDIT_LOGGER)
        self.subjects = subjects or AuditSettings()
        self.observers = tuple(observers)

    def record(
        self,
        *,
        decision_id: str,
        method: str,
        path: str,
        status: int,
        effect: str,
        started: float,
        principal: Principal | None = None,
        decision: Decision | None = None,
        reason: str | None = None,
        tier: str | None = None,
        issuer: str | None = None,
        subject: str | None = None,
    ) -> None:
        """``issuer``/``subject`` name a verified token that produced no ``principal``."""
        logger = self.logger
        enabled = logger.isEnabledFor(logging.INFO)
        if not enabled and not self.observers:
            return
        citation = decision.citation if decision is not None else None
        subject = (
            self.subjects.subject_for(principal.issuer, principal.subject)
            if principal
            else self.subjects.subject_for(issuer, subject)
        )
        record = AuditRecord(
            ts=time.time(),
            decision_id=decision_id,
            issuer=principal.issuer if principal else issuer,
            subject=subject,
            principal=None
            if principal is None
            else {
                "issuer": principal.issuer,
                "subject": subject,
                "entity_type": principal.entity_type,
                "country": principal.country,
                "region": principal.region,
            },
            method=method,
            path=path,
            effect=effect,
            status=status,
            rule=decision.rule if decision else None,
            citation=citation.url if citation else None,
            policy_version=decision.policy_version if decision else None,
            reason=reason,
            tier=tier,
            latency_us=round((time.perf_counter() - started) * 1e6, 1),
        )
        for observer in self.observers:
            try:
                observer(record)
            except Exception:  # an observer must never turn a decision into an error
                logging.getLogger("jurisgate").warning("audit observer failed", exc_info=True)
        if enabled:
            # handle(makeRecord(...)) rather than info(): the caller's frame is not worth
            # looking up for a record whose origin is always the gate.
            logger.handle(
                logger.makeRecord(
                    logger.name, logging.INFO, _ORIGIN, 0, record, (), None,
                    extra={"audit": record},
                )
            )  # fmt: skip
