"""Pillow processing: from a validated upload to a clean master, renditions and placeholders.

Everything served is derived from the clean master, which has

* the EXIF orientation applied (pixels turned, tag gone);
* no EXIF but Artist and Copyright, no XMP but a panorama's GPano properties, no ICC or
  text chunks: GPS position, camera serial numbers, owner names and edit history stay behind;
* sRGB colour (an embedded ICC profile is converted, CMYK and 16-bit images are mapped);
* alpha only when the upload had transparency (then it is a PNG, otherwise a JPEG).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import blurhash
import numpy as np
from PIL import Image, ImageCms, ImageOps

from causeway.content.media import xmp as xmp_tools

_ARTIST, _COPYRIGHT = 0x013B, 0x8298
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
MASTER_JPEG_QUALITY = 92
RENDITION_JPEG_QUALITY = 82
RENDITION_WEBP_QUALITY = 80


@dataclass
class Encoded:
    width: int
    height: int
    format: str  # jpg, png, webp
    data: bytes


@dataclass
class Processed:
    master: Encoded
    renditions: list[Encoded]
    blurhash: str
    dominant_color: str
    meta: dict[str, Any] = field(default_factory=dict)
    image: Image.Image | None = None  # the clean master, decoded (for the tile pyramid)

    @property
    def media_type(self) -> str:
        return "image/png" if self.master.format == "png" else "image/jpeg"


def _has_alpha(im: Image.Image) -> bool:
    if im.mode in ("RGBA", "LA", "PA"):
        lowest = cast("tuple[int, int]", im.getchannel("A").getextrema())[0]
        return lowest < 255
    return im.mode == "P" and "transparency" in im.info


def _to_srgb(im: Image.Image) -> Image.Image:
    """8-bit RGB or RGBA in sRGB, whatever the upload's mode and profile."""
    icc = im.info.get("icc_profile")
    alpha = _has_alpha(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale (TIFF, PNG): scale the used range down to 8 bits.
        arr = np.asarray(im, dtype=np.float64)
        top = max(arr.max(), 1.0)
        im = Image.fromarray(np.clip(arr * (255.0 / (65535.0 if top > 255 else 255.0)), 0, 255).astype(np.uint8))
    elif im.mode == "F":
        im = im.convert("L")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if im.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
                im = im.convert("RGBA" if alpha else "RGB")
            out_mode = "RGBA" if im.mode in ("RGBA", "LA") else "RGB"
            if im.mode == "LA":
                im = im.convert("RGBA")
            return ImageCms.profileToProfile(im, source, _SRGB, outputMode=out_mode)  # type: ignore[return-value]
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: treat the pixels as sRGB already
    return im.convert("RGBA" if alpha else "RGB")


def clean(path: Path, *, panorama: bool) -> tuple[Image.Image, dict[str, Any], bytes | None]:
    """The upload decoded, turned upright and in sRGB, plus the metadata worth keeping."""
    with Image.open(path) as src:
        src.load()
        exif = src.getexif()
        found_gpano = xmp_tools.gpano(src.info.get("xmp")) if panorama else None
        upright = ImageOps.exif_transpose(src)
        im = _to_srgb(upright)
    im.info = {}  # nothing of the upload's metadata rides along on the pixels
    meta: dict[str, Any] = {}
    for tag, key in ((_ARTIST, "artist"), (_COPYRIGHT, "copyright")):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip("\x00 "):
            meta[key] = value.strip("\x00 ")[:300]
    packet = None
    if panorama:
        meta["gpano"] = xmp_tools.equirectangular(im.width, im.height, found_gpano)
        packet = xmp_tools.packet(meta["gpano"])
    return im, meta, packet


def _kept_exif(meta: dict[str, Any]) -> bytes:
    exif = Image.Exif()
    if "artist" in meta:
        exif[_ARTIST] = meta["artist"]
    if "copyright" in meta:
        exif[_COPYRIGHT] = meta["copyright"]
    return exif.tobytes() if len(exif) else b""


def encode(im: Image.Image, fmt: str, *, quality: int | None = None, exif: bytes = b"",
           xmp: bytes | None = None, progressive: bool = False) -> bytes:
    """``im`` as ``fmt`` (jpg, png, webp) with only the metadata passed in."""
    buf = io.BytesIO()
    extra: dict[str, Any] = {}
    if exif:
        extra["exif"] = exif
    if xmp:
        extra["xmp"] = xmp
    if fmt == "jpg":
        if im.mode not in ("RGB", "L"):
            im = _flatten(im)
        im.save(buf, "JPEG", quality=quality or RENDITION_JPEG_QUALITY, progressive=progressive, **extra)
    elif fmt == "webp":
        im.save(buf, "WEBP", quality=quality or RENDITION_WEBP_QUALITY, method=1, **extra)
    elif fmt == "png":
        if im.mode not in ("RGB", "RGBA", "L", "LA", "1", "P"):
            im = im.convert("RGB")
        im.save(buf, "PNG", compress_level=3, **extra)
    else:
        raise ValueError(f"cannot encode {fmt!r}")
    return buf.getvalue()


def _flatten(im: Image.Image) -> Image.Image:
    """RGBA on white, for formats without alpha."""
    if im.mode in ("RGBA", "LA", "PA", "P"):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def placeholders(im: Image.Image) -> tuple[str, str]:
    """(blurhash, dominant colour "#rrggbb") from a small copy of ``im``."""
    small = _flatten(im) if im.mode != "RGB" else im
    small = small.copy()
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    tiny = small.resize((32, max(1, round(32 * small.height / small.width))), Image.Resampling.BILINEAR)
    x, y = (4, 3) if im.width >= im.height else (3, 4)
    hash_ = blurhash.encode(np.asarray(tiny), components_x=x, components_y=y)
    quant = small.quantize(colors=5, method=Image.Quantize.MEDIANCUT)
    counts = sorted(quant.getcolors() or [(1, 0)], reverse=True)
    palette = quant.getpalette() or [0, 0, 0]
    i = cast(int, counts[0][1]) * 3
    r, g, b = palette[i:i + 3]
    return hash_, f"#{r:02x}{g:02x}{b:02x}"


def rendition_sizes(width: int, height: int, widths: tuple[int, ...]) -> list[tuple[int, int]]:
    """Rendition sizes: each configured width under the original's, and the original width
    when it is smaller than the largest configured one. Never upscaled."""
    out = sorted({min(w, width) for w in widths})
    return [(w, max(1, round(height * w / width))) for w in out]


def process_image(path: Path, *, panorama: bool, widths: tuple[int, ...]) -> Processed:
    """Clean master, renditions (JPEG and WebP for each width) and placeholders for ``path``."""
    im, meta, packet = clean(path, panorama=panorama)
    exif = _kept_exif(meta)
    fmt = "png" if im.mode == "RGBA" else "jpg"
    master = Encoded(im.width, im.height, fmt,
                     encode(im, fmt, quality=MASTER_JPEG_QUALITY, exif=exif, xmp=packet))
    renditions: list[Encoded] = []
    source = im
    for w, h in reversed(rendition_sizes(im.width, im.height, widths)):
        # Cascade from the previous (larger) rendition: each step is a small reduction.
        # Bicubic is antialiased when shrinking (Pillow widens the kernel) and a third
        # cheaper than Lanczos at these ratios; see benchmarks/README.md (media).
        source = source if (w, h) == source.size else source.resize(
            (w, h), Image.Resampling.BICUBIC, reducing_gap=2.0)
        # A panorama's renditions describe themselves: GPano sizes are in pixels.
        rpacket = xmp_tools.packet(xmp_tools.equirectangular(w, h, meta["gpano"])) if packet else None
        renditions.append(Encoded(w, h, "webp", encode(source, "webp", exif=exif, xmp=rpacket)))
        renditions.append(Encoded(w, h, "jpg", encode(source, "jpg", exif=exif, xmp=rpacket)))
    renditions.reverse()
    hash_, colour = placeholders(im)
    return Processed(master, renditions, hash_, colour, meta, im)
