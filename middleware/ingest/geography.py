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

__all__ = ["Boundaries", "Placement", "Territory", "bundled_boundaries"]

_KM_PER_DEGREE = 111.195  # mean Earth radius 6371.0 km


@dataclass(frozen=True, slots=True)
class _Ring:
    coords: tuple[float, ...]  # lon, lat, lon, lat, ...; first point repeated at the end
    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, slots=True)
class _Polygon:
    outer: _Ring
    holes: tuple[_Ring, ...]

    def contains(self, lat: float, lon: float) -> bool:
        ring = self.outer
        if not (ring.south <= lat <= ring.north and ring.west <= lon <= ring.east):
            return False
        if not _ring_contains(ring.coords, lon, lat):
            return False
        return not any(_ring_contains(hole.coords, lon, lat) for hole in self.holes)


@dataclass(frozen=True, slots=True)
class Territory:
    """One bundled outline: an ISO 3166-1 country or ISO 3166-2 subdivision."""

    code: str
    name: str
    buffer_km: float
    polygons: tuple[_Polygon, ...]

    def contains(self, lat: float, lon: float) -> bool:
        return any(polygon.contains(lat, lon) for polygon in self.polygons)

    def within_buffer(self, lat: float, lon: float) -> bool:
        """True when the point is at most ``buffer_km`` from the outline."""
        if self.buffer_km <= 0:
            return False
        margin_lat = self.buffer_km / _KM_PER_DEGREE
        margin_lon = margin_lat / max(math.cos(math.radians(lat)), 0.01)
        for ring in (r for p in self.polygons for r in (p.outer, *p.holes)):
            if (
                ring.south - margin_lat <= lat <= ring.north + margin_lat
                and ring.west - margin_lon <= lon <= ring.east + margin_lon
                and _ring_distance_km(ring.coords, lon, lat) <= self.buffer_km
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
    territories = {
        code: Territory(
            code,
            str(entry["name"]),
            float(entry["buffer_km"]),
            tuple(
                _Polygon(_ring(rings[0]), tuple(_ring(hole) for hole in rings[1:]))
                for rings in entry["polygons"]
            ),
        )
        for code, entry in document["territories"].items()
    }
    return Boundaries(territories, tuple(document["sources"]))


def _ring(coords: list[float]) -> _Ring:
    lons, lats = coords[0::2], coords[1::2]
    return _Ring(tuple(coords), min(lons), min(lats), max(lons), max(lats))


def _ring_contains(coords: tuple[float, ...], x: float, y: float) -> bool:
    """Even-odd ray casting towards +x."""
    inside = False
    x1, y1 = coords[0], coords[1]
    for i in range(2, len(coords), 2):
        x2, y2 = coords[i], coords[i + 1]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def _ring_distance_km(coords: tuple[float, ...], lon: float, lat: float) -> float:
    """Shortest distance from the point to the ring's edges, on a local flat projection
    (equirectangular around the point: good to well under 1% over a few km)."""
    scale_x = math.cos(math.radians(lat)) * _KM_PER_DEGREE
    best = math.inf
    ax, ay = (coords[0] - lon) * scale_x, (coords[1] - lat) * _KM_PER_DEGREE
    for i in range(2, len(coords), 2):
        bx, by = (coords[i] - lon) * scale_x, (coords[i + 1] - lat) * _KM_PER_DEGREE
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        px, py = ax + t * dx, ay + t * dy
        best = min(best, px * px + py * py)
        ax, ay = bx, by
    return math.sqrt(best)
