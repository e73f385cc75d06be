"""EXIF GPS and XMP place read from real JPEG files that the test writes with Pillow."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pytest
from PIL import ExifTags, Image

from jurisgate.middleware import admissible
from jurisgate.middleware.ingest import read_image_location

XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 photoshop:City="Chicago" photoshop:State="Illinois" photoshop:Country="United States"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def jpeg(gps: Mapping[int, object] | None = None, xmp: bytes | None = None) -> bytes:
    image = Image.new("RGB", (16, 16), "white")
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = dict(gps)
    out = io.BytesIO()
    extra: dict[str, object] = {"xmp": xmp} if xmp is not None else {}
    image.save(out, "JPEG", exif=exif, **extra)
    return out.getvalue()


NAVY_PIER: dict[int, object] = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (41.0, 53.0, 29.76),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (87.0, 35.0, 56.04),
}


def test_exif_gps_is_read_and_decides() -> None:
    location = read_image_location(jpeg(NAVY_PIER))
    assert location.gps == pytest.approx((41.8916, -87.5989), abs=1e-4)
    assert location.place is None
    answer = admissible(location.facts(), at="2026-11-26")
    assert answer.rule == "il-photos-five-years"


def test_southern_and_eastern_references() -> None:
    sydney: dict[int, object] = {1: "S", 2: (33.0, 52.0, 7.68), 3: "E", 4: (151.0, 12.0, 33.48)}
    location = read_image_location(jpeg(sydney))
    assert location.gps == pytest.approx((-33.8688, 151.2093), abs=1e-4)


def test_no_location_is_no_facts() -> None:
    location = read_image_location(jpeg())
    assert location.gps is None
    assert location.place is None
    assert location.facts() == {}


def test_xmp_place_becomes_free_text() -> None:
    location = read_image_location(jpeg(xmp=XMP))
    assert location.place == "Chicago, Illinois, United States"
    answer = admissible(location.facts(), at="2026-11-26")
    assert "uploader_location:names:US-IL" in answer.signals


@pytest.mark.parametrize(
    "gps",
    [
        {1: "X", 2: (41.0, 0.0, 0.0), 3: "W", 4: (87.0, 0.0, 0.0)},  # bad reference
        {1: "N", 2: (95.0, 0.0, 0.0), 3: "W", 4: (87.0, 0.0, 0.0)},  # out of range
        {1: "N", 2: (41.0, 0.0, 0.0), 3: "W"},  # a latitude without a longitude
    ],
)
def test_malformed_gps_is_an_error_not_unknown(gps: dict[int, object]) -> None:
    with pytest.raises(ValueError, match=r"^image: EXIF GPS"):
        read_image_location(jpeg(gps))


def test_not_an_image() -> None:
    with pytest.raises(ValueError, match=r"^image: not readable"):
        read_image_location(b"GIF89a but not really")


def with_iptc(data: bytes, fields: dict[int, bytes]) -> bytes:
    """Insert an APP13 Photoshop segment carrying IPTC IIM record 2 (Pillow cannot write one)."""
    iim = b"".join(
        b"\x1c\x02" + bytes([dataset]) + len(value).to_bytes(2, "big") + value
        for dataset, value in fields.items()
    )
    if len(iim) % 2:
        iim += b"\x00"
    resource = b"8BIM\x04\x04\x00\x00" + len(iim).to_bytes(4, "big") + iim
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload
    assert data[:2] == b"\xff\xd8"
    return data[:2] + segment + data[2:]


def test_iptc_place_becomes_free_text() -> None:
    photo = with_iptc(jpeg(), {90: b"Montr\xc3\xa9al", 95: b"Qu\xc3\xa9bec", 100: b"CAN"})
    location = read_image_location(photo)
    assert location.place == "Montréal, Québec, CAN"
    answer = admissible(location.facts(), at="2026-11-26")
    assert "uploader_location:names:CA-QC" in answer.signals
    # A named rule territory is the reason given, ahead of unknown provenance (no GPS, no tag).
    assert answer.rule == "ca-qc-cai-2021"
    assert "provenance:unknown" in answer.signals
