"""Is this upload really an image we can serve? Decided by Pillow on its content, never its name.

Checks, cheapest first: Pillow recognises the bytes as JPEG, PNG, WebP or TIFF; the pixel
count is under the decompression-bomb limit (read from the header, before decoding); the
whole image decodes (a truncated or corrupt file fails here, rather than being half-served:
unlike thumbor we leave ``LOAD_TRUNCATED_IMAGES`` off, since ingestion should refuse
broken files); a panorama is equirectangular (2:1).
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, UnidentifiedImageError

from causeway.content.media.xmp import gpano

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}
_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that turn the image a quarter
_TAG_ORIENTATION = 0x0112


class ImageRejected(ValueError):
    """An upload that is not an acceptable image; ``reason`` is a short machine-readable slug."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass
class ImageInfo:
    format: str
    media_type: str
    width: int  # as displayed, after the EXIF orientation
    height: int


def set_pixel_limit(max_pixels: int) -> None:
    """Pillow's own decompression-bomb guard follows the configured limit (a backstop to ours)."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = max_pixels


def _describe(head: bytes) -> str:
    if not head.strip():
        return "the file is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its content is not a recognised image format"
    return "its content is text, not an image"


def inspect_image(path: Path, *, max_pixels: int, panorama: bool = False) -> ImageInfo:
    """Open, bomb-check and fully decode ``path``; raise :class:`ImageRejected` if unacceptable."""
    set_pixel_limit(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too-many-pixels", f"the image has more than the {max_pixels:,} pixels accepted "
                            f"(decompression-bomb guard): {exc}") from exc
    except UnidentifiedImageError as exc:
        head = path.read_bytes()[:512]
        raise ImageRejected("not-an-image", "not a JPEG, PNG, WebP or TIFF image: " + _describe(head)) from exc
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise ImageRejected("damaged", f"the image header cannot be read: {exc}") from exc
    with im:
        if im.format not in FORMATS:
            raise ImageRejected("unsupported-format",
                                f"{im.format} images are not accepted; send JPEG, PNG, WebP or TIFF")
        width, height = im.size
        if width * height > max_pixels:
            raise ImageRejected("too-many-pixels",
                                f"the image is {width}x{height} = {width * height:,} pixels; "
                                f"at most {max_pixels:,} are accepted (decompression-bomb guard)")
        if width < 1 or height < 1:
            raise ImageRejected("damaged", "the image has no pixels")
        try:
            orientation = im.getexif().get(_TAG_ORIENTATION, 1)
            xmp = im.info.get("xmp")
            if im.format == "JPEG":
                # Decoding at 1/8 scale still reads every entropy-coded byte, so truncation and
                # corrupt data are caught at a fraction of the cost of a full decode.
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im.load()
        except (OSError, SyntaxError, ValueError, struct.error, EOFError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("damaged", f"the image is truncated or corrupt: {exc}") from exc
    if orientation in _SWAPS_AXES:
        width, height = height, width
    if panorama:
        projection = (gpano(xmp) or {}).get("ProjectionType")
        if projection and projection.lower() != "equirectangular":
            raise ImageRejected("not-equirectangular",
                                f"the Photo Sphere metadata says the projection is {projection!r}; "
                                "panoramas must be equirectangular")
        if abs(width - 2 * height) > max(2, round(0.01 * width)):
            raise ImageRejected("not-equirectangular",
                                f"a panorama must be an equirectangular image twice as wide as it is "
                                f"high (2:1); this one is {width}x{height}")
    return ImageInfo(im.format, FORMATS[im.format], width, height)
