"""The ingest rules: which photos a crawler may not keep, where and when.

A rule is small on purpose (id, territories, period, citation, what unknown provenance means)
so that it can later be read from the policy pack's item rows (``p2``) instead of this table.
Until then the table restates, on purpose and with the same ids, dates and citations, the
bundled packs' item rules (``clearview_settlement`` and ``foreign_orders``).

Unknown provenance: every bundled rule says ``refuse``. A crawler that cannot say where a
photo was taken or uploaded cannot show that it is outside Illinois or a regulator's
territory, and the orders put that burden on the collector: refusing is the fail-closed
reading. ``admit`` exists for admins who decide otherwise for a rule of their own; the
answer records the unknown provenance as a signal either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from jurisgate.middleware.clock import parse_instant
from jurisgate.middleware.decision.values import Citation

__all__ = ["BUNDLED_INGEST_RULES", "IngestRule", "Unknown"]

Unknown = Literal["admit", "refuse"]


@dataclass(frozen=True, slots=True)
class IngestRule:
    """A photo placed in ``where`` (ISO 3166-1 countries or ISO 3166-2 subdivisions) may not
    be kept while the rule is in force: ``start`` inclusive, ``end`` exclusive (epoch s)."""

    id: str
    where: frozenset[str]
    start: float
    end: float
    citation: Citation
    unknown: Unknown = "refuse"

    def in_force(self, at: float) -> bool:
        return self.start <= at < self.end

    def __post_init__(self) -> None:
        if not self.where:
            raise ValueError(f"ingest rule {self.id!r}: where is empty")
        if self.start >= self.end:
            raise ValueError(f"ingest rule {self.id!r}: its period ends before it starts")
        if self.unknown not in ("admit", "refuse"):
            raise ValueError(f"ingest rule {self.id!r}: unknown must be 'admit' or 'refuse'")


def _rule(
    rule_id: str, where: Sequence[str], start: str, end: str, text: str, url: str
) -> IngestRule:
    return IngestRule(
        rule_id,
        frozenset(where),
        parse_instant(start),
        parse_instant(end) if end else math.inf,
        Citation(text, url),
    )


_CLEARVIEW = (
    "ACLU v. Clearview AI, Inc., No. 2020-CH-04353 (Ill. Cir. Ct. Cook Cnty.), consent order of "
    "2022-05-11: for five years, filter out photos taken in or uploaded from Illinois"
)

# Restated from policies/clearview_settlement/policy.csv and policies/foreign_orders/items.csv
# (the filter's p2 rows); the pack's README says where each date comes from.
BUNDLED_INGEST_RULES: tuple[IngestRule, ...] = (
    _rule(
        "il-photos-five-years",
        ["US-IL"],
        "2022-05-11",
        "2027-05-11T05:00:00Z",  # midnight starting 2027-05-11 in Chicago, as the client rules
        _CLEARVIEW,
        "https://www.aclu.org/cases/aclu-v-clearview-ai",
    ),
    _rule(
        "it-garante-2022",
        ["IT"],
        "2022-02-10",
        "",
        "Garante per la protezione dei dati personali, ordinanza ingiunzione nei confronti di "
        "Clearview AI, 10 February 2022 [doc. web n. 9751362]",
        "https://www.garanteprivacy.it/web/guest/home/docweb/-/docweb-display/docweb/9751362",
    ),
    _rule(
        "fr-cnil-2021",
        ["FR"],
        "2021-11-26",
        "",
        "CNIL, formal notice to Clearview AI of 26 November 2021, then deliberation "
        "SAN-2022-019 of 17 October 2022",
        "https://www.legifrance.gouv.fr/cnil/id/CNILTEXT000046444859",
    ),
    _rule(
        "gr-hdpa-2022",
        ["GR"],
        "2022-07-13",
        "",
        "Hellenic Data Protection Authority, decision 35/2022 of 13 July 2022",
        "https://gdprhub.eu/index.php?title=HDPA_(Greece)_-_35/2022",
    ),
    _rule(
        "uk-ico-2022",
        ["GB"],
        "2022-05-18",
        "",
        "Information Commissioner's Office, monetary penalty notice and enforcement notice to "
        "Clearview AI Inc, 18 May 2022",
        "https://ico.org.uk/action-weve-taken/enforcement/clearview-ai-inc-en/",
    ),
    _rule(
        "au-oaic-2021",
        ["AU"],
        "2021-10-14",
        "",
        "Commissioner initiated investigation into Clearview AI, Inc. (Privacy) [2021] AICmr 54 "
        "(14 October 2021)",
        "https://www.austlii.edu.au/cgi-bin/viewdoc/au/cases/cth/AICmr/2021/54.html",
    ),
    _rule(
        "ca-bc-oipc-2021",
        ["CA-BC"],
        "2021-12-14",
        "",
        "Information and Privacy Commissioner for British Columbia, Order P21-08 of "
        "14 December 2021",
        "https://www.oipc.bc.ca/",
    ),
    _rule(
        "ca-ab-oipc-2021",
        ["CA-AB"],
        "2021-12-14",
        "",
        "Office of the Information and Privacy Commissioner of Alberta, Order P2021-12 of "
        "14 December 2021",
        "https://oipc.ab.ca/",
    ),
    _rule(
        "ca-qc-cai-2021",
        ["CA-QC"],
        "2021-12-14",
        "",
        "Commission d'acces a l'information du Quebec, decision 1023158-S of 14 December 2021",
        "https://www.cai.gouv.qc.ca/",
    ),
    _rule(
        "nl-ap-2024",
        ["NL"],
        "2024-09-03",
        "",
        "Autoriteit Persoonsgegevens, besluit tot opleggen boetes en lasten onder dwangsom, "
        "Clearview AI Inc., published 3 September 2024",
        "https://autoriteitpersoonsgegevens.nl/system/files?file=2024-09/"
        "Besluit%20boete%20en%20lasten%20onder%20dwangsom%20Clearview.pdf",
    ),
)
