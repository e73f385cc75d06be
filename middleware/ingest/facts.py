"""A photo's provenance facts, validated: what a crawler knows about where a photo came from.

Every fact is optional (``None`` or absent means not known). Errors raise ``ValueError``
naming the key, so a crawler's bad record is never read as "no provenance".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from jurisgate.middleware.clock import parse_instant

__all__ = ["FACT_KEYS", "ProvenanceFacts", "read_facts"]

FACT_KEYS = frozenset({"gps", "region", "source_url", "uploader_location", "taken_at"})
_MAX_TEXT = 2048  # longer free text is refused, not cut: nothing parses unbounded input
_ISO_CODE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")


@dataclass(frozen=True, slots=True)
class ProvenanceFacts:
    """``gps`` is (lat, lon) in degrees; ``region`` an ISO 3166-2 (or 3166-1) code;
    ``taken_at`` epoch seconds."""

    gps: tuple[float, float] | None = None
    region: str | None = None
    source_url: str | None = None
    uploader_location: str | None = None
    taken_at: float | None = None


def read_facts(facts: Mapping[str, object] | ProvenanceFacts) -> ProvenanceFacts:
    """Validate a facts mapping (as a crawler's JSON has it); ``ValueError`` names the key."""
    if isinstance(facts, ProvenanceFacts):
        return facts
    if not isinstance(facts, Mapping):
        raise TypeError(f"facts must be a mapping, not {type(facts).__name__}")
    unknown = sorted(str(key) for key in facts if key not in FACT_KEYS)
    if unknown:
        raise ValueError(f"facts: unknown key {unknown[0]!r} (known: {sorted(FACT_KEYS)})")
    return ProvenanceFacts(
        gps=_gps(facts.get("gps")),
        region=_region(facts.get("region")),
        source_url=_text(facts.get("source_url"), "source_url"),
        uploader_location=_text(facts.get("uploader_location"), "uploader_location"),
        taken_at=_taken_at(facts.get("taken_at")),
    )


def _gps(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"facts.gps: must be [lat, lon], not {value!r}")
    lat, lon = value
    for name, number, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"facts.gps: {name} must be a number, not {number!r}")
        if not math.isfinite(number) or abs(number) > limit:
            raise ValueError(f"facts.gps: {name} out of range: {number!r}")
    return float(lat), float(lon)


def _region(value: object) -> str | None:
    text = _text(value, "region")
    if text is None:
        return None
    code = text.upper()
    if not _ISO_CODE.fullmatch(code):
        raise ValueError(f"facts.region: not an ISO 3166-2 or 3166-1 code: {text!r}")
    return code


def _text(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"facts.{key}: must be a string, not {type(value).__name__}")
    if len(value) > _MAX_TEXT:
        raise ValueError(f"facts.{key}: longer than {_MAX_TEXT} characters")
    stripped = value.strip()
    return stripped or None


def _taken_at(value: object) -> float | None:
    text = _text(value, "taken_at")
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise ValueError(f"facts.taken_at: not an ISO 8601 date or date-time: {text!r}") from exc
