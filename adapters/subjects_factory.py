"""The one place that turns ``[subjects]`` settings into a running registry on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from jurisgate.middleware.subjects import ReceiptSigner, SubjectMatcher, SubjectsSettings
from jurisgate.middleware.subjects.service import SubjectsService

from .postgres_subjects import PostgresSubjectRegistry

__all__ = ["open_subjects"]


def open_subjects(
    settings: SubjectsSettings, *, matcher: SubjectMatcher | None = None, init_schema: bool = False
) -> SubjectsService:
    """Reads the receipt key now (a bad key stops start-up); connects only when used."""
    registry = PostgresSubjectRegistry(
        settings.store, effective_within=timedelta(hours=settings.effective_within_hours)
    )
    return SubjectsService(
        registry,
        ReceiptSigner.from_file(settings.receipt_key_file),
        max_staleness=settings.max_staleness,
        max_photo_bytes=settings.max_photo_bytes,
        requests_per_minute=settings.requests_per_minute,
        matcher=matcher,
        init_schema=init_schema,
    )
