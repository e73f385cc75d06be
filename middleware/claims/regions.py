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

import pycountry

from ..errors import ClaimsError

__all__ = [
    "known_countries",
    "normalize_country",
    "normalize_region",
    "subdivisions",
    "us_aliases",
]

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
