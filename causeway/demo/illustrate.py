"""Placeholder pictures for the demo, drawn with Pillow: honest illustrations, never photos.

We have no licensed photographs of the demo's attractions, so the demo's virtual visits
show drawings that say what they are: every picture carries the word "Illustration" in
large type and the line "Generated illustration, not a photograph", and the media record's
alt text and credit say the same (see ``causeway.demo.media``).

A drawing is a stylised scene chosen by the attraction's categories (sea and cliffs for the
coast, basalt columns for geology, a keep for a castle, a portico for a museum, trees for
a garden, ...) under a sky whose colours, hills and sun come from a seed derived from the
attraction's stable id: the same attraction always gets the same picture (same bytes for a
given Pillow version), which is what keeps ``causeway demo load`` idempotent.

:func:`panorama` draws an equirectangular 2:1 scene whose left and right edges meet (every
shape is periodic in longitude), labelled at four compass points.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

IMAGE_SIZE = (1600, 1067)
PANORAMA_SIZE = (2048, 1024)
LABEL = "Illustration"
DISCLAIMER = "Generated illustration, not a photograph"
JPEG_QUALITY = 88

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Scene:
    """What the categories say to draw."""

    sea: bool  # coast: water to the horizon
    columns: bool  # geology: hexagonal basalt columns in front
    building: str | None  # castle, portico, tower, house, hall, temple, bridge
    trees: bool
    hills: bool


def scene_for(name: str, categories: Sequence[str]) -> Scene:
    cats = set(categories)
    lower = name.lower()
    building: str | None = None
    if "bridge" in lower:
        building = "bridge"
    elif "temple" in lower:
        building = "temple"
    elif "tower" in lower or "round tower" in lower or "pyramid" in lower:
        building = "tower"
    elif "castle" in cats or "castle" in lower or "fort" in lower:
        building = "castle"
    elif cats & {"museum", "gallery"}:
        building = "portico"
    elif cats & {"religious"} or any(w in lower for w in ("abbey", "cathedral", "church", "priory")):
        building = "church"
    elif cats & {"food", "drink", "shopping", "music", "transport"}:
        building = "hall"
    elif cats & {"architecture"} or any(w in lower for w in ("house", "hall", "demesne")):
        building = "house"
    geology = "causeway" in lower or "geology" in cats
    sea = bool(cats & {"coast"}) or geology or any(
        w in lower for w in ("harbour", "bay", "head", "island", "strand", "beach", "point"))
    trees = bool(cats & {"garden", "walking", "family"}) or any(
        w in lower for w in ("forest", "park", "garden", "hedges", "wood", "glen"))
    return Scene(sea=sea, columns=geology, building=building, trees=trees,
                 hills=not sea or bool(cats & {"nature", "viewpoint", "walking"}))


def _rng(key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


_SKIES: list[tuple[RGB, RGB]] = [
    ((74, 120, 178), (206, 224, 236)),   # clear
    ((98, 118, 150), (222, 214, 200)),   # soft evening
    ((60, 86, 130), (244, 196, 150)),    # sunset
    ((128, 146, 166), (220, 226, 230)),  # overcast
]


def _gradient(width: int, height: int, top: RGB, bottom: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, height)[:, None]
    rows = np.array(top)[None, :] * (1 - t) + np.array(bottom)[None, :] * t
    arr = np.broadcast_to(rows[:, None, :], (height, width, 3)).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


def _ridge(rng: random.Random, width: int, base: float, amp: float, periodic: bool) -> list[float]:
    """A smooth skyline: a sum of sines (whole numbers of periods when ``periodic``)."""
    terms = []
    for _ in range(4):
        freq = rng.randint(1, 6) if periodic else rng.uniform(0.5, 4.0)
        terms.append((freq, rng.uniform(0, 2 * math.pi), rng.uniform(0.3, 1.0)))
    total = sum(w for _, _, w in terms)
    out = []
    for x in range(width + 1):
        u = x / width * 2 * math.pi
        out.append(base - amp * sum(w * math.sin(f * u + p) for f, p, w in terms) / total)
    return out


def _fill_below(draw: ImageDraw.ImageDraw, ys: list[float], bottom: int, colour: RGB, step: int = 4) -> None:
    width = len(ys) - 1
    pts = [(x, ys[x]) for x in range(0, width + 1, step)]
    if pts[-1][0] != width:
        pts.append((width, ys[width]))
    draw.polygon([*pts, (width, bottom), (0, bottom)], fill=colour)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _castle(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    w, h = 260 * s, 170 * s
    d.rectangle([x - w / 2, ground - h, x + w / 2, ground], fill=c)
    for tx in (x - w / 2 - 20 * s, x + w / 2 - 40 * s):  # two towers
        d.rectangle([tx, ground - h * 1.45, tx + 60 * s, ground], fill=c)
        for k in range(3):
            d.rectangle([tx + k * 22 * s, ground - h * 1.45 - 14 * s, tx + k * 22 * s + 14 * s,
                         ground - h * 1.45], fill=c)
    for k in range(6):  # battlements
        bx = x - w / 2 + 40 * s + k * 32 * s
        d.rectangle([bx, ground - h - 14 * s, bx + 16 * s, ground - h], fill=c)
    dark = _mix(c, (0, 0, 0), 0.45)
    d.rectangle([x - 18 * s, ground - 60 * s, x + 18 * s, ground], fill=dark)
    d.pieslice([x - 18 * s, ground - 78 * s, x + 18 * s, ground - 42 * s], 180, 360, fill=dark)


def _portico(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    w, h = 340 * s, 150 * s
    d.rectangle([x - w / 2, ground - 14 * s, x + w / 2, ground], fill=c)
    d.polygon([(x - w / 2 - 10 * s, ground - h), (x + w / 2 + 10 * s, ground - h), (x, ground - h - 70 * s)],
              fill=c)
    d.rectangle([x - w / 2, ground - h - 4 * s, x + w / 2, ground - h + 14 * s], fill=c)
    for k in range(6):
        cx = x - w / 2 + 20 * s + k * (w - 40 * s) / 5
        d.rectangle([cx - 11 * s, ground - h + 14 * s, cx + 11 * s, ground - 14 * s], fill=c)


def _tower(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    d.polygon([(x - 45 * s, ground), (x + 45 * s, ground), (x + 36 * s, ground - 240 * s),
               (x - 36 * s, ground - 240 * s)], fill=c)
    for k in range(4):
        d.rectangle([x - 40 * s + k * 22 * s, ground - 258 * s, x - 28 * s + k * 22 * s, ground - 240 * s], fill=c)


def _temple(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    r = 70 * s
    d.rectangle([x - r - 10 * s, ground - 16 * s, x + r + 10 * s, ground], fill=c)
    for k in range(5):
        cx = x - r + k * r / 2
        d.rectangle([cx - 7 * s, ground - 120 * s, cx + 7 * s, ground - 16 * s], fill=c)
    d.rectangle([x - r - 6 * s, ground - 134 * s, x + r + 6 * s, ground - 118 * s], fill=c)
    d.pieslice([x - r, ground - 134 * s - r * 0.9, x + r, ground - 134 * s + r * 0.9], 180, 360, fill=c)


def _church(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    d.rectangle([x - 120 * s, ground - 110 * s, x + 60 * s, ground], fill=c)
    d.polygon([(x - 130 * s, ground - 110 * s), (x + 70 * s, ground - 110 * s), (x - 30 * s, ground - 170 * s)],
              fill=c)
    d.rectangle([x + 60 * s, ground - 220 * s, x + 120 * s, ground], fill=c)
    d.polygon([(x + 56 * s, ground - 220 * s), (x + 124 * s, ground - 220 * s), (x + 90 * s, ground - 300 * s)],
              fill=c)


def _hall(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    d.rectangle([x - 170 * s, ground - 120 * s, x + 170 * s, ground], fill=c)
    for k in range(4):  # saw-tooth roof
        bx = x - 170 * s + k * 85 * s
        d.polygon([(bx, ground - 120 * s), (bx + 85 * s, ground - 120 * s), (bx + 85 * s, ground - 175 * s)], fill=c)
    d.rectangle([x + 110 * s, ground - 230 * s, x + 140 * s, ground - 120 * s], fill=c)  # chimney
    light = _mix(c, (255, 220, 150), 0.6)
    for k in range(5):
        wx = x - 150 * s + k * 66 * s
        d.rectangle([wx, ground - 80 * s, wx + 30 * s, ground - 40 * s], fill=light)


def _house(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    d.rectangle([x - 190 * s, ground - 130 * s, x + 190 * s, ground], fill=c)
    d.polygon([(x - 200 * s, ground - 130 * s), (x + 200 * s, ground - 130 * s), (x + 150 * s, ground - 185 * s),
               (x - 150 * s, ground - 185 * s)], fill=c)
    light = _mix(c, (240, 230, 200), 0.55)
    for row in (0, 1):
        for k in range(7):
            wx = x - 170 * s + k * 52 * s
            d.rectangle([wx, ground - 115 * s + row * 55 * s, wx + 22 * s, ground - 80 * s + row * 55 * s],
                        fill=light)


def _bridge(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    left, right = x - 260 * s, x + 260 * s
    d.rectangle([left - 80 * s, ground - 160 * s, left, ground], fill=c)  # two headlands
    d.rectangle([right, ground - 140 * s, right + 80 * s, ground], fill=c)
    for sag, width in ((40, 4), (0, 3)):
        pts = [(left + (right - left) * t / 20,
                ground - 160 * s + 20 * s * (t / 20) + (sag + 30) * s * math.sin(math.pi * t / 20))
               for t in range(21)]
        d.line(pts, fill=c, width=max(1, round(width * s)))


_BUILDINGS: dict[str, Callable[[ImageDraw.ImageDraw, float, float, float, RGB], None]] = {
    "castle": _castle, "portico": _portico, "tower": _tower, "temple": _temple, "church": _church,
    "hall": _hall, "house": _house, "bridge": _bridge,
}


def _columns(d: ImageDraw.ImageDraw, x0: float, x1: float, top: float, bottom: float, rng: random.Random) -> None:
    """Hexagonal basalt column tops stepping down to the shore."""
    r = 26.0
    row = 0
    y = top
    while y < bottom:
        offset = (row % 2) * r * 0.87
        x = x0 + offset
        while x < x1:
            lift = rng.uniform(-6, 6)
            shade = rng.randint(48, 78)
            hexagon = [(x + r * math.cos(a), y + lift + r * 0.55 * math.sin(a))
                       for a in (math.pi / 3 * k for k in range(6))]
            d.polygon([(px, py + 26) for px, py in hexagon], fill=(shade // 2, shade // 2, shade // 2 + 6))
            d.polygon(hexagon, fill=(shade, shade, shade + 8), outline=(24, 24, 30))
            x += r * 1.74
        y += r * 0.95
        row += 1


def _tree(d: ImageDraw.ImageDraw, x: float, ground: float, s: float, c: RGB) -> None:
    d.rectangle([x - 5 * s, ground - 40 * s, x + 5 * s, ground], fill=(70, 50, 36))
    d.ellipse([x - 34 * s, ground - 110 * s, x + 34 * s, ground - 30 * s], fill=c)


def _label(d: ImageDraw.ImageDraw, width: int, height: int, name: str) -> None:
    """The word "Illustration" large, the name, and the disclaimer: impossible to take for a photo."""
    big, mid, small = _font(round(height * 0.085)), _font(round(height * 0.045)), _font(round(height * 0.026))
    pad = round(height * 0.03)
    band = round(height * 0.16)
    d.rectangle([0, 0, width, band], fill=(250, 246, 232))
    d.text((pad, band / 2), LABEL.upper(), font=big, fill=(150, 30, 30), anchor="lm")
    d.text((width - pad, band / 2), name[:48], font=mid, fill=(30, 30, 40), anchor="rm")
    foot = round(height * 0.06)
    d.rectangle([0, height - foot, width, height], fill=(250, 246, 232))
    d.text((pad, height - foot / 2), f"{DISCLAIMER} · Causeway demo", font=small, fill=(40, 40, 50),
           anchor="lm")


def _encode(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return buf.getvalue()


def illustration(key: str, name: str, categories: Sequence[str], size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """A labelled illustration of the attraction as JPEG bytes (deterministic in ``key``)."""
    rng = _rng(key)
    width, height = size
    scene = scene_for(name, categories)
    top, bottom = _SKIES[rng.randrange(len(_SKIES))]
    im = _gradient(width, height, top, bottom)
    d = ImageDraw.Draw(im)
    horizon = height * rng.uniform(0.52, 0.6)
    sun_x, sun_r = width * rng.uniform(0.15, 0.85), height * 0.06
    d.ellipse([sun_x - sun_r, horizon * 0.45 - sun_r, sun_x + sun_r, horizon * 0.45 + sun_r],
              fill=_mix(bottom, (255, 240, 200), 0.7))
    land = (78 + rng.randint(-10, 10), 120 + rng.randint(-12, 12), 72)
    far = _mix(land, top, 0.55)
    land_right = float(width)
    if scene.hills or not scene.sea:
        _fill_below(d, _ridge(rng, width, horizon - height * 0.04, height * 0.08, False), height, far)
    if scene.sea:
        sea_top = _mix(top, (20, 60, 90), 0.5)
        d.rectangle([0, horizon, width, height], fill=sea_top)
        for k in range(18):  # wave lines
            y = horizon + (height - horizon) * (k / 18) ** 1.4
            d.line([(0, y), (width, y)], fill=_mix(sea_top, (230, 240, 245), 0.25), width=1 + k // 6)
        # A headland on the left: its skyline, then a cliff face dropping to the water.
        edge = width * rng.uniform(0.4, 0.55)
        cliff = _ridge(rng, width, horizon - height * 0.12, height * 0.05, False)
        pts = [(x, cliff[x]) for x in range(0, int(edge) + 1, 4)]
        d.polygon([*pts, (edge + width * 0.04, height), (0, height)], fill=_mix(land, (60, 50, 40), 0.35))
        ground = cliff[int(width * 0.25)] + height * 0.01
        land_right = edge
    else:
        near = _ridge(rng, width, horizon + height * 0.1, height * 0.05, False)
        _fill_below(d, near, height, land)
        ground = horizon + height * 0.12
    stone = (72 + rng.randint(-8, 8), 70, 76)
    bx = width * rng.uniform(0.3, 0.7) if not scene.sea else width * 0.25
    if scene.trees:
        for k in range(9):
            tx = width * (k + rng.uniform(0.1, 0.9)) / 9
            if tx > land_right - width * 0.03:
                continue
            if scene.building and abs(tx - bx) < width * 0.14:
                continue
            _tree(d, tx, ground + (rng.uniform(0, height * 0.06) if not scene.sea else 0), rng.uniform(0.9, 1.5),
                  _mix(land, (20, 60, 30), rng.uniform(0.2, 0.6)))
    if scene.building:
        _BUILDINGS[scene.building](d, bx, ground, (1.0 if scene.sea else 1.3) * width / 1600, stone)
    if scene.columns:
        _columns(d, width * 0.35, width * 1.05, horizon + height * 0.08, height, rng)
    _label(d, width, height, name)
    return _encode(im)


def panorama(key: str, name: str, categories: Sequence[str], size: tuple[int, int] = PANORAMA_SIZE) -> bytes:
    """A labelled equirectangular (2:1) illustration whose edges wrap round, as JPEG bytes."""
    width, height = size
    if width != 2 * height:
        raise ValueError("an equirectangular panorama is twice as wide as it is high")
    rng = _rng("panorama:" + key)
    scene = scene_for(name, categories)
    top, bottom = _SKIES[rng.randrange(len(_SKIES))]
    horizon = height / 2
    im = _gradient(width, height, top, bottom)
    d = ImageDraw.Draw(im)
    land = (78 + rng.randint(-10, 10), 120 + rng.randint(-12, 12), 72)
    # Ground below the horizon (the lower hemisphere), darker towards the nadir.
    ground = _gradient(width, height // 2, _mix(land, (40, 60, 40), 0.2), _mix(land, (20, 30, 20), 0.6))
    im.paste(ground, (0, height // 2))
    # The sea fills half the circle, away from the seam at the left and right edges.
    sea_from, sea_to = int(width * 0.375), int(width * 0.875)
    if scene.sea:
        sea = _gradient(sea_to - sea_from, height // 2, _mix(top, (20, 60, 90), 0.5), (14, 40, 60))
        im.paste(sea, (sea_from, height // 2))
    far = _ridge(rng, width, horizon - height * 0.03, height * 0.05, True)
    far_land = _mix(land, top, 0.5)
    pts = [(x, far[x]) for x in range(0, width + 1, 4)]
    if scene.sea:
        pts = [(x, horizon if sea_from <= x <= sea_to else y) for x, y in pts]
    d.polygon([*pts, (width, horizon + 2), (0, horizon + 2)], fill=far_land)
    stone = (72 + rng.randint(-8, 8), 70, 76)
    s = width / 4096
    if scene.building:
        _BUILDINGS[scene.building](d, width * 0.2, horizon + 6, s * 1.3, stone)
    if scene.trees:
        for k in range(16):
            tx = width * (k + 0.5) / 16
            if scene.sea and sea_from - width * 0.02 <= tx <= sea_to + width * 0.02:
                continue
            if scene.building and abs(tx - width * 0.2) < width * 0.06:
                continue
            _tree(d, tx, horizon + 8, s * rng.uniform(1.0, 1.6), _mix(land, (20, 60, 30), rng.uniform(0.2, 0.6)))
    if scene.columns:
        _columns(d, width * 0.45, width * 0.8, horizon + height * 0.06, height * 0.8, rng)
    font, small = _font(round(height * 0.05)), _font(round(height * 0.025))
    for k, heading in enumerate(("N", "E", "S", "W")):
        x = width * k / 4 + width / 8
        d.rectangle([x - height * 0.2, height * 0.12, x + height * 0.2, height * 0.24], fill=(250, 246, 232))
        d.text((x, height * 0.16), LABEL.upper(), font=font, fill=(150, 30, 30), anchor="mm")
        d.text((x, height * 0.215), f"{heading} · {name[:36]}", font=small, fill=(30, 30, 40), anchor="mm")
    d.rectangle([0, height * 0.9, width, height * 0.95], fill=(250, 246, 232))
    for k in range(2):
        d.text((width * k / 2 + width / 4, height * 0.925), f"{DISCLAIMER} · Causeway demo", font=small,
               fill=(40, 40, 50), anchor="mm")
    return _encode(im)
