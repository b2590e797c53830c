"""IIIF Image API 3.0, compliance level 2: parse a request, resolve it against an image, render.

``parse`` turns the four path segments into a :class:`ImageRequest` (syntax errors raise
:class:`IIIFError`, a 400); ``resolve`` fixes it against the image's width and height into a
:class:`Plan` of pixel boxes (a region outside the image or a forbidden upscale is a 400);
``Plan.key`` is the canonical form, the same for every spelling of one image, which is
what the derived-image cache stores under; ``render`` draws a plan with Pillow.

Two readings follow the official validator (iiif-validator 1.0.5) where the specification
text leaves room: ``!w,h`` whose box is larger than the region needs ``^`` (without it, a
400), and no ``maxWidth``/``maxArea`` is advertised, so ``^max`` is the region's own size.
Outputs are still bounded: an upscaled image may have at most ``max_area`` pixels.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import Image

from causeway.content.media.process import encode

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "http://iiif.io/api/image/3/level2.json"
QUALITIES = ("default", "color", "gray", "bitonal")
FORMATS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTRA_FEATURES = ["mirroring", "rotationArbitrary", "regionSquare", "sizeUpscaling", "cors",
                  "jsonldMediaType", "profileLinkHeader", "canonicalLinkHeader", "baseUriRedirect"]

_INT = r"(\d{1,9})"
_NUM = r"(\d{1,9}(?:\.\d{1,9})?)"
_REGION_PX = re.compile(rf"^{_INT},{_INT},{_INT},{_INT}$")
_REGION_PCT = re.compile(rf"^pct:{_NUM},{_NUM},{_NUM},{_NUM}$")
_SIZE = re.compile(rf"^(\^)?(?:(max)|pct:{_NUM}|{_INT},|,{_INT}|(!)?{_INT},{_INT})$")
_ROTATION = re.compile(rf"^(!)?{_NUM}$")


class IIIFError(ValueError):
    """A request this server must refuse with 400 Bad Request."""


@dataclass(frozen=True)
class ImageRequest:
    region: str
    size: str
    mirror: bool
    rotation: float
    quality: str
    format: str


@dataclass(frozen=True)
class Plan:
    region: tuple[int, int, int, int]  # x, y, w, h in image pixels
    size: tuple[int, int]  # output before rotation
    full: bool  # the region is the whole image
    mirror: bool
    rotation: float
    quality: str  # default, gray or bitonal (color is default)
    format: str

    @property
    def key(self) -> str:
        """Canonical URI form (section 4.7): one cache entry per distinct image."""
        x, y, w, h = self.region
        region = "full" if self.full else f"{x},{y},{w},{h}"
        rotation = rotation_text(self.mirror, self.rotation)
        return f"{region}/{self.size[0]},{self.size[1]}/{rotation}/{self.quality}.{self.format}"


def rotation_text(mirror: bool, degrees: float) -> str:
    text = str(int(degrees)) if degrees == int(degrees) else f"{degrees:.9f}".rstrip("0")
    return ("!" if mirror else "") + text


def parse(region: str, size: str, rotation: str, quality: str, fmt: str) -> ImageRequest:
    """The request's parameters, checked for syntax only."""
    if not (region in ("full", "square") or _REGION_PX.match(region) or _REGION_PCT.match(region)):
        raise IIIFError(f"region {region!r} is not full, square, x,y,w,h or pct:x,y,w,h")
    if size == "full":
        raise IIIFError("size 'full' was removed in Image API 3.0; use 'max'")
    if not _SIZE.match(size):
        raise IIIFError(f"size {size!r} is not max, pct:n, w,, ,h, w,h or !w,h (optionally after ^)")
    m = _ROTATION.match(rotation)
    if not m or not 0 <= float(m.group(2)) <= 360:
        raise IIIFError(f"rotation {rotation!r} is not a number of degrees from 0 to 360, optionally after !")
    if quality not in QUALITIES:
        raise IIIFError(f"quality {quality!r} is not one of {', '.join(QUALITIES)}")
    if fmt not in FORMATS:
        raise IIIFError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return ImageRequest(region, size, bool(m.group(1)), float(m.group(2)) % 360, quality, fmt)


def _region(spec: str, width: int, height: int) -> tuple[int, int, int, int]:
    if spec == "full":
        return 0, 0, width, height
    if spec == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    m = _REGION_PX.match(spec)
    if m:
        x, y, w, h = (int(v) for v in m.groups())
    else:
        px, py, pw, ph = (float(v) for v in _REGION_PCT.match(spec).groups())  # type: ignore[union-attr]
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    if w <= 0 or h <= 0:
        raise IIIFError(f"region {spec!r} has no width or height")
    if x >= width or y >= height:
        raise IIIFError(f"region {spec!r} lies outside the {width}x{height} image")
    return x, y, min(w, width - x), min(h, height - y)


def _size(spec: str, rw: int, rh: int, max_area: int) -> tuple[int, int]:
    m = _SIZE.match(spec)
    assert m is not None  # parse() checked
    up, is_max, pct, w_only, h_only, bang, bw, bh = m.groups()
    if is_max:
        w, h = rw, rh
    elif pct is not None:
        p = float(pct)
        if p > 100 and not up:
            raise IIIFError(f"size {spec!r} scales up; use ^pct:{pct}")
        w, h = round(rw * p / 100), round(rh * p / 100)
    elif w_only is not None:
        w = int(w_only)
        h = round(rh * w / rw)
    elif h_only is not None:
        h = int(h_only)
        w = round(rw * h / rh)
    elif bang:
        scale = min(int(bw) / rw, int(bh) / rh)
        if scale > 1 and not up:
            raise IIIFError(f"size {spec!r} would scale the region up; use ^{spec}")
        w, h = max(1, math.floor(rw * scale + 1e-9)), max(1, math.floor(rh * scale + 1e-9))
        w, h = min(w, int(bw)), min(h, int(bh))
    else:
        w, h = int(bw), int(bh)
    if w <= 0 or h <= 0:
        raise IIIFError(f"size {spec!r} gives an empty image")
    if (w > rw or h > rh) and not up:
        raise IIIFError(f"size {spec!r} is larger than the {rw}x{rh} region; upscaling needs ^")
    if w * h > max(max_area, rw * rh):
        raise IIIFError(f"size {spec!r} would be {w}x{h}; at most {max_area:,} pixels are rendered")
    return w, h


def resolve(req: ImageRequest, width: int, height: int, *, max_area: int) -> Plan:
    """``req`` fixed against a ``width`` x ``height`` image."""
    x, y, w, h = _region(req.region, width, height)
    size = _size(req.size, w, h, max_area)
    quality = "default" if req.quality == "color" else req.quality
    return Plan((x, y, w, h), size, (x, y, w, h) == (0, 0, width, height), req.mirror, req.rotation,
                quality, req.format)


def render(level: Image.Image, scale: float, plan: Plan) -> bytes:
    """Draw ``plan`` from ``level``, an image ``scale`` times smaller than the original."""
    x, y, w, h = plan.region
    box = (x / scale, y / scale, (x + w) / scale, (y + h) / scale)
    if all(float(v).is_integer() for v in box) and (box[2] - box[0], box[3] - box[1]) == plan.size:
        out = level.crop(tuple(int(v) for v in box))  # type: ignore[arg-type]
    else:
        out = level.resize(plan.size, Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
    if plan.quality == "gray":
        out = out.convert("LA" if out.mode == "RGBA" and plan.format != "jpg" else "L")
    elif plan.quality == "bitonal":
        out = out.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1")
    if plan.mirror:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    degrees = plan.rotation
    if degrees in (90.0, 180.0, 270.0):
        # IIIF turns clockwise; Pillow's transposes are counter-clockwise.
        out = out.transpose({90.0: Image.Transpose.ROTATE_270, 180.0: Image.Transpose.ROTATE_180,
                             270.0: Image.Transpose.ROTATE_90}[degrees])
    elif degrees:
        if plan.format == "jpg":
            fill: object = 255 if out.mode in ("L", "1") else (255, 255, 255)
            out = out.convert("L" if out.mode == "1" else out.mode)
        else:  # transparent corners where the format allows
            out = out.convert("LA" if out.mode in ("L", "1", "LA") else "RGBA")
            fill = (0, 0) if out.mode == "LA" else (0, 0, 0, 0)
        out = out.rotate(-degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)  # type: ignore[arg-type]
    if plan.format == "jpg" and out.mode == "1":
        out = out.convert("L")
    return encode(out, plan.format, quality=85 if plan.format == "jpg" else None)


def scale_factors(width: int, height: int, tile: int) -> list[int]:
    """1, 2, 4, ... until the whole image fits in one tile."""
    factors = [1]
    while max(width, height) / factors[-1] > tile:
        factors.append(factors[-1] * 2)
    return factors


def info(base_id: str, width: int, height: int, *, tile: int, rights: str | None = None) -> dict:
    """The info.json document of an image whose id (base URI) is ``base_id``."""
    factors = scale_factors(width, height, tile)
    sizes = [{"width": math.ceil(width / f), "height": math.ceil(height / f)}
             for f in reversed(factors) if max(width, height) / f <= 2048]
    doc = {
        "@context": CONTEXT, "id": base_id, "type": "ImageService3", "protocol": "http://iiif.io/api/image",
        "profile": "level2", "width": width, "height": height,
        "sizes": sizes, "tiles": [{"width": tile, "height": tile, "scaleFactors": factors}],
        "extraFormats": ["webp"], "extraQualities": ["color", "gray", "bitonal"],
        "extraFeatures": EXTRA_FEATURES,
    }
    if rights:
        doc["rights"] = rights
    return doc


def tile_plans(width: int, height: int, tile: int) -> list[tuple[int, Plan]]:
    """(scale factor, plan) of every tile and listed size info.json advertises, as jpg default."""
    plans: list[tuple[int, Plan]] = []
    for f in scale_factors(width, height, tile):
        span = tile * f
        for y in range(0, height, span):
            for x in range(0, width, span):
                w, h = min(span, width - x), min(span, height - y)
                plans.append((f, Plan((x, y, w, h), (math.ceil(w / f), math.ceil(h / f)),
                                      (x, y, w, h) == (0, 0, width, height), False, 0.0, "default", "jpg")))
        if max(width, height) / f <= 2048 and (width > span or height > span):
            plans.append((f, Plan((0, 0, width, height), (math.ceil(width / f), math.ceil(height / f)),
                                  True, False, 0.0, "default", "jpg")))
    return plans
