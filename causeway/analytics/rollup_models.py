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
- :class:`RollupState`: the watermark (the highest ``events.id`` aggregated) and the time
  zone whose local days and hours the rollups are bucketed in.

No foreign keys to events or attractions: rollups outlive raw events (retention) and keep
the attraction id as the event had it (merges are resolved when a report runs).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from causeway.db import Base, UTCDateTime

NO_VISITOR = 0  # erased or anonymous
NO_ATTRACTION = 0


class RollupCell(Base):
    __tablename__ = "analytics_cells"
    __table_args__ = (Index("ix_analytics_cells_visitor", "visitor_id"),
                      Index("ix_analytics_cells_attraction_day", "attraction_id", "day"))

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


class RollupState(Base):
    __tablename__ = "analytics_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
