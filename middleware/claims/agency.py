"""Whose agency, on whose behalf, in what capacity: the ``agency_region``, ``agency_type`` and
``capacity`` claims.

The consent decree bans Illinois agencies *and their contractors* wherever they are, and treats
a government employee who is not acting in an official capacity as a private individual, so a
client's location alone does not decide. Which claims are required follows from who can prove
what: a state or local agency must name its government (``US-IL``), since without it an
Illinois officer travelling to Indiana could not be told apart from an Indiana one; a federal
agency's government is ``US`` when absent; a contractor must name both the agency type and the
government it works for, or it could pass for a federal contractor. Claims that do not apply
to the entity type are refused rather than ignored, as are values outside the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..errors import ClaimsError
from .entity_types import (
    CONTRACTOR,
    FEDERAL_TYPES,
    FOREIGN_TYPES,
    GOVERNMENT_TYPES,
    STATE_LOCAL_TYPES,
    Capacity,
)
from .regions import normalize_agency_region

__all__ = ["CAPACITIES", "agency_claims"]

CAPACITIES: Final[tuple[Capacity, ...]] = ("official", "personal")


def agency_claims(
    entity_type: str, claims: Mapping[str, object]
) -> tuple[str | None, str | None, Capacity]:
    """(agency_type, agency_region, capacity) for a client of ``entity_type`` (already valid),
    or raise ClaimsError."""
    agency_type = _agency_type(entity_type, claims.get("agency_type"))
    agency = entity_type if entity_type in GOVERNMENT_TYPES else agency_type
    region = _agency_region(agency, claims.get("agency_region"), contractor=agency_type is not None)
    return agency_type, region, _capacity(claims)


def _agency_type(entity_type: str, raw: object) -> str | None:
    if entity_type != CONTRACTOR:
        if raw is not None:
            raise ClaimsError(
                "agency_type applies to government_contractor only", code="invalid_agency_type"
            )
        return None
    if raw is None:
        raise ClaimsError("a contractor must name its agency's type", code="missing_agency_type")
    if not isinstance(raw, str) or raw not in GOVERNMENT_TYPES:
        raise ClaimsError(
            "agency_type claim is not a government entity type", code="invalid_agency_type"
        )
    return raw


def _agency_region(agency: str | None, raw: object, *, contractor: bool) -> str | None:
    """``agency`` is the entity type of the agency (the client's own, or its contractor's)."""
    if agency is None:
        if raw is not None:
            raise ClaimsError(
                "agency_region applies to government types and contractors only",
                code="invalid_agency_region",
            )
        return None
    if raw is None:
        if agency in FOREIGN_TYPES and not contractor:
            return None
        if agency in FEDERAL_TYPES and not contractor:
            return "US"
        raise ClaimsError("the client must name its agency's region", code="missing_agency_region")
    code = normalize_agency_region(raw)
    if agency in FEDERAL_TYPES:
        fits = code == "US"
    elif agency in STATE_LOCAL_TYPES:
        fits = code.startswith("US-")
    else:
        fits = code != "US" and not code.startswith("US-")
    if not fits:
        raise ClaimsError(
            "agency_region does not belong to the agency's type", code="agency_region_mismatch"
        )
    return code


def _capacity(claims: Mapping[str, object]) -> Capacity:
    raw = claims.get("capacity")
    if raw is None:
        return "official"
    if raw == "official":
        return "official"
    if raw == "personal":
        return "personal"
    raise ClaimsError("capacity claim must be 'official' or 'personal'", code="invalid_capacity")
