"""The client classes of a policy's input space (policy_space.py): who, where, for whom.

Locations are every region a rule names, one "any other region" per country a rule names (US
always), "no region" for non-US countries and one "any other country". Who is every entity type
with every agency region a rule names and one "any other" per kind of government (a contractor
once per agency type), each in official and personal capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jurisgate.middleware.claims.agency import CAPACITIES
from jurisgate.middleware.claims.entity_types import (
    ANONYMOUS,
    CONTRACTOR,
    ENTITY_TYPE_ORDER,
    FEDERAL_TYPES,
    GOVERNMENT_TYPES,
    STATE_LOCAL_TYPES,
    Capacity,
)
from jurisgate.middleware.claims.principal import PolicyView, Principal
from jurisgate.middleware.claims.regions import US_TERRITORIES, known_countries, subdivisions
from jurisgate.middleware.decision.matchers import alternatives
from jurisgate.middleware.decision.values import Rule

__all__ = ["Client", "clients", "named_values"]


@dataclass(frozen=True, slots=True)
class Client:
    """A class of clients, with one representative of each attribute: ``entity`` is the claimed
    entity type, ``country``/``region`` where they are (``label`` names the location class,
    ``regions`` lists every ISO region in it, empty for "no region"), ``agency_type`` a
    contractor's agency, ``agency_region`` its government (``agency_label`` names that class)."""

    entity: str
    country: str
    region: str
    label: str
    regions: tuple[str, ...] = ()
    agency_type: str = ""
    agency_region: str = ""
    agency_label: str = ""
    capacity: Capacity = "official"

    @property
    def view(self) -> PolicyView:
        """What the policy sees, computed as the gate computes it from claims."""
        if self.entity == ANONYMOUS:
            return PolicyView(ANONYMOUS, "", "", "", "", "")
        principal = Principal(
            "", "", self.entity, self.country, self.region or None,
            self.agency_type or None, self.agency_region or None, self.capacity,
        )  # fmt: skip
        return principal.policy_view()

    def who(self) -> str:
        """``state_law_enforcement of US-IL``, ``government_contractor for federal_agency of US
        (personal capacity)``: the client apart from its location."""
        who = self.entity
        if self.agency_type:
            who += f" for {self.agency_type}"
        if self.agency_label:
            who += f" of {self.agency_label}"
        return who + (" (personal capacity)" if self.capacity == "personal" else "")

    def describe(self) -> str:
        return self.entity if self.entity == ANONYMOUS else f"{self.who()} in {self.label}"


def named_values(rules: Sequence[Rule], attribute: str) -> set[str]:
    names: set[str] = set()
    for rule in rules:
        pattern = getattr(rule, attribute)
        if pattern != "*":
            names |= alternatives(pattern)
    return names


def clients(rules: Sequence[Rule], us_regions_each: bool) -> tuple[Client, ...]:
    owner = subdivisions()
    named_regions = named_values(rules, "region") & owner.keys()
    countries = (named_values(rules, "country") & known_countries()) | {
        owner[region] for region in named_regions
    }
    countries.discard("US")
    locations: list[tuple[str, str, str, tuple[str, ...]]] = []
    for country in ["US", *sorted(countries)]:
        inside = sorted(code for code, c in owner.items() if c == country)
        named = [code for code in inside if code in named_regions]
        others = [code for code in inside if code not in named_regions]
        if country == "US" and us_regions_each:
            locations += [(country, code, code, (code,)) for code in inside]
            continue
        locations += [(country, code, code, (code,)) for code in named]
        if others:
            label = f"{country} (any other region)" if named else f"{country} (any region)"
            locations.append((country, others[0], label, tuple(others)))
        if country != "US":
            locations.append((country, "", f"{country} (no region)", ()))
    unnamed = sorted(known_countries() - countries - {"US"})
    locations.append((unnamed[0], "", "any other country", ()))

    clients = [
        Client(entity, country, region, label, members, agency_type, agency, agency_label, capacity)
        for entity, agency_type, agency, agency_label in _agencies(rules)
        for capacity in CAPACITIES
        for country, region, label, members in locations
    ]
    clients.append(Client(ANONYMOUS, "", "", "no token"))
    return tuple(clients)


def _agencies(rules: Sequence[Rule]) -> list[tuple[str, str, str, str]]:
    """(entity type, contractor's agency type, agency region, its label) for every entity type,
    in the contract's order."""
    named = named_values(rules, "agency_region")
    us_named = sorted(code for code in named if code.startswith("US-"))
    us_other = next(
        code for code in sorted(subdivisions()) if code.startswith("US-") and code not in named
    )
    foreign_named = sorted(code for code in named if code != "US" and not code.startswith("US-"))
    foreign_other = next(
        code for code in sorted(known_countries() - US_TERRITORIES - {"US"}) if code not in named
    )

    def regions(agency: str, *, contractor: bool) -> list[tuple[str, str]]:
        if agency in FEDERAL_TYPES:
            return [("US", "US")]
        if agency in STATE_LOCAL_TYPES:
            return [*((code, code) for code in us_named), (us_other, "another US state")]
        found = [] if contractor else [("", "")]  # optional for foreign ones
        return [
            *found,
            *((code, code) for code in foreign_named),
            (foreign_other, "another country"),
        ]

    agencies: list[tuple[str, str, str, str]] = []
    for entity in ENTITY_TYPE_ORDER:
        if entity in GOVERNMENT_TYPES:
            agencies += [
                (entity, "", code, label) for code, label in regions(entity, contractor=False)
            ]
        elif entity == CONTRACTOR:
            agencies += [
                (entity, agency, code, label)
                for agency in ENTITY_TYPE_ORDER
                if agency in GOVERNMENT_TYPES
                for code, label in regions(agency, contractor=True)
            ]
        else:
            agencies.append((entity, "", "", ""))
    return agencies
