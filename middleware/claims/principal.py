"""The normalized client: who signed for it, what it is, where it is, for whom and in what
capacity it acts.

The identity provider asserts the jurisdiction claims of the claims contract in README.md:
``entity_type``, ``country`` and ``region``; ``agency_region`` (the government an agency or a
contractor's agency belongs to), ``agency_type`` (a contractor's agency) and ``capacity``
(``agency.py`` reads those three). Anything we cannot read with certainty is a ClaimsError
(answered 403): a US client without a region cannot be proven to be outside Illinois, so it is
not served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from ..errors import ClaimsError
from .agency import agency_claims
from .entity_types import (
    ANONYMOUS,
    CONTRACTOR,
    ENTITY_TYPE_ORDER,
    ENTITY_TYPES,
    FEDERAL_TYPES,
    FOREIGN_TYPES,
    GOVERNMENT_TYPES,
    STATE_LOCAL_TYPES,
    Capacity,
    EntityType,
)
from .regions import US_TERRITORIES, normalize_country, normalize_region, territory_region

__all__ = [
    "ANONYMOUS",
    "ANONYMOUS_VIEW",
    "CONTRACTOR",
    "ENTITY_TYPES",
    "ENTITY_TYPE_ORDER",
    "FEDERAL_TYPES",
    "FOREIGN_TYPES",
    "GOVERNMENT_TYPES",
    "STATE_LOCAL_TYPES",
    "EntityType",
    "PolicyView",
    "Principal",
    "principal_from_claims",
    "require_utf8",
]


class PolicyView(NamedTuple):
    """What the policy sees of a client, in the model's request order (and so everything a
    cached decision depends on). ``entity`` is ``individual`` for anyone acting in personal
    capacity; ``agency_type`` is the agency's entity type (the client's own for a government
    client, its agency's for a contractor); empty strings where a claim does not apply."""

    entity: str
    country: str
    region: str
    agency_type: str = ""
    agency_region: str = ""
    capacity: str = "official"


ANONYMOUS_VIEW: Final = PolicyView(ANONYMOUS, "", "", "", "", "")


@dataclass(frozen=True, slots=True)
class Principal:
    """A client whose token verified and whose claims normalized."""

    issuer: str
    subject: str
    entity_type: str
    country: str
    region: str | None
    agency_type: str | None = None  # a contractor's agency; None for everyone else
    agency_region: str | None = None
    capacity: Capacity = "official"

    def policy_view(self) -> PolicyView:
        """The attributes the policy can see (and so the only ones a cached decision depends on)."""
        entity = self.entity_type
        agency_type = entity if entity in GOVERNMENT_TYPES else (self.agency_type or "")
        return PolicyView(
            "individual" if self.capacity == "personal" else entity,
            self.country,
            self.region or "",
            agency_type,
            self.agency_region or "",
            self.capacity,
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "issuer": self.issuer,
            "subject": self.subject,
            "entity_type": self.entity_type,
            "country": self.country,
            "region": self.region,
            "agency_type": self.agency_type,
            "agency_region": self.agency_region,
            "capacity": self.capacity,
        }


def require_utf8(claims: Mapping[str, object]) -> None:
    """Raise ClaimsError (``invalid_claims``) if any claim name or string value, at any
    depth, cannot be encoded as UTF-8: JSON's ``\\ud800`` escape gives a lone surrogate,
    which no log, hash or header can carry. Iterative: the depth is the token's to choose."""
    pending: list[object] = [claims]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            strings: list[str] = [value]
        elif isinstance(value, Mapping):
            strings = [name for name in value if isinstance(name, str)]
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
            continue
        else:
            continue
        for text in strings:
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise ClaimsError("a claim is not valid UTF-8", code="invalid_claims") from None


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
    region: str | None
    if country in US_TERRITORIES:  # PR, GU, ...: in the US, so the nationwide rules reach them
        region = territory_region(country, raw_region)
        country = "US"
    elif raw_region is None:
        if country == "US":
            raise ClaimsError("a US client must name its region", code="missing_region")
        region = None
    else:
        region = normalize_region(raw_region, country)
    agency_type, agency_region, capacity = agency_claims(entity_type, claims)
    return Principal(
        issuer, subject, entity_type, country, region, agency_type, agency_region, capacity
    )
