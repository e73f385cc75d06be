"""Where policies come from: files on disk or in the package (more stores in later releases)."""

from .policy_files import load_policy_files, read_policy_csv

__all__ = ["load_policy_files", "read_policy_csv"]
