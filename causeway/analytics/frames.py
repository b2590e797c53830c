"""The analytics inputs, read from the database into DataFrames: the scope, the catalogue, events.

A :class:`Scope` is what a board member or a venue asks about: local dates (in the
destination's time zone, both ends included) and filters on attractions (category, a
bounding box, a circle, a town, providers, ids). The SQL narrows events by time and, when
the scope is a subset of the catalogue, by attraction; pandas does the rest.

Events reach the frame as they were stored, with three adjustments:

- an event on a record that was later merged into another counts for the record kept;
- ``itinerary_created`` (one event per itinerary, ``context.stops`` the attraction ids
  planned and ``context.days`` the stay length) is kept as is and also expanded into one
  :data:`PLAN` row per planned stop, so "planned in an itinerary" counts per attraction;
- ``occurred_at`` (the client's clock, UTC) becomes ``local`` time and a local ``date``.

Visitor ids are read, because k-anonymity needs distinct visitors per cell; they, and the
itinerary and recommendation ids, never leave :mod:`causeway.analytics` (see privacy.py).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from causeway.analytics.models import Event
from causeway.geo import haversine_km
from causeway.content.models import Attraction, AttractionCategory, Provider

T = TypeVar("T")
PLAN = "itinerary_plan"  # internal row type: one stop planned in an itinerary
EVENT_COLUMNS = ["type", "visitor_id", "attraction_id", "occurred_at", "dwell_seconds", "market",
                 "simulated", "itinerary_id"]
_SQL_IN_LIMIT = 5000  # longer attraction lists are filtered in pandas instead of an IN (...)


@dataclass(frozen=True)
class Scope:
    """Which events an analytics request covers."""

    start: dt.date
    end: dt.date  # inclusive
    timezone: str = "Europe/London"
    categories: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north (degrees)
    near: tuple[float, float] | None = None  # lat, lon
    radius_km: float = 25.0
    town: str | None = None
    provider_ids: tuple[int, ...] | None = None
    attraction_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the date range ends before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def restricted(self) -> bool:
        """Whether the scope is a subset of the catalogue rather than all of it."""
        return bool(self.categories or self.bbox or self.near or self.town
                    or self.provider_ids is not None or self.attraction_ids is not None)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of ``start`` to local midnight after ``end``."""
        tz = ZoneInfo(self.timezone)
        lo = dt.datetime.combine(self.start, dt.time(), tzinfo=tz)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return lo.astimezone(dt.UTC), hi.astimezone(dt.UTC)

    def previous(self) -> Scope:
        """The period of the same length just before this one, same filters."""
        return replace(self, start=self.start - dt.timedelta(days=self.days),
                       end=self.start - dt.timedelta(days=1))


def load_catalogue(session: Session) -> tuple[pd.DataFrame, dict[int, int]]:
    """Every attraction that stands on its own (not merged), and where merged ids went.

    Returns
    -------
    catalogue : DataFrame, one row per attraction
        ``attraction_id, name, provider_id, provider, provider_name, size_class, lat, lon,
        town, status, categories`` (a tuple of taxonomy slugs), ``has_website``,
        ``popularity_tier`` (the board's editorial tier 1..4 from ``extra.popularity_tier``, 0
        when the record has none).
    merged : dict
        id of a merged record -> id of the record it was merged into (chains followed).
    """
    rows = session.execute(
        select(Attraction.id, Attraction.name, Attraction.provider_id, Provider.slug, Provider.name,
               Provider.size_class, Attraction.lat, Attraction.lon, Attraction.town, Attraction.status,
               Attraction.merged_into_id, Attraction.website.is_not(None), Attraction.extra)
        .join(Provider, Provider.id == Attraction.provider_id)).all()
    cats: dict[int, list[str]] = {}
    for att_id, cat in session.execute(select(AttractionCategory.attraction_id, AttractionCategory.category)
                                        .order_by(AttractionCategory.attraction_id,
                                                  AttractionCategory.position)):
        cats.setdefault(att_id, []).append(cat)
    parent = {r[0]: r[10] for r in rows if r[10] is not None}
    merged = {}
    for child in parent:
        seen, top = {child}, parent[child]
        while top in parent and top not in seen:  # follow A -> B -> C; a cycle stops where it closes
            seen.add(top)
            top = parent[top]
        merged[child] = top
    frame = pd.DataFrame(
        [(r[0], _name(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], tuple(cats.get(r[0], ())),
          bool(r[11]), popularity_tier(r[12])) for r in rows if r[10] is None],
        columns=["attraction_id", "name", "provider_id", "provider", "provider_name", "size_class",
                 "lat", "lon", "town", "status", "categories", "has_website", "popularity_tier"])
    return frame.sort_values("attraction_id", kind="stable").reset_index(drop=True), merged


def popularity_tier(extra: dict | None) -> int:
    """The editorial popularity tier (1 flagship .. 4 local) in ``extra``, 0 when there is none."""
    value = (extra or {}).get("popularity_tier")
    try:
        tier = int(str(value).strip())
    except ValueError:
        return 0
    return tier if 1 <= tier <= 4 else 0


def _name(names: dict[str, str] | None) -> str:
    names = names or {}
    return names.get("en") or next(iter(names.values()), "")


def in_scope(catalogue: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The catalogue rows the scope's attraction filters keep (all of them when unrestricted)."""
    keep = np.ones(len(catalogue), dtype=bool)
    if scope.provider_ids is not None:
        keep &= catalogue["provider_id"].isin(scope.provider_ids).to_numpy()
    if scope.attraction_ids is not None:
        keep &= catalogue["attraction_id"].isin(scope.attraction_ids).to_numpy()
    if scope.categories:
        wanted = set(scope.categories)
        keep &= np.fromiter((bool(wanted.intersection(c)) for c in catalogue["categories"]),
                            dtype=bool, count=len(catalogue))
    if scope.town:
        keep &= (catalogue["town"].fillna("").str.casefold() == scope.town.casefold()).to_numpy()
    lats, lons = catalogue["lat"].to_numpy(float), catalogue["lon"].to_numpy(float)
    if scope.bbox:
        west, south, east, north = scope.bbox
        in_lon = (lons >= west) & (lons <= east) if west <= east else (lons >= west) | (lons <= east)
        keep &= in_lon & (lats >= south) & (lats <= north)
    if scope.near:
        keep &= haversine_km(scope.near[0], scope.near[1], lats, lons) <= scope.radius_km
    return catalogue[keep].reset_index(drop=True)


def load_events(session: Session, scope: Scope, catalogue: pd.DataFrame,
                merged: dict[int, int]) -> pd.DataFrame:
    """The events in ``scope`` on the attractions of ``catalogue`` (already narrowed by :func:`in_scope`).

    Columns: ``type, visitor_id (Int64, <NA> once erased), attraction_id (Int64), local
    (tz-aware, destination time), date (naive local midnight), dwell_seconds, market, simulated, itinerary_id,
    days`` (stay length, itinerary_created only), with :data:`PLAN` rows added.
    """
    lo, hi = scope.utc_bounds()
    wanted = set(catalogue["attraction_id"].tolist())
    raw_ids = sorted(wanted | {m for m, kept in merged.items() if kept in wanted})
    # occurred_at as the driver returns it (SQLite: a UTC string, PostgreSQL: an aware datetime):
    # pandas converts a column at once, far faster than a Python conversion per row.
    cols = [type_coerce(Event.occurred_at, String) if c == "occurred_at" else getattr(Event, c)
            for c in EVENT_COLUMNS]
    in_range = (Event.occurred_at >= lo, Event.occurred_at < hi)
    # Two queries, so each can use an index: events on attractions (by attraction and time
    # when the scope is a few attractions), and itineraries (by time and type), with context.
    stmt = select(*cols).where(*in_range, Event.type != "itinerary_created")
    if scope.restricted and len(raw_ids) <= _SQL_IN_LIMIT:
        stmt = stmt.where(Event.attraction_id.in_(raw_ids))
    conn = session.connection()
    frame = _frame(conn.execute(stmt).fetchall(), EVENT_COLUMNS)
    created = _frame(conn.execute(select(*cols, Event.context).where(
        *in_range, Event.type == "itinerary_created")).fetchall(), [*EVENT_COLUMNS, "context"])
    itineraries = pd.DataFrame({
        "itinerary_id": created["itinerary_id"],
        "stops": [_stops(c.get("stops")) if isinstance(c, dict) else [] for c in created["context"]],
        "days": [_days(c.get("days")) if isinstance(c, dict) else math.nan for c in created["context"]]})
    if len(created):
        frame = pd.concat([frame, created[EVENT_COLUMNS]], ignore_index=True) if len(frame) else created[EVENT_COLUMNS]
    return _prepare(frame, itineraries, scope, wanted, merged)


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: [] for c in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def _stops(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    stops = []
    for v in value:
        if isinstance(v, dict):  # {"attraction_id": 5, ...} is accepted as well as a bare id
            v = v.get("attraction_id")
        if isinstance(v, int) and not isinstance(v, bool):
            stops.append(v)
        elif isinstance(v, str) and v.isdigit():
            stops.append(int(v))
    return stops


def _days(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    return math.nan


def _prepare(frame: pd.DataFrame, itineraries: pd.DataFrame, scope: Scope, wanted: set[int],
             merged: dict[int, int]) -> pd.DataFrame:
    frame = frame.astype({"visitor_id": "Int64", "attraction_id": "Int64", "dwell_seconds": "float64",
                          "simulated": "bool"})
    if merged and len(frame):
        frame["attraction_id"] = frame["attraction_id"].map(lambda a: merged.get(a, a) if a is not pd.NA else a,
                                                            na_action="ignore").astype("Int64")
    frame["days"] = np.nan
    created = frame["type"] == "itinerary_created"
    if len(itineraries) and created.any():
        stops = dict(zip(itineraries["itinerary_id"], itineraries["stops"], strict=True))
        days = dict(zip(itineraries["itinerary_id"], itineraries["days"], strict=True))
        frame.loc[created, "days"] = frame.loc[created, "itinerary_id"].map(days).astype(float)
        plans = frame[created].copy()
        plans["attraction_id"] = plans["itinerary_id"].map(lambda i: [merged.get(s, s) for s in stops.get(i, [])])
        plans = plans.explode("attraction_id").dropna(subset=["attraction_id"])
        plans["attraction_id"] = plans["attraction_id"].astype("Int64")
        plans["type"] = PLAN
        plans["days"] = np.nan
        frame = pd.concat([frame, plans], ignore_index=True)
    if scope.restricted:
        on_target = frame["attraction_id"].isin(wanted).fillna(False).to_numpy(bool)
        keep = on_target.copy()
        created = (frame["type"] == "itinerary_created").to_numpy()
        if created.any():  # an itinerary is in scope when one of its planned stops is
            hit = set(frame.loc[on_target & (frame["type"] == PLAN).to_numpy(), "itinerary_id"])
            keep |= created & frame["itinerary_id"].isin(hit).to_numpy()
        frame = frame[keep]
    else:  # the whole catalogue: events on no attraction (or one since deleted) still count in totals
        frame = frame[frame["attraction_id"].isna() | frame["attraction_id"].isin(wanted)
                      | (frame["type"] == "itinerary_created")]
    local = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601").dt.tz_convert(scope.timezone)
    # ``date``: the local calendar day as a naive midnight (datetime64, fast to bucket).
    frame = frame.drop(columns=["occurred_at"]).assign(local=local, date=local.dt.tz_localize(None).dt.normalize())
    return frame.reset_index(drop=True)


class FrameCache:
    """Frames loaded recently, per process, for ``ttl`` seconds.

    A dashboard asks for several reports over one scope within a second or two; each
    would otherwise read the same events again. Entries live ``ttl`` seconds (so new
    events, and erasures, show within that time); 0 disables the cache. Callers must not
    modify a frame they get from here.
    """

    def __init__(self, ttl: float, max_entries: int = 8) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        hit = self._items.get(key)
        if hit is not None and hit[0] > time.monotonic():
            self._items.move_to_end(key)
            return True, hit[1]
        return False, None

    def get_or_load(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached frame for ``key``, or ``load()``'s. Concurrent callers asking for the
        same key wait for one load (a dashboard sends its requests all at once)."""
        if self.ttl <= 0:
            return load()
        with self._lock:
            found, value = self._fresh(key)
            if found:
                return value  # type: ignore[no-any-return]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                found, value = self._fresh(key)
            if found:
                return value  # type: ignore[no-any-return]
            value = load()
            with self._lock:
                self._items[key] = (time.monotonic() + self.ttl, value)
                self._items.move_to_end(key)
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
                self._loading.pop(key, None)
        return value
