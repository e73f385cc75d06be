"""Where policies come from: files on disk or in the package; a PostgreSQL store
(``jurisgate.adapters.postgres_store``, imported by name: it needs the ``postgres`` extra)."""

from jurisgate.middleware.decision.policy_files import load_policy_files, read_policy_csv

__all__ = ["load_policy_files", "read_policy_csv"]
