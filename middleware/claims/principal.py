"""The normalized client: who signed for it, what it is, and where it is.

The identity provider asserts three jurisdiction claims (the claims contract in README.md):
``entity_type``, ``country`` and ``region``. Anything we cannot read with certainty is a
ClaimsError (answered 403): a US client without a region cannot be proven to be outside
Illinois, so it is not served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from ..errors import ClaimsError
from .regions import normalize_country, normalize_region

__all__ = [
    "ANONYMOUS",
    "ENTITY_TYPES",
    "ENTITY_TYPE_ORDER",
    "EntityType",
    "Principal",
    "principal_from_claims",
]

EntityType = Literal[
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
    "private_company",
    "individual",
    "foreign_government",
    "foreign_law_enforcement",
]
# In the contract's order (government first): for tables and reports.
ENTITY_TYPE_ORDER: Final[tuple[str, ...]] = get_args(EntityType)
ENTITY_TYPES: Final[frozenset[str]] = frozenset(ENTITY_TYPE_ORDER)

# The entity type the policy sees for a request without a token. Policy wildcards never match
# it: a public path must name it explicitly.
ANONYMOUS: Final = "anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """A client whose token verified and whose claims normalized."""

    issuer: str
    subject: str
    entity_type: str
    country: str
    region: str | None

    def policy_view(self) -> tuple[str, str, str]:
        """The attributes the policy can see (and so the only ones a cached decision depends on)."""
        return (self.entity_type, self.country, self.region or "")

    def as_dict(self) -> dict[str, str | None]:
        return {
            "issuer": self.issuer,
            "subject": self.subject,
            "entity_type": self.entity_type,
            "country": self.country,
            "region": self.region,
        }


def principal_from_claims(issuer: str, subject: str, claims: Mapping[str, object]) -> Principal:
    """Normalize the jurisdiction claims of a verified token, or raise ClaimsError."""
    entity_type = claims.get("entity_type")
    if entity_type is None:
        raise ClaimsError("entity_type claim is missing", code="missing_entity_type")
    if not isinstance(entity_type, str) or entity_type not in ENTITY_TYPES:
        raise ClaimsError("entity_type claim is not in the contract", code="invalid_entity_type")

    raw_country = claims.get("country")
    if raw_country is None:
        raise ClaimsError("country claim is missing", code="missing_country")
    country = normalize_country(raw_country)

    raw_region = claims.get("region")
    if raw_region is None:
        if country == "US":
            raise ClaimsError("a US client must name its region", code="missing_region")
        region = None
    else:
        region = normalize_region(raw_region, country)
    return Principal(issuer, subject, entity_type, country, region)
