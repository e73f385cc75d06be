"""``admissible(facts, at=...)``: may a crawler keep a photo with these provenance facts?

Evidence of place comes from the facts: the GPS point (placed by the bundled outlines, a
border buffer counting as inside), the platform's region tag, a rule territory named in the
uploader's free-text location, and the source URL's country-code domain. Any evidence that
puts the photo in a rule's territory while the rule is in force refuses it (fail closed:
conflicting evidence refuses). Only GPS or a region tag make provenance *known*: free text and
URLs can add a place but never prove a photo was taken elsewhere. Country-level evidence (a
``US`` tag, a point in a piece of Canada that no bundled province outline covers) refuses
under a rule that names a subdivision of that country, and says so in the signals; a rule that
names the place itself answers first. A GPS point
cannot rule out a territory that has no bundled outline, neither its own nor its country's
(an admin's rule for a place the data does not cover): for that rule the point counts as
unknown provenance (``gps:unmapped:<rule>``), so the rule's ``unknown`` decides.

``at`` is the collection instant: a rule applies while it is in force and, when it has a
collection window (the ``collected`` column), when ``at`` is inside that window.

The rules are the ``collected_in`` item rules (``rules.py``): by default the bundled packs',
as the default configuration enables them; ``rules=`` takes an ItemPolicy or a list of item
rules. A crawler on a configuration uses ``jurisgate.adapters.IngestCheck``, which calls this
with the item rules a gate would apply now (a policy store's included) and follows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from jurisgate.middleware.clock import SystemClock, parse_instant
from jurisgate.middleware.decision.values import Citation

from .facts import ProvenanceFacts, read_facts
from .geography import Boundaries, bundled_boundaries
from .rules import IngestRule, IngestRules, bundled_ingest_rules, ingest_rules

__all__ = ["Admissibility", "admissible"]

# Names of rule territories in free text; matched as whole words, case-insensitively.
_PLACE_NAMES: dict[str, tuple[str, ...]] = {
    "US-IL": ("illinois", "chicago"),
    "IT": ("italy", "italia"),
    "FR": ("france",),
    "GR": ("greece", "hellas", "ελλάδα"),
    "GB": ("united kingdom", "england", "scotland", "wales", "northern ireland", "uk"),
    "AU": ("australia",),
    "NL": ("netherlands", "nederland", "holland"),
    "CA-BC": ("british columbia",),
    "CA-AB": ("alberta",),
    "CA-QC": ("quebec", "québec"),
    "CA": ("canada",),
}
_NAME_PATTERNS = {
    code: re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)
    for code, names in _PLACE_NAMES.items()
}
_URL_DOMAINS = {"it": "IT", "fr": "FR", "gr": "GR", "uk": "GB", "au": "AU", "nl": "NL", "ca": "CA"}


@dataclass(frozen=True, slots=True)
class Admissibility:
    """The answer: ``rule`` is the refusing rule's id (``None`` when admissible)."""

    admissible: bool
    rule: str | None
    citation: Citation | None
    signals: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "admissible": self.admissible,
            "rule": self.rule,
            "citation": self.citation.as_dict() if self.citation else None,
            "signals": list(self.signals),
        }


def admissible(
    facts: Mapping[str, object] | ProvenanceFacts,
    *,
    at: float | datetime | str | None = None,
    rules: IngestRules | None = None,
    boundaries: Boundaries | None = None,
) -> Admissibility:
    """Decide at ``at`` (the collection instant; now when ``None``) under ``rules`` (an
    :class:`ItemPolicy` or item rules; ``None``: the bundled default). Bad facts raise
    ``ValueError`` naming the key."""
    known = read_facts(facts)
    instant = _epoch(at)
    in_force = bundled_ingest_rules() if rules is None else ingest_rules(rules)
    mapped = boundaries or bundled_boundaries()
    signals: list[str] = []
    places = _places(known, mapped, signals)
    provenance_known = known.gps is not None or known.region is not None
    if not provenance_known:
        signals.append("provenance:unknown")
    unknown_refusal: IngestRule | None = None
    country_level: tuple[IngestRule, str] | None = None
    for rule in in_force:
        if not rule.active(instant) or not rule.collected_within(instant):
            continue  # at ingest, ``at`` is the collection instant too
        matched = _match(rule, places)
        if matched == "":
            return Admissibility(False, rule.id, rule.citation, tuple(signals))
        if matched is not None:
            # Refuses too, but a later rule that names the very place answers first.
            country_level = country_level or (rule, matched)
            continue
        rule_known = known.region is not None or (known.gps is not None and _outlined(rule, mapped))
        if provenance_known and not rule_known:
            signals.append(f"gps:unmapped:{rule.id}")
        if not rule_known:
            if rule.unknown == "refuse":
                unknown_refusal = unknown_refusal or rule
            else:
                signals.append(f"unknown_admitted:{rule.id}")
    if country_level is not None:
        rule, country = country_level
        signals.append(f"country_level:{rule.id}:{country}")
        return Admissibility(False, rule.id, rule.citation, tuple(signals))
    if unknown_refusal is not None:
        return Admissibility(False, unknown_refusal.id, unknown_refusal.citation, tuple(signals))
    return Admissibility(True, None, None, tuple(signals))


def _epoch(at: float | datetime | str | None) -> float:
    if at is None:
        return SystemClock().now()
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("at: a datetime needs a time zone")
        return at.timestamp()
    if isinstance(at, str):
        return parse_instant(at)
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise TypeError(f"at must be epoch seconds, a datetime or an ISO string, not {at!r}")
    return float(at)


def _places(facts: ProvenanceFacts, boundaries: Boundaries, signals: list[str]) -> set[str]:
    places: set[str] = set()
    if facts.gps is not None:
        placement = boundaries.locate(*facts.gps)
        signals += [f"gps:inside:{code}" for code in placement.inside]
        signals += [f"gps:within_buffer:{code}" for code in placement.near]
        if not placement.codes:
            signals.append("gps:outside_mapped_territories")
        places.update(placement.codes)
    if facts.region is not None:
        signals.append(f"region:{facts.region}")
        places.add(facts.region)
    if facts.uploader_location is not None:
        named = [
            c for c, pattern in _NAME_PATTERNS.items() if pattern.search(facts.uploader_location)
        ]
        signals += [f"uploader_location:names:{code}" for code in named]
        if not named:
            signals.append("uploader_location:no_rule_territory_named")
        places.update(named)
    if facts.source_url is not None:
        host = urlsplit(facts.source_url).hostname or ""
        country = _URL_DOMAINS.get(host.rsplit(".", 1)[-1])
        if country is not None:
            signals.append(f"source_url:country_domain:{country}")
            places.add(country)
    if facts.taken_at is not None:
        signals.append("taken_at:given")
    return places


def _outlined(rule: IngestRule, boundaries: Boundaries) -> bool:
    """Whether a GPS point can rule the rule's territory out: each code (or its country, for
    the country-level over-block) has a bundled outline."""
    territories = boundaries.territories
    return all(code in territories or code.split("-", 1)[0] in territories for code in rule.where)


def _match(rule: IngestRule, places: set[str]) -> str | None:
    """``None``: no match; ``""``: a place lies in the rule's territory; a country code: only
    country-level evidence (that code) covers a subdivision the rule names (over-blocking)."""
    for where in sorted(rule.where):
        for place in places:
            if place == where or place.startswith(where + "-"):
                return ""
    for where in sorted(rule.where):
        country = where.split("-", 1)[0]
        if "-" in where and country in places:
            return country
    return None
