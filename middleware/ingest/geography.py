"""Offline geography: which bundled territory a GPS point is in, or near.

Point-in-polygon decides (inside a polygon's outer ring and none of its holes), never a
nearest city. A territory with a ``buffer_km`` also claims the points within that distance of its
boundary: near a border we fail closed on purpose, and the buffer covers the error of the
simplified outlines. Pure Python on purpose: ~20k vertices in all, checked only where a ring's
bounding box is near the point, is fast enough without shapely's compiled dependency.
The data file and where it comes from: ``data/README.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["Boundaries", "Placement", "Territory", "bundled_boundaries"]

_KM_PER_DEGREE = 111.195  # mean Earth radius 6371.0 km


_CHUNK = 32  # vertices per chunk: a lookup skips the chunks whose box cannot matter


@dataclass(frozen=True, slots=True)
class _Ring:
    coords: tuple[float, ...]  # lon, lat, lon, lat, ...; first point repeated at the end
    west: float
    south: float
    east: float
    north: float
    # (west, south, east, north, first, last): flat indices of a run of edges and its box
    chunks: tuple[tuple[float, float, float, float, int, int], ...]


@dataclass(frozen=True, slots=True)
class _Polygon:
    outer: _Ring
    holes: tuple[_Ring, ...]

    def contains(self, lat: float, lon: float) -> bool:
        ring = self.outer
        if not (ring.south <= lat <= ring.north and ring.west <= lon <= ring.east):
            return False
        if not _ring_contains(ring, lon, lat):
            return False
        return not any(_ring_contains(hole, lon, lat) for hole in self.holes)


@dataclass(frozen=True, slots=True)
class Territory:
    """One bundled outline: an ISO 3166-1 country or ISO 3166-2 subdivision."""

    code: str
    name: str
    buffer_km: float
    polygons: tuple[_Polygon, ...]
    box: tuple[float, float, float, float]  # west, south, east, north of every outer ring

    def contains(self, lat: float, lon: float) -> bool:
        west, south, east, north = self.box
        if not (south <= lat <= north and west <= lon <= east):
            return False
        return any(polygon.contains(lat, lon) for polygon in self.polygons)

    def within_buffer(self, lat: float, lon: float) -> bool:
        """True when the point is at most ``buffer_km`` from the outline."""
        if self.buffer_km <= 0:
            return False
        margin_lat = self.buffer_km / _KM_PER_DEGREE
        margin_lon = margin_lat / max(math.cos(math.radians(lat)), 0.01)
        west, south, east, north = self.box
        if not (
            south - margin_lat <= lat <= north + margin_lat
            and west - margin_lon <= lon <= east + margin_lon
        ):
            return False
        for ring in (r for p in self.polygons for r in (p.outer, *p.holes)):
            if (
                ring.south - margin_lat <= lat <= ring.north + margin_lat
                and ring.west - margin_lon <= lon <= ring.east + margin_lon
                and _ring_distance_km(ring, lon, lat, margin_lat, margin_lon) <= self.buffer_km
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a point is: the territories it lies in, and those whose buffer claims it."""

    inside: tuple[str, ...]
    near: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return self.inside + self.near


class Boundaries:
    """The bundled territories, looked up by point."""

    def __init__(self, territories: dict[str, Territory], sources: tuple[str, ...]) -> None:
        self.territories = territories
        self.sources = sources

    def locate(self, lat: float, lon: float) -> Placement:
        inside: list[str] = []
        near: list[str] = []
        for code, territory in self.territories.items():
            if territory.contains(lat, lon):
                inside.append(code)
            elif territory.within_buffer(lat, lon):
                near.append(code)
        return Placement(tuple(inside), tuple(near))


@lru_cache(maxsize=1)
def bundled_boundaries() -> Boundaries:
    """The outlines shipped in ``jurisgate.middleware.ingest/data`` (read once)."""
    text = (resources.files(__package__) / "data" / "boundaries.json").read_text("utf-8")
    document = json.loads(text)
    if document.get("format") != 2:
        raise ValueError("boundaries.json: unknown format (expected 2)")
    territories = {code: _territory(code, entry) for code, entry in document["territories"].items()}
    return Boundaries(territories, tuple(document["sources"]))


def _territory(code: str, entry: dict[str, Any]) -> Territory:
    polygons = tuple(
        _Polygon(_ring(rings[0]), tuple(_ring(hole) for hole in rings[1:]))
        for rings in entry["polygons"]
    )
    outers = [polygon.outer for polygon in polygons]
    box = (
        min(r.west for r in outers),
        min(r.south for r in outers),
        max(r.east for r in outers),
        max(r.north for r in outers),
    )
    return Territory(code, str(entry["name"]), float(entry["buffer_km"]), polygons, box)


def _ring(coords: list[float]) -> _Ring:
    lons, lats = coords[0::2], coords[1::2]
    chunks = []
    for first in range(0, len(coords) - 2, 2 * _CHUNK):
        last = min(first + 2 * _CHUNK, len(coords) - 2)  # the chunk's last edge ends here
        xs, ys = coords[first : last + 1 : 2], coords[first + 1 : last + 2 : 2]
        chunks.append((min(xs), min(ys), max(xs), max(ys), first, last))
    return _Ring(tuple(coords), min(lons), min(lats), max(lons), max(lats), tuple(chunks))


def _ring_contains(ring: _Ring, x: float, y: float) -> bool:
    """Even-odd ray casting towards +x; a chunk that does not straddle y has no crossing."""
    coords, inside = ring.coords, False
    for _, south, east, north, first, last in ring.chunks:
        if not (south <= y <= north) or east < x:
            continue
        x1, y1 = coords[first], coords[first + 1]
        for i in range(first + 2, last + 2, 2):
            x2, y2 = coords[i], coords[i + 1]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
            x1, y1 = x2, y2
    return inside


def _ring_distance_km(
    ring: _Ring, lon: float, lat: float, margin_lat: float, margin_lon: float
) -> float:
    """Shortest distance from the point to the edges of the chunks within the margin, on a
    local flat projection (equirectangular around the point: well under 1% over a few km);
    ``inf`` when no chunk is that close."""
    coords = ring.coords
    scale_x = math.cos(math.radians(lat)) * _KM_PER_DEGREE
    best = math.inf
    for west, south, east, north, first, last in ring.chunks:
        if not (
            south - margin_lat <= lat <= north + margin_lat
            and west - margin_lon <= lon <= east + margin_lon
        ):
            continue
        ax, ay = (coords[first] - lon) * scale_x, (coords[first + 1] - lat) * _KM_PER_DEGREE
        for i in range(first + 2, last + 2, 2):
            bx, by = (coords[i] - lon) * scale_x, (coords[i + 1] - lat) * _KM_PER_DEGREE
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
            px, py = ax + t * dx, ay + t * dy
            best = min(best, px * px + py * py)
            ax, ay = bx, by
    return math.sqrt(best)
