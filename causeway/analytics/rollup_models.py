"""Rollup tables: the events the board's reports need, aggregated as they arrive (issue 16).

The reports read these instead of raw events (see :mod:`causeway.analytics.rollups` for how
they are maintained and :mod:`causeway.analytics.rollup_source` for how reports read them).

- :class:`RollupCell`: event counts per local day x local hour x attraction x type x origin
  market x simulated x visitor. The visitor is in the grain because k-anonymity needs the
  *distinct* visitors behind any cell a report publishes, over any date range and any set
  of attractions: ``COUNT(DISTINCT visitor_id)`` over these rows is exact. Erased visitors'
  rows are folded into visitor 0 (counted, linked to nobody, no support). Planned
  itinerary stops are cells of type ``itinerary_plan``, one per stop.
- :class:`RollupDwell`: virtual-visit dwell values (per day, attraction and visitor), so
  medians and quantiles over any range are exact.
- :class:`RollupItinerary`, :class:`RollupItineraryStop`, :class:`RollupStopDone`: one row
  per ``itinerary_created`` event (stay length, planned stops) and per
  ``itinerary_stop_done`` event: planned-vs-done is a join per itinerary.
- :class:`RollupSum`: the cells without the visitor, per local day and per local month
  (``grain`` d/m), in four grouping sets: per attraction; all attractions (``attraction_id``
  -1); all attractions per origin market; all attractions per local hour (``market`` ``*``
  and ``hour`` -1 where not split). ``n`` events, ``sim`` simulated events, ``v`` the exact
  distinct non-erased visitors of the row: a *lower bound* of the support of any report cell
  the row is part of, so most k decisions need no visitor rows (see ``sources.py``).
- :class:`RollupPresence`: distinct non-erased visitors per local day and month (a board's
  distinct visitors over any range without reading the cells).
- :class:`RollupState`: the watermark (the highest ``events.id`` aggregated) and the time
  zone whose local days and hours the rollups are bucketed in.

No foreign keys to events or attractions: rollups outlive raw events (retention) and keep
the attraction id as the event had it (merges are resolved when a report runs).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import true as sa_true
from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from causeway.db import Base, UTCDateTime

NO_VISITOR = 0  # erased or anonymous
NO_ATTRACTION = 0


class RollupCell(Base):
    __tablename__ = "analytics_cells"
    __table_args__ = (Index("ix_analytics_cells_visitor", "visitor_id", "type", "day"),
                      Index("ix_analytics_cells_attraction_type_day", "attraction_id", "type", "day"))

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    attraction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(24), primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    market: Mapped[str] = mapped_column(String(8), primary_key=True)  # upper case, UNKNOWN when none
    simulated: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class RollupDwell(Base):
    __tablename__ = "analytics_dwell"
    __table_args__ = (Index("ix_analytics_dwell_visitor", "visitor_id"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    attraction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seconds: Mapped[float] = mapped_column(Float, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    simulated: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class RollupItinerary(Base):
    __tablename__ = "analytics_itineraries"
    __table_args__ = (Index("ix_analytics_itineraries_day", "day"),
                      Index("ix_analytics_itineraries_visitor", "visitor_id"))

    event_row_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                              autoincrement=False)
    itinerary_id: Mapped[str | None] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    visitor_id: Mapped[int] = mapped_column(Integer)
    days: Mapped[float | None] = mapped_column(Float)  # stay length (context.days), None when unusable
    simulated: Mapped[bool] = mapped_column(Boolean)


class RollupItineraryStop(Base):
    __tablename__ = "analytics_itinerary_stops"

    event_row_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                              autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    attraction_id: Mapped[int] = mapped_column(Integer)


class RollupStopDone(Base):
    __tablename__ = "analytics_stops_done"
    __table_args__ = (Index("ix_analytics_stops_done_day", "day"),
                      Index("ix_analytics_stops_done_visitor", "visitor_id"))

    event_row_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                              autoincrement=False)
    itinerary_id: Mapped[str | None] = mapped_column(String(64))
    attraction_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    visitor_id: Mapped[int] = mapped_column(Integer)


ALL = -1  # RollupSum: all attractions / all hours
ANY_MARKET = "*"


class RollupSum(Base):
    __tablename__ = "analytics_sums"
    __table_args__ = (Index("ix_analytics_sums_attraction", "attraction_id", "grain", "bucket"),)

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)  # d: local day, m: local month
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the day, or the month's first day
    attraction_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(24), primary_key=True)
    market: Mapped[str] = mapped_column(String(8), primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
    sim: Mapped[int] = mapped_column(BigInteger)
    v: Mapped[int] = mapped_column(Integer)


class RollupPresence(Base):
    __tablename__ = "analytics_presence"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    visitor_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class RollupState(Base):
    __tablename__ = "analytics_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # False while bulk chunks (a backfill) have gone into the cells only: the sums are recounted
    # from the cells when the refresh catches up, and until then reports read the raw events.
    sums_valid: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
