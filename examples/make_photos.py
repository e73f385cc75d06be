"""Draw the example index's photos: python -m examples.make_photos

Each entry gets a small JPEG of a cartoon face, its shapes and colours derived from the entry's
number, so no real person is shown and every run draws the same pictures. The files are
committed; this script only says how they were made (it needs Pillow, which the `matrix` extra
brings with matplotlib).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image, ImageDraw

PHOTOS = Path(__file__).parent / "photos"
SIZE = 96


def draw(number: int) -> Image.Image:
    seed = hashlib.sha256(f"face-{number:04d}".encode()).digest()
    background = (seed[0], seed[1], seed[2])
    skin = (150 + seed[3] % 100, 110 + seed[4] % 100, 80 + seed[5] % 100)
    image = Image.new("RGB", (SIZE, SIZE), background)
    pen = ImageDraw.Draw(image)
    width = 50 + seed[6] % 20
    height = 60 + seed[7] % 20
    left, top = (SIZE - width) // 2, (SIZE - height) // 2
    pen.ellipse((left, top, left + width, top + height), fill=skin, outline=(0, 0, 0))
    eye_y = top + height // 3
    for eye_x in (left + width // 3, left + 2 * width // 3):
        pen.ellipse((eye_x - 4, eye_y - 3, eye_x + 4, eye_y + 3), fill=(255, 255, 255))
        pen.ellipse((eye_x - 2, eye_y - 2, eye_x + 2, eye_y + 2), fill=(20, 20, 20))
    mouth_y = top + 2 * height // 3
    pen.arc(
        (left + width // 4, mouth_y - 8, left + 3 * width // 4, mouth_y + 8),
        20,
        160,
        fill=(120, 20, 20),
        width=2,
    )
    pen.text((4, SIZE - 14), f"{number:04d}", fill=(255, 255, 255))
    return image


def main(count: int = 40) -> None:
    PHOTOS.mkdir(exist_ok=True)
    for number in range(count):
        draw(number).save(PHOTOS / f"face-{number:04d}.jpg", "JPEG", quality=80, optimize=True)


if __name__ == "__main__":
    main()
