"""Policy packs that ship with jurisgate, read through importlib.resources (works from a wheel)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["DEFAULT_PACK", "pack_file", "pack_files"]

DEFAULT_PACK = "clearview_settlement"


def pack_files(pack: str = DEFAULT_PACK) -> tuple[Traversable, Traversable]:
    """The (model.conf, policy.csv) of a bundled pack."""
    return pack_file("model.conf", pack), pack_file("policy.csv", pack)


def pack_file(name: str, pack: str = DEFAULT_PACK) -> Traversable:
    if not pack.isidentifier():
        raise ValueError(f"pack must be a package name, not {pack!r}")
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a file name inside the pack, not {name!r}")
    try:
        return files(f"jurisgate.policies.{pack}").joinpath(name)
    except ModuleNotFoundError:
        raise ValueError(f"no bundled policy pack named {pack!r}") from None
