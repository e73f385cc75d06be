"""``[[results]]`` (routes whose JSON answers list people) and ``[items]`` (which item rules are
in force), read into ResultRoute and ItemSettings values."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

from ..errors import ConfigError
from ..results.packs import DEFAULT_ITEM_PACKS, ItemSettings
from ..results.routes import DEFAULT_MAX_BODY_BYTES, MODES, ResultRoute
from .table import Table, build, resolve_path

__all__ = ["parse_items", "parse_results"]

_RESULT_KEYS = (
    "path", "items", "id", "region", "country", "counts", "unknown", "max_body_bytes",
    "collected_at", "mode",
)  # fmt: skip


def parse_results(data: object, file: Path) -> tuple[ResultRoute, ...]:
    if not isinstance(data, list):
        raise ConfigError(f"{file}: results must be an array of tables ([[results]])")
    routes = tuple(_route(entry, n, file) for n, entry in enumerate(data))
    paths = [route.path for route in routes]
    if len(set(paths)) != len(paths):
        raise ConfigError(f"{file}: the same path appears twice in [[results]]")
    return routes


def _route(data: object, index: int, file: Path) -> ResultRoute:
    table = Table(data, f"results[{index}]", file, _RESULT_KEYS)
    counts = table.get("counts", list, [])
    if not all(isinstance(c, str) for c in counts):
        raise table.error("counts", "must be a list of dotted field paths")
    unknown = table.get("unknown", str, "rule")
    mode = table.check(
        "mode", table.get("mode", str, "filter"), MODES.__contains__, "must be 'filter' or 'verify'"
    )
    return build(
        table,
        lambda: ResultRoute(
            path=table.get("path", str, required=True),
            items=table.get("items", str, required=True),
            id=table.get("id", str, "id"),
            region=table.get("region", str, "source_region"),
            country=table.get("country", str),
            counts=tuple(counts),
            collected_at=table.get("collected_at", str),
            unknown=cast(Literal["rule", "refuse"], unknown),
            max_body_bytes=table.get("max_body_bytes", int, DEFAULT_MAX_BODY_BYTES),
            mode=cast(Literal["filter", "verify"], mode),
        ),
    )


def parse_items(data: object, base: Path, file: Path) -> ItemSettings:
    table = Table(data, "items", file, ("packs", "files", "disabled_rules"))
    packs = table.get("packs", list, list(DEFAULT_ITEM_PACKS))
    files = table.get("files", list, [])
    disabled = table.get("disabled_rules", list, [])
    for key, values in (("packs", packs), ("files", files), ("disabled_rules", disabled)):
        if not all(isinstance(v, str) and v for v in values):
            raise table.error(key, "must be a list of non-empty strings")
    return build(
        table,
        lambda: ItemSettings(
            tuple(packs), tuple(resolve_path(base, f) for f in files), frozenset(disabled)
        ),
    )
