"""Builders for analytics tests: a small catalogue, visitors, and events written directly."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from causeway.analytics.models import Event
from causeway.auth.models import Visitor
from causeway.content import providers
from causeway.content.models import Attraction, AttractionCategory

_seq = itertools.count(1)
DAY = dt.date(2026, 6, 1)  # a Monday in British Summer Time (UTC+1)


def at(day: int = 0, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A UTC instant on DAY + ``day``, ``hour`` local (BST) time."""
    local = dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour, minute))
    return (local - dt.timedelta(hours=1)).replace(tzinfo=dt.UTC)


def attraction(session: Session, provider_id: int, name: str, lat: float, lon: float,
               categories: tuple[str, ...] = ("history",), **extra: Any) -> int:
    n = next(_seq)
    att = Attraction(provider_id=provider_id, external_id=f"t{n}", source="test", name={"en": name},
                     sort_name=name.lower(), lat=lat, lon=lon, status="published", content_hash=f"h{n}",
                     **extra)
    session.add(att)
    session.flush()
    for i, c in enumerate(categories):
        session.add(AttractionCategory(attraction_id=att.id, category=c, position=i))
    session.flush()
    return att.id


def catalogue(session: Session) -> dict[str, int]:
    """Three attractions of ``castle-venue`` (small), two of ``other-venue`` (small), one of a
    large provider; the venues must already exist (the ``tokens`` fixture makes them) or are made."""
    castle = providers.get_by_slug(session, "castle-venue") or providers.create(
        session, slug="castle-venue", name="Castle Venue", size_class="small")
    other = providers.get_by_slug(session, "other-venue") or providers.create(
        session, slug="other-venue", name="Other Venue", size_class="small")
    big = providers.create(session, slug="big-council", name="Big Council", size_class="large")
    return {
        "keep": attraction(session, castle.id, "Castle Keep", 55.20, -6.50, ("castle", "history")),
        "gardens": attraction(session, castle.id, "Castle Gardens", 55.21, -6.49, ("garden",)),
        "tower": attraction(session, castle.id, "Castle Tower", 55.22, -6.48, ("castle",)),
        "mill": attraction(session, other.id, "Old Mill", 54.60, -5.93, ("history",)),
        "quay": attraction(session, other.id, "The Quay", 54.61, -5.92, ("coast",)),
        "museum": attraction(session, big.id, "City Museum", 54.58, -5.94, ("museum", "history")),
    }


def visitors(session: Session, n: int) -> list[int]:
    rows = session.scalars(insert(Visitor).returning(Visitor.id, sort_by_parameter_order=True),
                           [{"profile": {}} for _ in range(n)]).all()
    return list(rows)


def events(session: Session, specs: list[dict[str, Any]]) -> list[str]:
    """Insert events; each spec has ``type``, ``visitor_id``, ``attraction_id``, ``occurred_at``
    and optionally the other columns. Returns their event ids."""
    rows = []
    for spec in specs:
        row = {"event_id": str(uuid.uuid4()), "received_at": spec["occurred_at"], "simulated": False,
               "context": {}, "market": None, "position": None, "recommendation_id": None,
               "itinerary_id": None, "dwell_seconds": None, **spec}
        rows.append(row)
    if rows:
        session.execute(insert(Event), rows)
    return [r["event_id"] for r in rows]


def each(kind: str, people: list[int], attraction_id: int | None, when: dt.datetime,
         **extra: Any) -> list[dict[str, Any]]:
    """One event of ``kind`` per visitor."""
    return [{"type": kind, "visitor_id": v, "attraction_id": attraction_id, "occurred_at": when, **extra}
            for v in people]
