"""Draws the app's icons (PNG, committed under static/icons): `python -m causeway.api.webapp.icons`.

Basalt columns seen from above, the hexagons of the Giant's Causeway, on the app's colour.
Maskable icons keep the motif inside the central 80% safe zone.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).parent / "static" / "icons"
BACKGROUND = (14, 90, 102)
COLUMN = (236, 244, 243)
SHADE = (168, 205, 204)


def _hexagon(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    return [(cx + r * math.cos(math.radians(60 * i + 30)), cy + r * math.sin(math.radians(60 * i + 30)))
            for i in range(6)]


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    img = Image.new("RGB", (big, big), BACKGROUND)
    d = ImageDraw.Draw(img)
    extent = big * (0.62 if maskable else 0.78)
    r = extent / 5.2
    w = math.sqrt(3) * r
    centres = [(0, -1.5 * r), (-w / 2, 0), (w / 2, 0), (-w, 1.5 * r), (0, 1.5 * r), (w, 1.5 * r)]
    for i, (x, y) in enumerate(centres):  # a pyramid of six columns, centred
        d.polygon(_hexagon(big / 2 + x, big / 2 + y - 0.05 * r, r * 0.9), fill=SHADE if i in (1, 5) else COLUMN)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw(180, maskable=False).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
