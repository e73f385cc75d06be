"""Read a Casbin model and a policy CSV, keeping each row's file and line.

Casbin's own file adapter splits rows on every comma, so a legal citation such as
"ACLU v. Clearview AI, Inc." cannot be written in it. This reader is RFC 4180 CSV (double
quotes protect commas) and remembers where each row came from, so errors and lint findings
can say ``policy.csv:12``.
"""

from __future__ import annotations

import csv
from importlib.resources.abc import Traversable
from pathlib import Path

from jurisgate.middleware.decision.policy_source import PolicyRow, PolicySource
from jurisgate.middleware.errors import PolicyError

__all__ = ["load_policy_files", "read_policy_csv"]


def read_policy_csv(text: str, origin: str) -> tuple[PolicyRow, ...]:
    """Parse policy CSV; ``#`` lines and blank lines are comments."""
    rows: list[PolicyRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            fields = next(csv.reader([stripped], skipinitialspace=True, strict=True))
        except csv.Error as exc:
            raise PolicyError(f"{origin}:{number}: not valid CSV ({exc})") from exc
        fields = [value.strip() for value in fields]
        if not fields[0]:
            raise PolicyError(f"{origin}:{number}: the row has no policy type")
        rows.append(PolicyRow(fields[0], tuple(fields[1:]), f"{origin}:{number}"))
    return tuple(rows)


def load_policy_files(
    model: Path | Traversable,
    policy: Path | Traversable,
    *,
    model_origin: str | None = None,
    policy_origin: str | None = None,
) -> PolicySource:
    """Read a model file and a policy file (paths or package resources); the origins name them
    in messages (defaults to their paths)."""
    try:
        model_text = model.read_text(encoding="utf-8")
        policy_text = policy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy files: {exc}") from exc
    model_origin = model_origin or str(model)
    policy_origin = policy_origin or str(policy)
    return PolicySource(
        model_text, read_policy_csv(policy_text, policy_origin), model_origin, policy_origin
    )
