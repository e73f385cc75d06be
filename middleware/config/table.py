"""Reading one TOML table strictly: every key known, every value typed, every error naming the
key and the file it is in."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError

__all__ = ["Table", "build", "is_link_target", "resolve_path"]

T = TypeVar("T")


class Table:
    """One TOML table being read; remembers which keys were used so the rest can be refused."""

    def __init__(self, data: object, where: str, file: Path, keys: Collection[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: {where} must be a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.file = file
        self.used: set[str] = set()
        # Unknown keys first: a misspelt "audiance" must be named, not reported as a missing
        # "audience".
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise ConfigError(f"{file}: unknown key {where}.{unknown[0]}")

    def get(
        self, key: str, kind: type[T], default: T | None = None, *, required: bool = False
    ) -> T:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, "is required")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(key, f"must be a {kind.__name__}, not {type(value).__name__}")
        return value

    def check(self, key: str, value: T, test: Callable[[T], bool], message: str) -> T:
        if not test(value):
            raise self.error(key, message)
        return value

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where}.{key} {message}")

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.file}: unknown key {self.where}.{unknown[0]}")


def build(table: Table, make: Callable[[], T]) -> T:
    try:
        value = make()
    except ValueError as exc:
        raise ConfigError(f"{table.file}: [{table.where}] {exc}") from exc
    table.finish()
    return value


def resolve_path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def is_link_target(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(c in url for c in '<>" \t\r\n')
