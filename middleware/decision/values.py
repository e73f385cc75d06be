"""Values that describe a rule and the decision it produced."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Citation", "Decision", "Effect", "Rule", "refusal"]

Effect = Literal["allow", "deny"]


@dataclass(frozen=True, slots=True)
class Citation:
    """The law, order or agreement a rule enforces."""

    text: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "url": self.url}


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy row, parsed and validated; ``source`` is ``file:line`` for admins."""

    id: str
    effect: Effect
    entity_types: str
    country: str
    region: str
    path: str
    methods: str
    start: float  # -inf when open
    end: float  # +inf when open
    citation: Citation | None
    source: str = field(default="", compare=False)
    # Whose agency and in what capacity; '*' (any) in a model without these columns.
    agency_type: str = "*"
    agency_region: str = "*"
    capacity: str = "*"

    def client_patterns(self) -> tuple[tuple[str, str], ...]:
        """(request field, this rule's pattern) for every client attribute, in model order."""
        return (
            ("entity", self.entity_types),
            ("country", self.country),
            ("region", self.region),
            ("agency_type", self.agency_type),
            ("agency_region", self.agency_region),
            ("capacity", self.capacity),
        )

    def active_at(self, at: float) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy said for one request at one instant, and over which span that holds.

    ``valid_from`` is the last instant at or before the decision at which any rule started or
    ended (``-inf`` if none), ``valid_until`` the next one (``inf`` if none): a cached decision
    is served only inside that span, so neither a clock that runs ahead on another replica nor a
    clock stepped back can carry a decision across a rule's start or end.
    """

    effect: Effect
    status: int
    rule: str | None
    citation: Citation | None
    policy_version: str
    valid_until: float = math.inf
    valid_from: float = -math.inf

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"

    def holds_at(self, at: float) -> bool:
        return self.valid_from <= at < self.valid_until

    def as_dict(self) -> dict[str, object]:
        return {
            "effect": self.effect,
            "status": self.status,
            "rule": self.rule,
            "citation": self.citation.as_dict() if self.citation else None,
            "policy_version": self.policy_version,
            "valid_until": None if math.isinf(self.valid_until) else self.valid_until,
            "valid_from": None if math.isinf(self.valid_from) else self.valid_from,
        }


def refusal(
    policy_version: str, valid_until: float = math.inf, valid_from: float = -math.inf
) -> Decision:
    """A denial that no rule made: no rule allows the request, the claims are unusable, the
    policy failed to evaluate, or the request could not be recorded. 403, no rule, no citation."""
    return Decision("deny", 403, None, None, policy_version, valid_until, valid_from)
