"""Itinerary tables: one row per itinerary, one row per version (the plan and what changed).

The itinerary keeps what the plan was made from (the normalised request and a snapshot of
the candidates with their scores and opening windows), so a re-plan days later repairs the
same problem even if the catalogue or the model moved on. Versions are never rewritten:
version 1 is the first plan, each re-plan adds the next one with its edits and changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from causeway.content.models import utcnow
from causeway.db import Base, UTCDateTime


class Itinerary(Base):
    """A visitor's multi-day plan; ``version`` is the current one."""

    __tablename__ = "itineraries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Erasing the visitor erases their itineraries (they are personal data).
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ItineraryVersion(Base):
    """One plan of an itinerary: version 1 as created, later ones from re-plans."""

    __tablename__ = "itinerary_versions"
    __table_args__ = (UniqueConstraint("itinerary_id", "version", name="uq_itinerary_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    itinerary_id: Mapped[int] = mapped_column(ForeignKey("itineraries.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)  # days, stops and times in minutes
    edits: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the re-plan request; None for v1
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
