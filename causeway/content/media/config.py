"""The typed parameters the media pipeline runs with (built from the settings where a process starts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MediaConfig:
    root: Path  # media directory: blobs/, derived/, tmp/
    max_image_bytes: int = 50 * 1024 * 1024
    max_av_bytes: int = 500 * 1024 * 1024
    max_pixels: int = 100_000_000
    sync_max_pixels: int = 4_000_000  # larger images are processed off the request path
    rendition_widths: tuple[int, ...] = (320, 640, 1024, 1600, 2048)
    tile_size: int = 256
    max_area: int = 4096 * 4096  # largest IIIF output (maxArea in info.json)
    pretile: bool = True  # render the aligned tile pyramid while processing
    memory_cache_bytes: int = 64 * 1024 * 1024  # rendered IIIF bytes kept in each process
    decoded_cache_pixels: int = 50_000_000  # decoded masters kept in each process
    max_age: int = 30 * 24 * 3600  # Cache-Control for media and IIIF images

    @classmethod
    def from_settings(cls, settings: Any) -> MediaConfig:
        return cls(
            root=Path(settings.data_dir) / "media",
            max_image_bytes=settings.media_max_image_bytes,
            max_av_bytes=settings.media_max_av_bytes,
            max_pixels=settings.media_max_pixels,
            sync_max_pixels=settings.media_sync_max_pixels,
            rendition_widths=tuple(sorted(settings.media_rendition_widths)),
            tile_size=settings.iiif_tile_size,
            max_area=settings.iiif_max_area,
            pretile=settings.iiif_pretile,
            memory_cache_bytes=settings.iiif_memory_cache_bytes,
            decoded_cache_pixels=settings.iiif_decoded_cache_pixels,
            max_age=settings.media_max_age,
        )
