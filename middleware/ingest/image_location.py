"""Provenance facts read from image bytes: EXIF GPS, and the IPTC/XMP location fields.

Pillow (``jurisgate[ingest]``) reads the EXIF GPS IFD and the IPTC IIM record itself; its
``getxmp`` parses XMP through defusedxml, which refuses XML entity tricks (billion laughs,
external entities) that a crawled file may carry. Both are well kept, and Pillow is already
used by the ``matrix`` extra's matplotlib. The place names of IPTC/XMP (city, state,
country) are free text written by whoever made the file: they become ``uploader_location``,
which can name a rule territory but never proves a photo was taken elsewhere.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["ImageLocation", "read_image_location"]

_MAX_IMAGE_BYTES = 64 * 1024 * 1024
# IPTC IIM record 2: sub-location, city, province/state, country code, country name.
_IPTC_PLACE = ((2, 92), (2, 90), (2, 95), (2, 100), (2, 101))
_XMP_PLACE = ("Sublocation", "City", "State", "ProvinceState", "CountryCode", "Country")


@dataclass(frozen=True, slots=True)
class ImageLocation:
    """``gps`` (lat, lon) from EXIF; ``place`` the IPTC/XMP place names, joined."""

    gps: tuple[float, float] | None
    place: str | None

    def facts(self) -> dict[str, object]:
        """The provenance facts ``admissible`` reads."""
        found: dict[str, object] = {}
        if self.gps is not None:
            found["gps"] = [self.gps[0], self.gps[1]]
        if self.place is not None:
            found["uploader_location"] = self.place
        return found


def read_image_location(data: bytes) -> ImageLocation:
    """Read the location an image file carries. ``ValueError`` when the file cannot be read
    or its GPS is malformed (a crawler must not mistake a broken tag for no tag)."""
    try:
        from PIL import ExifTags, Image, IptcImagePlugin, UnidentifiedImageError
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError("reading image locations needs `pip install jurisgate[ingest]`") from exc
    if len(data) > _MAX_IMAGE_BYTES:
        raise ValueError(f"image: larger than {_MAX_IMAGE_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            gps_ifd = dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
            xmp = image.getxmp() if "xmp" in image.info or "XML:com.adobe.xmp" in image.info else {}
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"image: not readable ({exc})") from exc
    names = [_iptc_text(iptc.get(key)) for key in _IPTC_PLACE]
    names += _xmp_places(xmp)
    place = ", ".join(dict.fromkeys(name for name in names if name)) or None
    return ImageLocation(_gps(gps_ifd), place[:2048] if place else None)


def _gps(ifd: dict[int, Any]) -> tuple[float, float] | None:
    if 2 not in ifd and 4 not in ifd:  # GPSLatitude, GPSLongitude
        return None
    try:
        lat = _degrees(ifd[2], ifd.get(1, "N"), "NS")
        lon = _degrees(ifd[4], ifd.get(3, "E"), "EW")
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"image: EXIF GPS malformed ({exc!r})") from exc
    if abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"image: EXIF GPS out of range ({lat}, {lon})")
    return lat, lon


def _degrees(value: Any, ref: Any, refs: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    total = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(total):
        raise ValueError("not finite")
    side = ref.decode("ascii") if isinstance(ref, bytes) else str(ref)
    side = side.strip("\x00 ").upper()
    if side not in refs:
        raise ValueError(f"reference {side!r} is not one of {refs}")
    return -total if side == refs[1] else total


def _iptc_text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip() or None
    return None


def _xmp_places(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _XMP_PLACE and isinstance(value, str) and value.strip():
                found.append(value.strip())
            else:
                found += _xmp_places(value)
    elif isinstance(node, list):
        for item in node:
            found += _xmp_places(item)
    return found
