"""Record: one structured JSON record per decision on the ``jurisgate.audit`` logger.

The record is built as a dict and handed to logging unformatted; it becomes JSON only if a
handler actually emits it, so an unconfigured audit logger costs one ``isEnabledFor`` check.
Handlers that want fields rather than text read ``record.audit``. The token is never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .audit_subjects import AuditSettings
from .decision import Decision
from .principal import Principal

__all__ = ["AUDIT_LOGGER", "AuditLog", "AuditObserver", "AuditRecord"]

AUDIT_LOGGER: Final = "jurisgate.audit"


class AuditRecord:
    """Lazily formatted: ``str()`` is the JSON line."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return json.dumps(self.fields, ensure_ascii=False, separators=(",", ":"), default=str)


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
    ) -> None:
        logger = self.logger
        enabled = logger.isEnabledFor(logging.INFO)
        if not enabled and not self.observers:
            return
        citation = decision.citation if decision is not None else None
        subject = (
            self.subjects.subject_for(principal.issuer, principal.subject) if principal else None
        )
        fields: dict[str, Any] = {
            "ts": time.time(),
            "decision_id": decision_id,
            "issuer": principal.issuer if principal else issuer,
            "subject": subject,
            "principal": {**principal.as_dict(), "subject": subject} if principal else None,
            "method": method,
            "path": path,
            "effect": effect,
            "status": status,
            "rule": decision.rule if decision else None,
            "citation": citation.url if citation else None,
            "policy_version": decision.policy_version if decision else None,
            "reason": reason,
            "tier": tier,
            "latency_us": round((time.perf_counter() - started) * 1e6, 1),
        }
        for observer in self.observers:
            try:
                observer(fields)
            except Exception:  # an observer must never turn a decision into an error
                logging.getLogger("jurisgate").warning("audit observer failed", exc_info=True)
        if enabled:
            logger.info(AuditRecord(fields), extra={"audit": fields})
