"""What the ingest check costs per photo (issue 16 sets no target; this records the figure).

``admissible`` on GPS facts at the issue's fixtures: deep inside a territory, on the water,
inside Illinois' border buffer, and outside every bundled outline. Also the one-time load of
the bundled boundary file. Run: ``.venv/bin/python benchmarks/ingest_lookup.py``.
"""

from __future__ import annotations

import statistics
import timeit
from typing import Any

from jurisgate.middleware.ingest import admissible, bundled_boundaries

POINTS = {
    "chicago": [41.8781, -87.6298],
    "navy_pier": [41.8916, -87.5989],
    "hammond_in_buffer": [41.5834, -87.5000],
    "beloit_wi_buffer": [42.5083, -89.0318],
    "windsor_on": [42.3149, -83.0364],
    "montreal_qc": [45.5017, -73.5673],
    "ottawa_on_qc_buffer": [45.4215, -75.6972],
    "paris": [48.8566, 2.3522],
    "kyiv": [50.4501, 30.5234],
}
AT = 1_790_000_000.0  # 2026-09: every bundled rule in force


def measure(repeat: int = 7, number: int = 500) -> dict[str, Any]:
    bundled_boundaries.cache_clear()
    load_ms = timeit.timeit(bundled_boundaries, number=1) * 1e3
    result: dict[str, Any] = {"load_ms": round(load_ms, 1)}
    for name, gps in POINTS.items():
        facts = {"gps": gps}
        times = timeit.repeat(lambda f=facts: admissible(f, at=AT), number=number, repeat=repeat)
        result[f"{name}_us"] = round(statistics.median(times) / number * 1e6, 1)
    return result


if __name__ == "__main__":
    print(measure())
