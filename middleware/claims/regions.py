"""ISO 3166 normalization for the ``country`` and ``region`` claims.

Real ISO data comes from pycountry. US regions also accept the state's two-letter code and its
name through an explicit alias table built from the US subdivisions only: a global lookup of
``IL`` finds Israel and ``Maryland`` a county in Liberia, so aliases never leave the US.

Input is rejected rather than repaired when it is not plain printable ASCII: look-alike letters
(full-width, Cyrillic), zero-width and control characters and stray whitespace are how claims
get smuggled past a policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Final

import pycountry

from ..errors import ClaimsError

__all__ = [
    "US_TERRITORIES",
    "known_countries",
    "normalize_agency_region",
    "normalize_country",
    "normalize_region",
    "subdivisions",
    "territory_region",
    "us_aliases",
]

# Territories with an ISO 3166-1 code of their own that are also US subdivisions (ISO 3166-2:US):
# a client there is in the US, so the nationwide rules reach it.
US_TERRITORIES: Final = frozenset({"PR", "GU", "VI", "AS", "MP", "UM"})

_ALPHA2 = re.compile(r"[A-Za-z]{2}")
_SUBDIVISION = re.compile(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}")
# Names: ASCII letters separated by single spaces, dots, commas or hyphens ("District of Columbia").
_NAME = re.compile(r"[A-Za-z]+(?:[ .,'-]{1,2}[A-Za-z]+)*\.?")

_EXTRA_US_ALIASES = {
    "washington dc": "US-DC",
    "washington d.c.": "US-DC",
    "washington, d.c.": "US-DC",
}


@cache
def known_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def subdivisions() -> dict[str, str]:
    """ISO 3166-2 code -> the alpha-2 country it belongs to."""
    return {sub.code: sub.country_code for sub in pycountry.subdivisions}


@cache
def us_aliases() -> Mapping[str, str]:
    """Lower-case alias (``il``, ``illinois``, ``us-il``) -> ISO 3166-2 code, US only."""
    aliases: dict[str, str] = {}
    for sub in (s for s in pycountry.subdivisions if s.country_code == "US"):
        aliases[sub.code.lower()] = sub.code
        aliases[sub.code.split("-", 1)[1].lower()] = sub.code
        aliases[sub.name.lower()] = sub.code
    aliases.update(_EXTRA_US_ALIASES)
    return aliases


def normalize_country(value: object) -> str:
    """Return the upper-case alpha-2 code, or raise ClaimsError."""
    if not isinstance(value, str):
        raise ClaimsError("country claim must be a string", code="invalid_country")
    if not _ALPHA2.fullmatch(value):
        raise ClaimsError("country claim is not an ISO 3166-1 alpha-2 code", code="invalid_country")
    code = value.upper()
    if code not in known_countries():
        raise ClaimsError(
            "country claim is not an assigned ISO 3166-1 code", code="invalid_country"
        )
    return code


def territory_region(country: str, raw_region: object) -> str:
    """The US subdivision of a client whose ``country`` claim is a US territory's code (``PR``):
    ``US-PR``, whether the region claim is absent, names the territory (``US-PR``, ``PR``,
    ``Puerto Rico``) or one of its own subdivisions (``UM-67``). Raises ClaimsError."""
    territory = f"US-{country}"
    if raw_region is None:
        return territory
    if isinstance(raw_region, str) and _SUBDIVISION.fullmatch(raw_region):
        owner = subdivisions().get(raw_region.upper())
        if owner == country:
            return territory
    if normalize_region(raw_region, "US") != territory:
        raise ClaimsError("region is not in the claimed country", code="region_mismatch")
    return territory


def normalize_region(value: object, country: str) -> str:
    """Return the ISO 3166-2 code of a region inside ``country``, or raise ClaimsError.

    ``country`` must already be normalized.
    """
    if not isinstance(value, str):
        raise ClaimsError("region claim must be a string", code="invalid_region")
    if country == "US":
        if not (_SUBDIVISION.fullmatch(value) or _NAME.fullmatch(value)):
            raise ClaimsError(
                "region claim has characters outside the contract", code="invalid_region"
            )
        code = us_aliases().get(value.lower())
        if code is None:
            if _SUBDIVISION.fullmatch(value) and value.upper() in subdivisions():
                raise ClaimsError("region is not in the claimed country", code="region_mismatch")
            raise ClaimsError("region claim is not a US state or territory", code="invalid_region")
        return code
    if not _SUBDIVISION.fullmatch(value):
        raise ClaimsError("region claim is not an ISO 3166-2 code", code="invalid_region")
    code = value.upper()
    owner = subdivisions().get(code)
    if owner is None:
        raise ClaimsError("region claim is not an ISO 3166-2 code", code="invalid_region")
    if owner != country:
        raise ClaimsError("region is not in the claimed country", code="region_mismatch")
    return code


def normalize_agency_region(value: object) -> str:
    """The government an agency belongs to: ``US`` (federal), an ISO 3166-2 code (``US-IL``),
    or another ISO 3166-1 country for a foreign national government; a US territory's own code
    (``PR``) becomes its US subdivision (``US-PR``). Codes only, never names or bare state
    codes: ``IL`` is Israel, not Illinois. Raises ClaimsError."""
    if not isinstance(value, str):
        raise ClaimsError("agency_region claim must be a string", code="invalid_agency_region")
    if _ALPHA2.fullmatch(value):
        code = value.upper()
        if code in US_TERRITORIES:
            return f"US-{code}"
        if code in known_countries():
            return code
    elif _SUBDIVISION.fullmatch(value):
        code = value.upper()
        owner = subdivisions().get(code)
        if owner in US_TERRITORIES:  # UM-67 (Johnston Atoll) is in US-UM
            return f"US-{owner}"
        if owner is not None:
            return code
    raise ClaimsError(
        "agency_region claim is not an ISO 3166-1 or 3166-2 code", code="invalid_agency_region"
    )
