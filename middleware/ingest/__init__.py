"""The ingest check for crawlers: may a photo with these provenance facts be kept?

``admissible(facts, at=...)`` applies the ingest rules (``rules.py``) to a photo's provenance
facts (``facts.py``), placing GPS points with the bundled boundary data (``geography.py``,
``data/``). ``image_location.py`` reads the facts from image bytes (extra ``jurisgate[ingest]``).
May import ``jurisgate.middleware`` core modules (clock, decision values), never adapters.
"""

from .admissible import Admissibility, admissible
from .facts import ProvenanceFacts, read_facts
from .geography import Boundaries, Placement, bundled_boundaries
from .image_location import ImageLocation, read_image_location
from .rules import BUNDLED_INGEST_RULES, IngestRule

__all__ = [
    "BUNDLED_INGEST_RULES",
    "Admissibility",
    "Boundaries",
    "ImageLocation",
    "IngestRule",
    "Placement",
    "ProvenanceFacts",
    "admissible",
    "bundled_boundaries",
    "read_facts",
    "read_image_location",
]
