"""Record: one structured JSON record per decision on the ``jurisgate.audit`` logger, and as a
JSON line to a sink (``[audit] file``) when one is configured.

The record is handed to logging unformatted; it becomes JSON only if a handler actually emits
it, so an unconfigured audit logger costs one ``isEnabledFor`` check. Handlers that want fields
rather than text read ``record.audit`` (the record itself: a filter may rewrite it, and the line
then says what it holds). A remembered request's record shares all but its time, decision id
and latency with the first one, built and written out once (``remembered``); when nothing but
the sink wants it, only those three are new (``replay``). The token is never logged.

A record also says what the client was sent (``sent_status``, ``outcome``): the gate writes it
once the answer has started (``answer.py``), and asks a sink that can tell (``accepting``)
before it serves a request, so that a request whose record would be refused is not served. Fields a
client chooses are bounded (``limits.py``), so no request can make its record large.

(Over 250 lines: ``AuditLog`` is one record's whole way out, built, replayed and emitted, and
its hot replay path is kept in one place on purpose.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from ..claims.principal import Principal
from ..decision.values import Decision
from .json_line import ReplayFields, replay_line
from .limits import clipped_method, clipped_path
from .record import AuditRecord, RememberedFields, ReplayedRecord
from .settings import AuditSettings

if TYPE_CHECKING:
    from ..cache.warm import RememberedRequest
    from .answer import Replayed

__all__ = ["AUDIT_LOGGER", "AuditLog", "AuditObserver", "AuditRecord", "AuditSink"]

AUDIT_LOGGER: Final = "jurisgate.audit"
_ORIGIN: Final = "jurisgate/audit.py"
_INFO: Final = logging.INFO


DeferredWrite = Callable[[Callable[[ReplayFields], str], ReplayFields], None]


# Called with every record's fields, whether or not the logger emits it (metrics, sinks).
AuditObserver = Callable[[Mapping[str, Any]], None]


class AuditSink(Protocol):
    """Takes each record's JSON line. ``jurisgate.middleware.audit.file_sink.AuditFile`` is the
    bundled one. A sink may also have ``accepting`` (false while it could not take a record
    now) and ``check()`` (raising ``AuditUnavailable`` then, saying why): the gate reads
    ``accepting`` before serving a request (whose record is written once the answer starts)
    and refuses the request instead (an unaudited request is never served). A sink without
    them is only written to; if it raises then, the record still reaches the logger and
    observers, and the failure is logged."""

    def write(self, line: str) -> None: ...

    def close(self) -> None: ...


class AuditLog:
    """``subjects`` says how records name the subject (defaults to as sent); ``observers``
    see every record (defaults to none); one that raises is logged and skipped. ``sink``
    (defaults to none) gets every record's JSON line, without a LogRecord."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        subjects: AuditSettings | None = None,
        observers: Sequence[AuditObserver] = (),
        sink: AuditSink | None = None,
    ) -> None:
        self.logger = logger or logging.getLogger(AUDIT_LOGGER)
        self.subjects = subjects or AuditSettings()
        self.observers = tuple(observers)
        self.sink = sink

    @property
    def sink(self) -> AuditSink | None:
        return self._sink

    @sink.setter
    def sink(self, sink: AuditSink | None) -> None:
        self._sink = sink
        # A sink that can format lines on its own thread (AuditFile) gets a remembered
        # request's fields rather than its line: less work on the event loop.
        self._deferred: DeferredWrite | None = getattr(sink, "write_deferred", None)
        # Read before a request is served: a sink with ``accepting`` and ``check()``.
        self.guarded: Any = (
            sink if hasattr(sink, "accepting") and callable(getattr(sink, "check", None)) else None
        )

    def remembered(
        self, principal: Principal, decision: Decision, method: str, path: str
    ) -> RememberedFields:
        """The fields of a remembered request's records that stay the same on every replay."""
        # ts, decision_id and latency_us are filled in per request; here they hold their place
        # in the record's key order.
        fields = self._fields(
            ts=0.0, decision_id="", method=method, path=path, status=decision.status,
            effect=decision.effect, latency_us=0.0, principal=principal, decision=decision,
            reason=None, tier="local", issuer=None, subject=None, sent_status=None, outcome=None,
        )  # fmt: skip
        wanted = bool(self.observers) or self.logger.isEnabledFor(_INFO)
        return RememberedFields(fields, whole_records=wanted)

    def replay(
        self,
        entry: RememberedRequest,
        decision_id: str,
        started: float,
        decided: float | None = None,
        sent_status: int | None = None,
        outcome: str | None = None,
        removed: Mapping[str, int] | None = None,
        leaked: Mapping[str, int] | None = None,
        item_policy_version: str | None = None,
    ) -> None:
        """Record a request answered from memory (decided at ``decided``, a perf_counter
        reading; defaults to now). Straight to the sink when nothing else wants the record;
        otherwise the full record, as for a decided request, filled into the entry's
        template when it has one. ``removed``, ``leaked`` and ``item_policy_version``: the
        result filter's counts and rules, if it ran (see ``record``)."""
        self.replayed(
            (entry, decision_id, started, decided), sent_status, outcome, removed, leaked,
            item_policy_version,
        )  # fmt: skip

    def replayed(
        self,
        replayed: Replayed,
        sent_status: int | None,
        outcome: str | None,
        removed: Mapping[str, int] | None = None,
        leaked: Mapping[str, int] | None = None,
        item_policy_version: str | None = None,
    ) -> None:
        """``replay``, with the request's part in the one tuple the gate holds: what the gate
        calls once per answer, so it passes few arguments and unpacks them only when a
        record is wanted."""
        enabled = self.logger.isEnabledFor(_INFO)
        if enabled or self.observers:
            entry, decision_id, started, decided = replayed
            shared = entry.audit_fields
            seconds = (time.perf_counter() if decided is None else decided) - started
            template = shared.template
            if template is None:
                # Nothing wanted whole records when this request was remembered: build one.
                decision = entry.decision
                self.record(
                    decision_id=decision_id, method=entry.method, path=entry.path,
                    started=started, status=decision.status, effect=decision.effect,
                    principal=entry.principal, decision=decision, tier="local",
                    decided=started + seconds, sent_status=sent_status, outcome=outcome,
                    removed=removed, leaked=leaked, item_policy_version=item_policy_version,
                )  # fmt: skip
                return
            record = ReplayedRecord(template)
            record._shared = shared
            p = record["principal"]
            if p is not None:
                record["principal"] = dict(p)  # its own: a handler may rewrite it
            record["ts"] = time.time()
            record["decision_id"] = decision_id
            record["latency_us"] = round(seconds * 1e6, 1)
            record["sent_status"] = sent_status
            record["outcome"] = outcome
            if item_policy_version is not None:
                record["item_policy_version"] = item_policy_version
            if removed is not None:
                record["removed"] = dict(removed)
            if leaked is not None:
                record["leaked"] = dict(leaked)
            self._emit(record, enabled)
        elif (sink := self._sink) is not None:  # the attribute: the property costs a call
            entry, decision_id, started, decided = replayed
            if removed is not None:
                removed = dict(removed)  # its own: written out later, on the sink's thread
            if leaked is not None:
                leaked = dict(leaked)
            seconds = (time.perf_counter() if decided is None else decided) - started
            fields = (
                time.time_ns(), decision_id, entry.audit_fields.core, seconds, sent_status,
                outcome, item_policy_version, removed, leaked,
            )  # fmt: skip
            if self._deferred is not None:  # the sink's thread writes the line out
                self._deferred(replay_line, fields)
            else:
                sink.write(replay_line(fields))

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
        decided: float | None = None,
        sent_status: int | None = None,
        outcome: str | None = None,
        removed: Mapping[str, int] | None = None,
        leaked: Mapping[str, int] | None = None,
        item_policy_version: str | None = None,
    ) -> None:
        """``issuer``/``subject`` name a verified token that produced no ``principal``;
        ``decided`` (a perf_counter reading, defaults to now) ends the latency;
        ``sent_status`` and ``outcome`` say what the client was sent; ``removed`` (only when
        the result filter ran) how many entries each item rule removed from it; ``leaked``
        (only when a verifying filter refused the answer) how many suppressed entries of each
        rule the app had left in it; ``item_policy_version`` (only when the filter ran) the
        version of the item rules it applied."""
        enabled = self.logger.isEnabledFor(_INFO)
        if not enabled and not self.observers and self.sink is None:
            return
        ts = time.time()
        latency_us = round(((decided or time.perf_counter()) - started) * 1e6, 1)
        record = self._fields(
            ts=ts, decision_id=decision_id, method=method, path=path, status=status,
            effect=effect, latency_us=latency_us, principal=principal, decision=decision,
            reason=reason, tier=tier, issuer=issuer, subject=subject, sent_status=sent_status,
            outcome=outcome,
        )  # fmt: skip
        if item_policy_version is not None:
            record["item_policy_version"] = item_policy_version
        if removed is not None:
            record["removed"] = dict(removed)
        if leaked is not None:
            record["leaked"] = dict(leaked)
        self._emit(record, enabled)

    def _fields(
        self,
        *,
        ts: float,
        decision_id: str,
        method: str,
        path: str,
        status: int,
        effect: str,
        latency_us: float,
        principal: Principal | None,
        decision: Decision | None,
        reason: str | None,
        tier: str | None,
        issuer: str | None,
        subject: str | None,
        sent_status: int | None,
        outcome: str | None,
    ) -> AuditRecord:
        citation = decision.citation if decision is not None else None
        subject = (
            self.subjects.subject_for(principal.issuer, principal.subject)
            if principal
            else self.subjects.subject_for(issuer, subject)
        )
        return AuditRecord(
            ts=ts,
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
                "agency_type": principal.agency_type,
                "agency_region": principal.agency_region,
                "capacity": principal.capacity,
            },
            method=clipped_method(method),
            path=clipped_path(path),
            effect=effect,
            status=status,
            rule=decision.rule if decision else None,
            citation=citation.url if citation else None,
            policy_version=decision.policy_version if decision else None,
            reason=reason,
            tier=tier,
            latency_us=latency_us,
            sent_status=sent_status,
            outcome=outcome,
        )

    def _emit(self, record: AuditRecord, enabled: bool) -> None:
        """To the sink, the observers and (``enabled``) the logger. A sink that refuses the
        record does not keep it from the others; its error is raised after them."""
        sink = self.sink
        refused: Exception | None = None
        if sink is not None:
            try:
                sink.write(str(record))
            except Exception as exc:  # the logger and observers still get the record
                refused = exc
        for observer in self.observers:
            try:
                observer(record)
            except Exception:  # an observer must never turn a decision into an error
                logging.getLogger("jurisgate").warning("audit observer failed", exc_info=True)
        if enabled:
            logger = self.logger
            # handle(makeRecord(...)) rather than info(): the caller's frame is not worth
            # looking up for a record whose origin is always the gate.
            logger.handle(
                logger.makeRecord(
                    logger.name, logging.INFO, _ORIGIN, 0, record, (), None,
                    extra={"audit": record},
                )
            )  # fmt: skip
        if refused is not None:
            raise refused
