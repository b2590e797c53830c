"""Catalogue tables: providers, attractions (with categories and tags), duplicates, imports."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from causeway.db import Base, UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SizeClass(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


class Status(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    archived = "archived"


class PriceBand(StrEnum):
    free = "free"
    low = "low"
    medium = "medium"
    high = "high"
    unknown = "unknown"


class Wheelchair(StrEnum):
    yes = "yes"
    limited = "limited"
    no = "no"
    unknown = "unknown"


class Provider(Base):
    """An organisation supplying content: a venue, a council, a feed."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    size_class: Mapped[str] = mapped_column(String(10), default=SizeClass.small.value)
    website: Mapped[str | None] = mapped_column(String(500))
    # Trusted providers (councils, the demo feeds) publish new records and changes at once;
    # everyone else's wait for the board (see causeway.content.revisions).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attraction(Base):
    """A place a visitor can go, as one provider describes it."""

    __tablename__ = "attractions"
    __table_args__ = (
        UniqueConstraint("provider_id", "external_id", name="uq_attraction_provider_external"),
        Index("ix_attractions_status_lat_lon", "status", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # e.g. "csv:historic-parks-and-gardens.csv"
    name: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sort_name: Mapped[str] = mapped_column(String(300), index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    town: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    image_url: Mapped[str | None] = mapped_column(String(1000))
    wikidata: Mapped[str | None] = mapped_column(String(32))
    opening_hours: Mapped[str | None] = mapped_column(String(1000))
    visit_minutes: Mapped[int] = mapped_column(Integer, default=60)
    price_band: Mapped[str] = mapped_column(String(10), default=PriceBand.unknown.value)
    wheelchair: Mapped[str] = mapped_column(String(10), default=Wheelchair.unknown.value)
    # Which values were supplied and which came from defaults: {"opening_hours": "default:garden"}.
    defaults_applied: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default=Status.draft.value, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("attractions.id", ondelete="SET NULL"), index=True
    )
    last_imported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    provider: Mapped[Provider] = relationship(lazy="joined")
    category_rows: Mapped[list[AttractionCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AttractionCategory.position"
    )
    tag_rows: Mapped[list[AttractionTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AttractionTag.tag"
    )
    # join_depth=1: eager-load one level of this self-reference (records merged into this one),
    # otherwise SQLAlchemy falls back to one lazy query per attraction.
    merged: Mapped[list[Attraction]] = relationship(
        lazy="selectin", join_depth=1, foreign_keys=[merged_into_id], order_by="Attraction.id"
    )

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class AttractionCategory(Base):
    """One category from the controlled taxonomy (content.taxonomy) on one attraction."""

    __tablename__ = "attraction_categories"

    attraction_id: Mapped[int] = mapped_column(
        ForeignKey("attractions.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AttractionTag(Base):
    """A free tag on one attraction (lower case)."""

    __tablename__ = "attraction_tags"

    attraction_id: Mapped[int] = mapped_column(
        ForeignKey("attractions.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class DuplicateCandidate(Base):
    """Two attractions from different providers that look like the same place."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("attraction_a_id", "attraction_b_id", name="uq_duplicate_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attraction_a_id: Mapped[int] = mapped_column(ForeignKey("attractions.id", ondelete="CASCADE"))
    attraction_b_id: Mapped[int] = mapped_column(ForeignKey("attractions.id", ondelete="CASCADE"))
    name_similarity: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    attraction_a: Mapped[Attraction] = relationship(foreign_keys=[attraction_a_id], lazy="joined")
    attraction_b: Mapped[Attraction] = relationship(foreign_keys=[attraction_b_id], lazy="joined")


class ImportRun(Base):
    """One ingestion of one feed for one provider, with its report."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))
    dry_run: Mapped[bool] = mapped_column(default=False)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    # A large feed runs as a background job (causeway.content.ingest.jobs): queued, running,
    # then done (counts and report filled in) or failed (error); a direct import is done.
    status: Mapped[str] = mapped_column(String(10), default="done", server_default="done")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    runner: Mapped[str | None] = mapped_column(String(120), default=None)  # host:pid of the job's process
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_import_runs_provider_status", "provider_id", "status"),)


class RevisionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"  # replaced by a later pending revision that carries its fields


class Revision(Base):
    """A change to an attraction: proposed (pending) by a venue or feed, or applied and recorded.

    ``fields`` holds the proposed values of the fields that change, ``before`` their live
    values when it was made; ``applied`` what the board finally applied (after its edits).
    """

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_attraction_status", "attraction_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attraction_id: Mapped[int] = mapped_column(ForeignKey("attractions.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # edit, import, board, merge
    author: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    base_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=RevisionStatus.pending.value, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    source_hash: Mapped[str | None] = mapped_column(String(64))  # feed revisions: the row's content hash
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    attraction: Mapped[Attraction] = relationship(lazy="joined")
