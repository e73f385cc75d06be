"""Where policies come from: files on disk or in the package; a PostgreSQL store
(``jurisgate.adapters.postgres_store``, imported by name: it needs the ``postgres`` extra).
``IngestCheck`` is the crawler's ingest check on the item rules in force, followed as the
gate follows them (``ingest_check.py``)."""

from jurisgate.middleware.decision.policy_files import load_policy_files, read_policy_csv

from .ingest_check import IngestCheck

__all__ = ["IngestCheck", "load_policy_files", "read_policy_csv"]
