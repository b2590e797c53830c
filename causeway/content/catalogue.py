"""Catalogue reads: filtered, ordered, keyset-paginated attraction lists.

SQL narrows by status, category, tag, words, accessibility and a bounding box; distance
(numpy haversine) and opening hours (opening_hours) are evaluated in Python on what is
left, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Row, exists, select
from sqlalchemy.orm import Session

from causeway.geo import haversine_km
from causeway.content.hours import Schedule
from causeway.content.models import (
    Attraction,
    AttractionCategory,
    AttractionTag,
    Provider,
    Status,
)


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


def _filters(q: Query) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Attraction.status.in_(q.statuses), Attraction.merged_into_id.is_(None)]
    if q.categories:
        conds.append(exists().where(AttractionCategory.attraction_id == Attraction.id,
                                    AttractionCategory.category.in_(q.categories)))
    for tag in q.tags:
        conds.append(exists().where(AttractionTag.attraction_id == Attraction.id,
                                    AttractionTag.tag == tag.lower()))
    if q.text:
        for word in q.text.lower().split()[:8]:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conds.append(Attraction.search_text.like(f"%{escaped}%", escape="\\"))
    if q.wheelchair == "yes":
        conds.append(Attraction.wheelchair == "yes")
    elif q.wheelchair == "limited":
        conds.append(Attraction.wheelchair.in_(("yes", "limited")))
    if q.provider:
        conds.append(Attraction.provider_id.in_(select(Provider.id).where(Provider.slug == q.provider)))
    if q.near:
        lat, lon = q.near
        dlat = q.radius_km / 111.0
        dlon = dlat / max(0.01, math.cos(math.radians(min(89.0, abs(lat) + dlat))))
        conds += [Attraction.lat.between(lat - dlat, lat + dlat),
                  Attraction.lon.between(lon - dlon, lon + dlon)]
    return conds


def _is_open(row: Row[Any] | Any, q: Query) -> bool:
    if q.open_at is None:
        return True
    if not row.opening_hours:
        return False
    return Schedule(row.opening_hours, q.timezone, q.country, row.lat, row.lon).is_open(q.open_at)


def search(session: Session, q: Query, *, limit: int, after: tuple[float, int] | None = None) -> Page:
    """One page of attractions matching ``q``, after the keyset ``after``.

    Ordered nearest first when ``q.near`` is set (ties by id), otherwise by id. Only the
    columns needed to filter and order are scanned; full records are loaded for the page.
    """
    light = select(Attraction.id, Attraction.lat, Attraction.lon, Attraction.opening_hours).where(*_filters(q))
    chosen: list[tuple[int, float | None]] = []
    if q.near:
        rows = session.execute(light).all()
        if rows:
            lats = np.fromiter((r.lat for r in rows), float, len(rows))
            lons = np.fromiter((r.lon for r in rows), float, len(rows))
            # Rounded to the millimetre so the cursor's float compares exactly.
            dist = np.round(haversine_km(q.near[0], q.near[1], lats, lons), 6)
            ids = np.fromiter((r.id for r in rows), np.int64, len(rows))
            for i in np.lexsort((ids, dist)):
                d = float(dist[i])
                if d > q.radius_km:
                    break
                if after is not None and (d, int(ids[i])) <= after:
                    continue
                if _is_open(rows[i], q):
                    chosen.append((int(ids[i]), d))
                    if len(chosen) > limit:
                        break
    else:
        last_id = after[1] if after else 0
        batch = max(limit * 4, 100)
        while len(chosen) <= limit:
            rows = session.execute(light.where(Attraction.id > last_id).order_by(Attraction.id).limit(batch)).all()
            chosen += [(r.id, None) for r in rows if _is_open(r, q)]
            if len(rows) < batch:
                break
            last_id = rows[-1].id
    more = len(chosen) > limit
    chosen = chosen[:limit]
    records = {a.id: a for a in session.scalars(select(Attraction).where(Attraction.id.in_([c[0] for c in chosen])))}
    hits = [Hit(records[i], None if d is None else round(d, 3)) for i, d in chosen]
    next_key = (chosen[-1][1] or 0.0, chosen[-1][0]) if more and chosen else None
    return Page(hits, next_key)


def get(session: Session, attraction_id: int, statuses: tuple[str, ...] | None = None) -> Attraction | None:
    att = session.get(Attraction, attraction_id)
    if att is None or (statuses is not None and att.status not in statuses):
        return None
    return att
