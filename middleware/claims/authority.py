"""Authority: what each trusted issuer may assert about its clients.

A state identity provider may vouch for its own agencies; it has no business asserting that a
client is a federal agency in another state. Each issuer can be limited to some entity types,
countries and ISO 3166-2 regions; a verified token whose normalized claims go beyond its
issuer's authority is refused (403, claims code ``beyond_issuer_authority``) and audited, as
if its claims were unusable. An issuer without limits may assert anything in the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ..errors import ClaimsError
from .principal import ENTITY_TYPES, Principal
from .regions import known_countries, subdivisions

__all__ = ["BEYOND_AUTHORITY", "IssuerAuthority", "check_authority"]

BEYOND_AUTHORITY: Final = "beyond_issuer_authority"


@dataclass(frozen=True, slots=True)
class IssuerAuthority:
    """Limits on one issuer's assertions; ``None`` means unlimited for that claim.

    Values are exact contract values: entity types from the claims contract, upper-case ISO
    3166-1 alpha-2 countries and upper-case ISO 3166-2 regions. A region limit also refuses
    tokens without a region, since such a client cannot be placed inside the allowed regions.
    """

    entity_types: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for name in ("entity_types", "countries", "regions"):
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

    @classmethod
    def limit(
        cls,
        *,
        entity_types: Iterable[str] | None = None,
        countries: Iterable[str] | None = None,
        regions: Iterable[str] | None = None,
    ) -> IssuerAuthority:
        """Build from any iterables (lists from a config file, say)."""

        def frozen(values: Iterable[str] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return cls(frozen(entity_types), frozen(countries), frozen(regions))

    @property
    def unlimited(self) -> bool:
        return self.entity_types is None and self.countries is None and self.regions is None

    def allows(self, principal: Principal) -> bool:
        if self.entity_types is not None and principal.entity_type not in self.entity_types:
            return False
        if self.countries is not None and principal.country not in self.countries:
            return False
        return self.regions is None or principal.region in self.regions


def check_authority(principal: Principal, authorities: Mapping[str, IssuerAuthority]) -> None:
    """Raise ClaimsError unless the principal's issuer may assert its claims.

    An issuer missing from ``authorities`` is unlimited (it was trusted without limits).
    """
    authority = authorities.get(principal.issuer)
    if authority is not None and not authority.allows(principal):
        raise ClaimsError(
            "the token claims more than its issuer is trusted to assert", code=BEYOND_AUTHORITY
        )
