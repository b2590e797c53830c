"""Media of an attraction: photos, panoramas, audio guides and videos, with their renditions.

One row per upload. The bytes live in content-addressed storage (``storage.py``); the row
points at them by SHA-256, so the same bytes uploaded twice are stored once. ``identifier``
is the public name of the asset: its IIIF identifier and the stem of its file URLs.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from causeway.content.models import utcnow
from causeway.db import Base, UTCDateTime


class MediaKind(StrEnum):
    image = "image"
    panorama = "panorama"  # equirectangular 2:1, Photo Sphere XMP kept
    audio = "audio"
    video = "video"

    @property
    def is_image(self) -> bool:
        return self in (MediaKind.image, MediaKind.panorama)


class MediaStatus(StrEnum):
    pending = "pending"  # accepted, renditions not made yet (large files: off the request path)
    ready = "ready"
    failed = "failed"  # processing failed after acceptance; ``error`` says why


class MediaAsset(Base):
    """One uploaded file of one attraction, and what was derived from it."""

    __tablename__ = "media_assets"
    __table_args__ = (Index("ix_media_assets_attraction_position", "attraction_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)  # IIIF identifier, URL stem
    attraction_id: Mapped[int] = mapped_column(ForeignKey("attractions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=MediaStatus.pending.value, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # What was uploaded (kept only until processed for images: it may carry GPS) ...
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_format: Mapped[str] = mapped_column(String(20))  # JPEG, PNG, mp3, mp4, webm, ...
    source_bytes: Mapped[int] = mapped_column(Integer)
    # ... and what is served: the cleaned master (images) or the file itself (audio, video).
    media_type: Mapped[str] = mapped_column(String(60))
    blob_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    blob_bytes: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)  # seconds, audio and video
    # [{"width", "height", "format", "sha256", "bytes"}], smallest first
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    blurhash: Mapped[str | None] = mapped_column(String(100))
    dominant_color: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb"
    # Texts per language; credit and licence (a rights URI) travel with every rendition.
    alt: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    caption: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    credit: Mapped[str | None] = mapped_column(String(300))
    licence: Mapped[str | None] = mapped_column(String(200))
    # Kept metadata: {"copyright": ..., "artist": ..., "gpano": {...}} (never GPS or device data)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # a processor took it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def media_kind(self) -> MediaKind:
        return MediaKind(self.kind)
