"""Engagement events as stored: one row per client event, counted exactly once.

``event_id`` is the client-generated UUID: the unique constraint is what makes retries and
offline re-sends idempotent, whatever path (HTTP, stream, worker redelivery) a copy takes.
``visitor_id`` is set to NULL when the visitor erases themselves (``DELETE /v1/visitors/me``):
the event still counts in aggregates, but nothing points back to the person.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from causeway.content.models import utcnow
from causeway.db import Base, UTCDateTime


class EventType(StrEnum):
    impression = "impression"
    detail_view = "detail_view"
    media_play = "media_play"
    virtual_visit = "virtual_visit"
    save = "save"
    itinerary_created = "itinerary_created"
    itinerary_stop_done = "itinerary_stop_done"
    visit = "visit"
    share = "share"


class Event(Base):
    """One thing a visitor did in the app, as reported by the app."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_occurred_type", "occurred_at", "type"),
        Index("ix_events_attraction_occurred", "attraction_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # client UUID, canonical form
    type: Mapped[str] = mapped_column(String(24))
    visitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("visitors.id", ondelete="SET NULL"), index=True)
    attraction_id: Mapped[int | None] = mapped_column(ForeignKey("attractions.id", ondelete="SET NULL"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the client's timestamp
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # when the API accepted it
    stored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Typed context the aggregates need; anything else the app sends stays in ``context``.
    position: Mapped[int | None] = mapped_column(Integer)  # impressions: place in the list
    recommendation_id: Mapped[str | None] = mapped_column(String(64))
    itinerary_id: Mapped[str | None] = mapped_column(String(64))
    dwell_seconds: Mapped[float | None] = mapped_column(Float)
    market: Mapped[str | None] = mapped_column(String(8))  # origin market (ISO country), coarse
    simulated: Mapped[bool] = mapped_column(default=False)  # True for generated demo data
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
