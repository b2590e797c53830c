"""Catalogue reads: filtered, ordered, keyset-paginated attraction lists.

SQL narrows by status, category, tag, words, accessibility and a bounding box; exact
geodesic distance (geopy) and opening hours (opening_hours) are evaluated in Python on
what is left, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from geopy.distance import geodesic
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from causeway.content.hours import Schedule
from causeway.content.models import Attraction, AttractionCategory, AttractionTag, Provider, Status


@dataclass
class Query:
    """What a caller asks of the catalogue."""

    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    text: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 25.0
    open_at: dt.datetime | None = None
    wheelchair: str | None = None  # "yes": step-free only; "limited": yes or limited
    provider: str | None = None
    statuses: tuple[str, ...] = (Status.published.value,)
    timezone: str = "Europe/London"
    country: str | None = "GB"


@dataclass
class Hit:
    attraction: Attraction
    distance_km: float | None = None


@dataclass
class Page:
    hits: list[Hit]
    next_key: tuple[float, int] | None  # (distance or 0, id) of the last hit when more follow


def _base(q: Query) -> Select[tuple[Attraction]]:
    stmt = select(Attraction).where(Attraction.status.in_(q.statuses),
                                    Attraction.merged_into_id.is_(None))
    if q.categories:
        stmt = stmt.where(exists().where(AttractionCategory.attraction_id == Attraction.id,
                                         AttractionCategory.category.in_(q.categories)))
    for tag in q.tags:
        stmt = stmt.where(exists().where(AttractionTag.attraction_id == Attraction.id,
                                         AttractionTag.tag == tag.lower()))
    if q.text:
        for word in q.text.lower().split()[:8]:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Attraction.search_text.like(f"%{escaped}%", escape="\\"))
    if q.wheelchair == "yes":
        stmt = stmt.where(Attraction.wheelchair == "yes")
    elif q.wheelchair == "limited":
        stmt = stmt.where(Attraction.wheelchair.in_(("yes", "limited")))
    if q.provider:
        stmt = stmt.where(Attraction.provider_id.in_(select(Provider.id).where(Provider.slug == q.provider)))
    if q.near:
        lat, lon = q.near
        dlat = q.radius_km / 111.32
        dlon = dlat / max(0.01, math.cos(math.radians(lat)))
        stmt = stmt.where(Attraction.lat.between(lat - dlat, lat + dlat),
                          Attraction.lon.between(lon - dlon, lon + dlon))
    return stmt


def _open(att: Attraction, q: Query) -> bool:
    if q.open_at is None:
        return True
    if not att.opening_hours:
        return False
    sched = Schedule(att.opening_hours, q.timezone, q.country, att.lat, att.lon)
    return sched.is_open(q.open_at)


def search(session: Session, q: Query, *, limit: int, after: tuple[float, int] | None = None) -> Page:
    """One page of attractions matching ``q``, after the keyset ``after``.

    Ordered nearest first when ``q.near`` is set (ties by id), otherwise by id.
    """
    if q.near:
        hits = []
        for att in session.scalars(_base(q)):
            km = geodesic(q.near, (att.lat, att.lon)).km
            if km <= q.radius_km and _open(att, q):
                hits.append(Hit(att, round(km, 3)))
        hits.sort(key=lambda h: (h.distance_km, h.attraction.id))
        if after is not None:
            hits = [h for h in hits if (h.distance_km, h.attraction.id) > after]
        page = hits[: limit + 1]
    else:
        page = []
        last_id = after[1] if after else 0
        batch = max(limit * 2, 50)
        while len(page) <= limit:
            rows = session.scalars(_base(q).where(Attraction.id > last_id)
                                   .order_by(Attraction.id).limit(batch)).all()
            if not rows:
                break
            page.extend(Hit(a) for a in rows if _open(a, q))
            last_id = rows[-1].id
        page = page[: limit + 1]
    more = len(page) > limit
    page = page[:limit]
    next_key = None
    if more and page:
        last = page[-1]
        next_key = (last.distance_km or 0.0, last.attraction.id)
    return Page(page, next_key)


def get(session: Session, attraction_id: int, statuses: tuple[str, ...] | None = None) -> Attraction | None:
    att = session.get(Attraction, attraction_id)
    if att is None or (statuses is not None and att.status not in statuses):
        return None
    return att
