"""Where each issuer puts the jurisdiction claims: a table keyed by claim name.

Most identity providers cannot emit top-level custom claims: Auth0 requires namespaced ones
(``https://example.gov/entity_type``), Keycloak mappers nest them (``address.region``). An
``[[issuers]]`` entry may say where each claim of the contract is found::

    claims = { entity_type = "https://example.gov/entity_type", region = ["address", "region"] }

A string names one top-level claim, whatever characters it holds; a list of strings is a path
into nested JSON objects; a claim not named keeps its default name. A mapped claim is read
only where the mapping says: a top-level claim of the default name is then ignored, so a
user-editable attribute cannot stand in for the mapped one. The value found is normalized as
any other (principal.py): one string of the closed vocabulary; an array, even of one element,
is refused. A path that runs into a missing member or a non-object reads as a missing claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from .authority import IssuerAuthority, client_from_claims
from .principal import Principal

__all__ = ["MAPPABLE_CLAIMS", "ClaimMapping", "ClaimPath", "read_principal"]

# The claims an issuer may relocate, by the name principal.py reads them under. A claim the
# contract adds is mappable once its name is listed here.
MAPPABLE_CLAIMS: Final[tuple[str, ...]] = (
    "entity_type",
    "country",
    "region",
    "agency_type",
    "agency_region",
    "capacity",
)

# Member names from the token's top level down; one name is a top-level claim.
ClaimPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    """claim name -> where the issuer's tokens carry it. Empty: every claim at its own name."""

    # Not hashed (a mapping is not hashable), still compared: equal mappings hash alike.
    paths: Mapping[str, ClaimPath] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # A read-only copy: the caller's dict changing later must not move a claim.
        object.__setattr__(self, "paths", MappingProxyType(dict(self.paths)))
        for name, path in self.paths.items():
            if name not in MAPPABLE_CLAIMS:
                known = ", ".join(MAPPABLE_CLAIMS)
                raise ValueError(f"{name!r} is not a claim that can be mapped ({known})")
            if (
                not isinstance(path, tuple)
                or not path
                or not all(isinstance(part, str) and part for part in path)
            ):
                raise ValueError(f"{name}: a claim path is one or more non-empty member names")

    @classmethod
    def from_config(cls, value: object) -> ClaimMapping:
        """From a config table: name -> a string (top-level claim) or a list of strings (a
        path). Raises ValueError naming the claim (``claims.region: ...``)."""
        if not isinstance(value, dict):
            raise ValueError("claims must be a table of claim name = claim name or path")
        paths: dict[str, ClaimPath] = {}
        for name, where in value.items():
            if name not in MAPPABLE_CLAIMS:
                known = ", ".join(MAPPABLE_CLAIMS)
                raise ValueError(f"claims.{name}: not a claim that can be mapped ({known})")
            if isinstance(where, str):
                path: ClaimPath = (where,)
            elif isinstance(where, list) and all(isinstance(part, str) for part in where):
                path = tuple(where)
            else:
                raise ValueError(f"claims.{name}: must be a claim name or a list of names")
            if not path or not all(path):
                raise ValueError(f"claims.{name}: empty claim name or path")
            paths[name] = path
        return cls(paths)

    @property
    def identity(self) -> bool:
        return not self.paths

    def apply(self, claims: Mapping[str, object]) -> Mapping[str, object]:
        """The claims as principal.py reads them: each mapped claim under its default name,
        or absent when the token does not carry it where the mapping says."""
        if not self.paths:
            return claims
        mapped = dict(claims)
        for name, path in self.paths.items():
            value = _follow(claims, path)
            if value is None:
                mapped.pop(name, None)
            else:
                mapped[name] = value
        return mapped


def read_principal(
    issuer: str,
    subject: str,
    claims: Mapping[str, object],
    *,
    mappings: Mapping[str, ClaimMapping] | None = None,
    authorities: Mapping[str, IssuerAuthority] | None = None,
) -> Principal:
    """A verified token's client, read where its issuer's mapping says, then as its issuer may
    vouch for it (``client_from_claims``: a pinned agency region filled in, the authority
    checked); issuers missing from either table use the default names and are unlimited. The
    gate and the admin tools (``explain``, ``test``, ``token mint``) all call this. Raises
    ClaimsError."""
    mapping = mappings.get(issuer) if mappings else None
    if mapping is not None:
        claims = mapping.apply(claims)
    return client_from_claims(issuer, subject, claims, authorities or {})


def _follow(claims: Mapping[str, object], path: ClaimPath) -> object | None:
    node: object = claims
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node
