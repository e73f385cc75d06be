"""What the suppression check adds to a search answer (issue #15's target: at most 2 us for an
answer of 20 results, in-process, and no Redis round trip).

The check a route that lists people makes: one freshness test (``current()``, which reads the
clock) and a set look-up per result. Measured against the same answer built without it, on a
list of 100,000 suppressed ids (a set look-up does not grow with the set).
"""

from __future__ import annotations

import asyncio
import statistics
import timeit
from typing import Any

from jurisgate.middleware.subjects import SuppressionChange, SuppressionSync


class _Registry:
    """A registry that has already answered: the benchmark times the request path only."""

    def __init__(self, suppressed: int) -> None:
        self.changes = [
            SuppressionChange(n + 1, "entry", f"face-{n:07d}", True) for n in range(suppressed)
        ]

    async def changes_since(self, seq: int, *, limit: int) -> tuple[list[SuppressionChange], int]:
        found = [c for c in self.changes if c.seq > seq][:limit]
        return found, len(self.changes)


def measure(results: int = 20, suppressed: int = 100_000, repeat: int = 9) -> dict[str, Any]:
    sync = SuppressionSync(_Registry(suppressed), max_staleness=3600)  # type: ignore[arg-type]
    asyncio.run(sync.sync_once())
    answer = [
        {"id": f"face-{n:07d}" if n % 5 else f"kept-{n}", "name": "x"} for n in range(results)
    ]

    def without() -> list[dict[str, str]]:
        return [item for item in answer if item["name"]]

    def with_check() -> list[dict[str, str]]:
        suppressed_now = sync.current()
        return [item for item in answer if item["name"] and item["id"] not in suppressed_now]

    number = 20_000
    plain = [t / number * 1e6 for t in timeit.repeat(without, number=number, repeat=repeat)]
    checked = [t / number * 1e6 for t in timeit.repeat(with_check, number=number, repeat=repeat)]
    added = statistics.median(c - p for c, p in zip(checked, plain, strict=True))
    return {
        "results": results,
        "suppressed": suppressed,
        "answer_without_us": round(statistics.median(plain), 3),
        "answer_with_check_us": round(statistics.median(checked), 3),
        "added_us": round(added, 3),
        "redis_round_trips": 0,  # the check reads memory only: SuppressionSync has no Redis
    }


if __name__ == "__main__":
    print(measure())
