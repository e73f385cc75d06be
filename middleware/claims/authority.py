"""Authority: what each trusted issuer may assert about its clients.

A state identity provider may vouch for its own agencies; it has no business asserting that a
client is a federal agency in another state. Each issuer can be limited to some entity types,
countries and ISO 3166-2 regions, and to some agency regions (the government its clients'
agencies belong to: an agency's own identity provider pins one, ``US-IL``); a verified token
whose normalized claims go beyond its issuer's authority is refused (403, claims code
``beyond_issuer_authority``) and audited, as if its claims were unusable. An issuer without
limits may assert anything in the contract.

An issuer can also pin one agency region (``agency_region``): an agency's own identity provider
speaks for that agency only, so its tokens need not say so. A token without the claim gets the
pinned value (for entity types the claim applies to); a token naming another is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ..errors import ClaimsError
from .entity_types import CONTRACTOR, GOVERNMENT_TYPES
from .principal import ENTITY_TYPES, Principal, principal_from_claims, require_utf8
from .regions import US_TERRITORIES, known_countries, subdivisions

__all__ = ["BEYOND_AUTHORITY", "IssuerAuthority", "check_authority", "client_from_claims"]

BEYOND_AUTHORITY: Final = "beyond_issuer_authority"


@dataclass(frozen=True, slots=True)
class IssuerAuthority:
    """Limits on one issuer's assertions; ``None`` means unlimited for that claim.

    Values are exact contract values: entity types from the claims contract, upper-case ISO
    3166-1 alpha-2 countries and upper-case ISO 3166-2 regions; agency regions are ``US``, ISO
    3166-2 codes or other countries, as normalized (``US-PR``, not ``PR``). A region limit also
    refuses tokens without a region, since such a client cannot be placed inside the allowed
    regions; an agency-region limit likewise refuses clients without an agency region.
    """

    entity_types: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    agency_regions: frozenset[str] | None = None
    agency_region: str | None = None  # pinned: the one agency region the issuer speaks for

    def __post_init__(self) -> None:
        for name in ("entity_types", "countries", "regions", "agency_regions"):
            values = getattr(self, name)
            if values is not None and (
                not isinstance(values, frozenset)
                or not values
                or not all(isinstance(v, str) for v in values)
            ):
                raise ValueError(f"{name} must be a non-empty set of strings or None")
        if self.entity_types is not None:
            unknown = sorted(self.entity_types - ENTITY_TYPES)
            if unknown:
                raise ValueError(f"entity_types: {unknown[0]!r} is not in the claims contract")
        if self.countries is not None:
            unknown = sorted(self.countries - known_countries())
            if unknown:
                raise ValueError(f"countries: {unknown[0]!r} is not an ISO 3166-1 alpha-2 code")
        if self.regions is not None:
            owners = subdivisions()
            unknown = sorted(r for r in self.regions if r not in owners)
            if unknown:
                raise ValueError(f"regions: {unknown[0]!r} is not an ISO 3166-2 code")
            if self.countries is not None:
                outside = sorted(r for r in self.regions if owners[r] not in self.countries)
                if outside:
                    raise ValueError(f"regions: {outside[0]!r} is outside the issuer's countries")
        if self.agency_regions is not None:
            known = known_countries() - US_TERRITORIES
            unknown = sorted(
                r for r in self.agency_regions if r not in known and r not in subdivisions()
            )
            if unknown:
                raise ValueError(
                    f"agency_regions: {unknown[0]!r} is not 'US', an ISO 3166-2 code or a "
                    "country (US territories are US-PR, US-GU, ...)"
                )
        pinned = self.agency_region
        if pinned is not None:
            if not isinstance(pinned, str) or (
                pinned not in known_countries() - US_TERRITORIES and pinned not in subdivisions()
            ):
                raise ValueError(
                    f"agency_region: {pinned!r} is not 'US', an ISO 3166-2 code or a country"
                )
            if self.agency_regions is not None and pinned not in self.agency_regions:
                raise ValueError(f"agency_region: {pinned!r} is outside agency_regions")

    @classmethod
    def limit(
        cls,
        *,
        entity_types: Iterable[str] | None = None,
        countries: Iterable[str] | None = None,
        regions: Iterable[str] | None = None,
        agency_regions: Iterable[str] | None = None,
        agency_region: str | None = None,
    ) -> IssuerAuthority:
        """Build from any iterables (lists from a config file, say)."""

        def frozen(values: Iterable[str] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return cls(
            frozen(entity_types),
            frozen(countries),
            frozen(regions),
            frozen(agency_regions),
            agency_region,
        )

    @property
    def unlimited(self) -> bool:
        return (
            self.entity_types is None
            and self.countries is None
            and self.regions is None
            and self.agency_regions is None
            and self.agency_region is None
        )

    def allows(self, principal: Principal) -> bool:
        if self.entity_types is not None and principal.entity_type not in self.entity_types:
            return False
        if self.countries is not None and principal.country not in self.countries:
            return False
        if self.regions is not None and principal.region not in self.regions:
            return False
        pinned = self.agency_region
        if pinned is not None and principal.agency_region not in (None, pinned):
            return False
        return self.agency_regions is None or principal.agency_region in self.agency_regions

    def pin(self, claims: Mapping[str, object]) -> Mapping[str, object]:
        """The claims with the pinned agency region filled in where the token leaves it out."""
        pinned = self.agency_region
        if pinned is None or claims.get("agency_region") is not None:
            return claims
        entity = claims.get("entity_type")
        if not isinstance(entity, str) or (entity != CONTRACTOR and entity not in GOVERNMENT_TYPES):
            return claims  # private clients have no agency; a bad entity_type fails later
        return {**claims, "agency_region": pinned}


def client_from_claims(
    issuer: str,
    subject: str,
    claims: Mapping[str, object],
    authorities: Mapping[str, IssuerAuthority],
) -> Principal:
    """The normalized client of a verified token, as its issuer may vouch for it, from claims
    under their own names: ``mapping.read_principal``, which the gate and the admin tools call,
    calls this once the issuer's claim mapping has been applied. Raises ClaimsError
    (``invalid_claims`` first for a claim that is not UTF-8, wherever it is)."""
    require_utf8(claims)
    authority = authorities.get(issuer)
    if authority is not None:
        claims = authority.pin(claims)
    principal = principal_from_claims(issuer, subject, claims)
    check_authority(principal, authorities)
    return principal


def check_authority(principal: Principal, authorities: Mapping[str, IssuerAuthority]) -> None:
    """Raise ClaimsError unless the principal's issuer may assert its claims.

    An issuer missing from ``authorities`` is unlimited (it was trusted without limits).
    """
    authority = authorities.get(principal.issuer)
    if authority is not None and not authority.allows(principal):
        raise ClaimsError(
            "the token claims more than its issuer is trusted to assert", code=BEYOND_AUTHORITY
        )
