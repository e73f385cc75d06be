"""Policy packs that ship with jurisgate, read through importlib.resources (works from a wheel)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["BUNDLED_READINGS", "DEFAULT_PACK", "pack_file", "pack_files"]

DEFAULT_PACK = "clearview_settlement"
# The settlement pack's readings of the consent decree -> its policy file. "strict" (the
# default) bans every client located in Illinois for five years, federal offices included;
# "decree_text" follows the decree's text, under which federal agencies are outside the
# Illinois State Ban. Both ban Illinois agencies, their employees and contractors anywhere.
BUNDLED_READINGS = {"strict": "policy.csv", "decree_text": "policy-decree-text.csv"}


def pack_files(
    pack: str = DEFAULT_PACK, *, reading: str = "strict"
) -> tuple[Traversable, Traversable]:
    """The (model.conf, policy file) of a bundled pack, in one of its readings."""
    policy = BUNDLED_READINGS.get(reading)
    if policy is None:
        raise ValueError(f"reading must be one of {', '.join(BUNDLED_READINGS)}, not {reading!r}")
    return pack_file("model.conf", pack), pack_file(policy, pack)


def pack_file(name: str, pack: str = DEFAULT_PACK) -> Traversable:
    if not pack.isidentifier():
        raise ValueError(f"pack must be a package name, not {pack!r}")
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a file name inside the pack, not {name!r}")
    try:
        return files(f"jurisgate.policies.{pack}").joinpath(name)
    except ModuleNotFoundError:
        raise ValueError(f"no bundled policy pack named {pack!r}") from None
