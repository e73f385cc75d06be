"""Which item rules are in force: the bundled packs the configuration enables, then the
admin's own ``p2`` rows, which override a pack's rule of the same id in place.

``[items]`` in jurisgate.toml (config/results_table.py) chooses: ``packs`` (defaults to both
bundled packs, ``clearview_settlement`` and ``foreign_orders``), ``files`` (CSV files of the
admin's own ``p2`` rows) and ``disabled_rules`` (ids turned off). The ``p2`` rows of the
configured policy files count as the admin's own too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from ..decision.policy_files import read_policy_csv
from ..decision.policy_source import PolicyRow
from ..errors import PolicyError
from .item_policy import ItemPolicy
from .item_rules import ITEM_PTYPE, ItemRule, parse_item_rules

__all__ = [
    "DEFAULT_ITEM_PACKS",
    "ITEM_PACK_FILES",
    "ItemSettings",
    "bundled_item_policy",
    "item_policy_for",
    "item_policy_from_rows",
    "pack_item_rows",
]

# Bundled packs that hold item rules -> the file their p2 rows are in.
ITEM_PACK_FILES: Final = {"clearview_settlement": "policy.csv", "foreign_orders": "items.csv"}
DEFAULT_ITEM_PACKS: Final = ("clearview_settlement", "foreign_orders")


@dataclass(frozen=True, slots=True)
class ItemSettings:
    """``[items]``: the bundled packs in force, the admin's own p2 files, rules turned off."""

    packs: tuple[str, ...] = DEFAULT_ITEM_PACKS
    files: tuple[Path, ...] = ()
    disabled_rules: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = [pack for pack in self.packs if pack not in ITEM_PACK_FILES]
        if unknown:
            raise ValueError(
                f"packs: unknown pack {unknown[0]!r} (known: {', '.join(ITEM_PACK_FILES)})"
            )
        if len(set(self.packs)) != len(self.packs):
            raise ValueError("packs: a pack is named twice")


def pack_item_rows(pack: str) -> tuple[PolicyRow, ...]:
    """The p2 rows of a bundled pack."""
    from jurisgate.policies import pack_file

    name = ITEM_PACK_FILES.get(pack)
    if name is None:
        raise PolicyError(f"no bundled pack of item rules named {pack!r}")
    text = pack_file(name, pack).read_text(encoding="utf-8")
    return tuple(
        r for r in read_policy_csv(text, f"bundled:{pack}/{name}") if r.ptype == ITEM_PTYPE
    )


def item_policy_from_rows(
    packs: Sequence[Sequence[PolicyRow]],
    own: Sequence[PolicyRow] = (),
    disabled: Iterable[str] = (),
) -> ItemPolicy:
    """Pack rules in pack order, each replaced in place by the admin's rule of the same id;
    then the admin's other rules; without the ``disabled`` ids (each must name a rule)."""
    ordered: dict[str, ItemRule] = {}
    for rows in packs:
        for rule in parse_item_rules(rows):
            ordered.setdefault(rule.id, rule)  # the same rule in two packs: the first stands
    for rule in parse_item_rules(own):  # refuses an id used twice in the admin's own rows
        ordered[rule.id] = rule
    for rule_id in disabled:
        if ordered.pop(rule_id, None) is None:
            raise PolicyError(f"[items] disabled_rules: {rule_id!r} names no item rule")
    digest = hashlib.sha256()
    for rows in (*packs, own):
        for row in rows:
            digest.update("\x1f".join((row.ptype, *row.values)).encode() + b"\x1e")
    digest.update("\x1f".join(sorted(disabled)).encode())
    return ItemPolicy(ordered.values(), version=digest.hexdigest()[:16])


def item_policy_for(
    settings: ItemSettings,
    policy_rows: Sequence[PolicyRow] = (),
    *,
    texts: Mapping[Path, str] | None = None,
) -> ItemPolicy:
    """The item rules ``settings`` put in force; ``policy_rows`` are the configured policy's
    rows, from files or a store (their p2 rows are the admin's own; the bundled pack's own rows
    add nothing). ``texts``: the ``files`` as already read (the gate reads them with the
    policy, checked against its manifest); None reads them here."""
    own = [
        row
        for row in policy_rows
        if row.ptype == ITEM_PTYPE and not row.source.startswith("bundled:")
    ]
    for path in settings.files:
        text = texts[path] if texts is not None else _read(path)
        for row in read_policy_csv(text, str(path)):
            if row.ptype != ITEM_PTYPE:
                raise PolicyError(
                    f"{row.source}: an [items] file holds only p2 rows, not {row.ptype!r}"
                )
            own.append(row)
    packs = [pack_item_rows(pack) for pack in settings.packs]
    return item_policy_from_rows(packs, own, sorted(settings.disabled_rules))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"[items] files: cannot read {path}: {exc}") from exc


@cache
def bundled_item_policy() -> ItemPolicy:
    """The item rules of the default configuration: both bundled packs, nothing overridden."""
    return item_policy_for(ItemSettings())
