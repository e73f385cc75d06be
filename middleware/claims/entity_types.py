"""The entity types of the claims contract, and the groups the decree's clauses turn on."""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "ANONYMOUS",
    "CONTRACTOR",
    "ENTITY_TYPES",
    "ENTITY_TYPE_ORDER",
    "FEDERAL_TYPES",
    "FOREIGN_TYPES",
    "GOVERNMENT_TYPES",
    "STATE_LOCAL_TYPES",
    "Capacity",
    "EntityType",
]

EntityType = Literal[
    "federal_agency",
    "federal_law_enforcement",
    "state_agency",
    "state_law_enforcement",
    "local_agency",
    "local_law_enforcement",
    "government_contractor",
    "private_company",
    "individual",
    "foreign_government",
    "foreign_law_enforcement",
]
# In the contract's order (government first): for tables and reports.
ENTITY_TYPE_ORDER: Final[tuple[str, ...]] = get_args(EntityType)
ENTITY_TYPES: Final[frozenset[str]] = frozenset(ENTITY_TYPE_ORDER)
FEDERAL_TYPES: Final = frozenset({"federal_agency", "federal_law_enforcement"})
STATE_LOCAL_TYPES: Final = frozenset(
    {"state_agency", "state_law_enforcement", "local_agency", "local_law_enforcement"}
)
FOREIGN_TYPES: Final = frozenset({"foreign_government", "foreign_law_enforcement"})
GOVERNMENT_TYPES: Final = FEDERAL_TYPES | STATE_LOCAL_TYPES | FOREIGN_TYPES
CONTRACTOR: Final = "government_contractor"

# The entity type the policy sees for a request without a token. Policy wildcards never match
# it: a public path must name it explicitly.
ANONYMOUS: Final = "anonymous"

Capacity = Literal["official", "personal"]
