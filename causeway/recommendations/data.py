"""From the database to the recommender's frames, and from a stored profile to its features.

The recommender library (:mod:`causeway.recommender`) takes DataFrames and never touches
the database; this module is the one place that knows both sides.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from causeway.analytics.models import Event
from causeway.auth.profile import Profile
from causeway.content.models import Attraction, AttractionCategory, AttractionTag, Provider, Status
from causeway.recommender.features import base_area

#: Profile travel modes -> the model's travel-mode vocabulary (the simulator's too).
MODEL_TRAVEL_MODE = {"walking": "foot", "cycling": "cycle", "public_transport": "transit",
                     "driving": "car"}
#: Events that say something about a visitor's taste (impressions are exposure only, and
#: itinerary bookkeeping events carry no attraction preference of their own).
INTERACTION_TYPES = ("visit", "save", "virtual_visit", "media_play", "detail_view",
                     "itinerary_created", "share", "impression")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while millions of row tuples are built: they hold no
    cycles, and its repeated full passes over them were about half the time of reading 1M
    events."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def catalogue_frame(session: Session) -> pd.DataFrame:
    """Published attractions as the recommender's item frame.

    Columns: ``attraction_id`` (str), ``lat``, ``lon``, ``categories``, ``tags``, ``area``
    (the town), ``price_band``, ``accessibility``, ``provider_id``, ``provider_size``,
    ``opening_hours``, ``visit_minutes``. Sorted by id, so the order is stable.
    """
    rows = session.execute(
        select(Attraction.id, Attraction.lat, Attraction.lon, Attraction.town, Attraction.price_band,
               Attraction.wheelchair, Attraction.provider_id, Provider.size_class,
               Attraction.opening_hours, Attraction.visit_minutes)
        .join(Provider, Provider.id == Attraction.provider_id)
        .where(Attraction.status == Status.published.value)
        .order_by(Attraction.id)).all()
    published = select(Attraction.id).where(Attraction.status == Status.published.value)
    cats: dict[int, list[str]] = {}
    for aid, cat in session.execute(
            select(AttractionCategory.attraction_id, AttractionCategory.category)
            .where(AttractionCategory.attraction_id.in_(published))
            .order_by(AttractionCategory.attraction_id, AttractionCategory.position)):
        cats.setdefault(aid, []).append(cat)
    tags: dict[int, list[str]] = {}
    for aid, tag in session.execute(
            select(AttractionTag.attraction_id, AttractionTag.tag)
            .where(AttractionTag.attraction_id.in_(published))):
        tags.setdefault(aid, []).append(tag)
    return pd.DataFrame({
        "attraction_id": [str(r.id) for r in rows],
        "lat": [r.lat for r in rows], "lon": [r.lon for r in rows],
        "categories": [cats.get(r.id, []) for r in rows],
        "tags": [tags.get(r.id, []) for r in rows],
        "area": [(r.town or "").strip().lower() or None for r in rows],
        "price_band": [r.price_band for r in rows],
        "accessibility": [[f"wheelchair-{r.wheelchair}"] if r.wheelchair != "unknown" else []
                          for r in rows],
        "provider_id": [str(r.provider_id) for r in rows],
        "provider_size": [r.size_class for r in rows],
        "opening_hours": [r.opening_hours for r in rows],
        "visit_minutes": [r.visit_minutes for r in rows],
    })


def catalogue_fingerprint(session: Session) -> tuple[int, str]:
    """(published count, newest change): cheap to read, changes whenever the catalogue does."""
    count, newest = session.execute(
        select(func.count(), func.max(Attraction.updated_at))
        .where(Attraction.status == Status.published.value)).one()
    return int(count), str(newest)


def events_frame(session: Session, *, since: dt.datetime | None = None) -> pd.DataFrame:
    """Interaction events of visitors who still exist, for training.

    Columns ``visitor_id`` (str), ``attraction_id`` (str), ``event_type``, ``timestamp``,
    ``simulated``. Events on a record merged into another count for the kept record;
    events of erased visitors (``visitor_id`` NULL) are not attributable and are left out.
    """
    kept = func.coalesce(Attraction.merged_into_id, Event.attraction_id)
    # Core rows, and the timestamp as the driver returns it (SQLite: an ISO string, read as
    # UTC; PostgreSQL: an aware datetime), parsed by pandas in one pass.
    raw_time = type_coerce(Event.occurred_at, String)
    query = (select(Event.visitor_id, kept.label("attraction_id"), Event.type, raw_time,
                    Event.simulated)
             .join(Attraction, Attraction.id == Event.attraction_id)
             .where(Event.visitor_id.is_not(None), Event.type.in_(INTERACTION_TYPES)))
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    with _gc_paused():
        rows = session.connection().execute(query).all()
        visitor, attraction, kind, when, simulated = (
            list(column) for column in zip(*rows)) if rows else ([], [], [], [], [])
        del rows
    return pd.DataFrame({
        "visitor_id": pd.Series(visitor, dtype="int64").astype(str),
        "attraction_id": pd.Series(attraction, dtype="int64").astype(str),
        "event_type": pd.Series(kind, dtype=str),
        "timestamp": pd.to_datetime(pd.Series(when, dtype=object), utc=True, format="ISO8601"),
        "simulated": pd.Series(simulated, dtype=bool),
    })


def model_profile(profile: Profile | dict[str, Any] | None) -> dict[str, Any]:
    """A stored profile as the recommender's user-feature record."""
    if profile is None:
        return {}
    p = profile if isinstance(profile, Profile) else Profile.model_validate(profile)
    record: dict[str, Any] = {"interests": list(p.interests)}
    if p.stay is not None:
        record["stay_days"] = p.stay.days
    if p.travel_mode is not None:
        record["travel_mode"] = MODEL_TRAVEL_MODE[p.travel_mode]
    if p.party is not None:
        record["party_type"] = p.party
    if p.base is not None:
        record["base_area"] = base_area(p.base.lat, p.base.lon)
    return record


def visitors_frame(session: Session, visitor_ids: list[str]) -> pd.DataFrame:
    """Profiles of the given visitors as the recommender's user frame."""
    from causeway.auth.models import Visitor
    from causeway.auth.profile import read

    ids = [int(v) for v in visitor_ids if v.isdigit()]
    records = []
    with _gc_paused():
        for chunk in range(0, len(ids), 5000):
            for vid, raw in session.execute(select(Visitor.id, Visitor.profile)
                                            .where(Visitor.id.in_(ids[chunk:chunk + 5000]))):
                records.append({"visitor_id": str(vid), **model_profile(read(raw))})
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame({"visitor_id": pd.Series(dtype=str)})
    return frame
