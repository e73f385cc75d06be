"""The ingest check for crawlers: may a photo with these provenance facts be kept?

``admissible(facts, at=..., rules=...)`` applies the ingest rules (``rules.py``: the
``collected_in`` item rules of ``jurisgate.middleware.results``, one source for both) to a
photo's provenance facts (``facts.py``), placing GPS points with the bundled boundary data
(``geography.py``, ``data/``). ``image_location.py`` reads the facts from image bytes (extra
``jurisgate[ingest]``).
May import ``jurisgate.middleware`` core modules (clock, decision values, results' item
rules), never adapters.
"""

from .admissible import Admissibility, admissible
from .facts import ProvenanceFacts, read_facts
from .geography import Boundaries, Placement, bundled_boundaries
from .image_location import ImageLocation, read_image_location
from .rules import IngestRule, IngestRules, bundled_ingest_rules, ingest_rules

__all__ = [
    "Admissibility",
    "Boundaries",
    "ImageLocation",
    "IngestRule",
    "IngestRules",
    "Placement",
    "ProvenanceFacts",
    "admissible",
    "bundled_boundaries",
    "bundled_ingest_rules",
    "ingest_rules",
    "read_facts",
    "read_image_location",
]
