"""Rollup maintenance on both backends: the cells equal the events, whatever path they took.

The oracle is the pandas frame (frames.load_events): its local day, hour, type, attraction,
market and visitor per event, counted, must be exactly the rollup cells' counts.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import rollups, service, simulate, store
from causeway.analytics.consumer import Writer, WriterConfig
from causeway.analytics.frames import Scope, load_catalogue, load_events
from causeway.analytics.models import Event
from causeway.analytics.rollup_models import RollupCell, RollupItinerary, RollupStopDone
from causeway.analytics.stream import MemoryEventStream
from tests.analytics import analytics_helpers as h
from tests.analytics.events_helpers import encoded, event

TZ = "Europe/London"
NOW = dt.datetime(2026, 6, 20, 15, 0, tzinfo=dt.UTC)
SMALL = simulate.DemoConfig(visitors=150, days=14, campaign_days=4, campaign_attractions=2)
KEYS = ["day", "attraction_id", "type", "hour", "market", "visitor_id"]


def _oracle(factory: sessionmaker[Session], start: dt.date, end: dt.date) -> pd.Series:
    with factory() as s:
        catalogue, merged = load_catalogue(s)
        ev = load_events(s, Scope(start, end, TZ), catalogue, {})
    frame = pd.DataFrame({
        "day": ev["date"].dt.date, "attraction_id": ev["attraction_id"].fillna(0).astype(int),
        "type": ev["type"], "hour": ev["local"].dt.hour.astype("int64"),
        "market": ev["market"].fillna("unknown").str.upper(), "visitor_id": ev["visitor_id"].fillna(0).astype(int)})
    return frame.groupby(KEYS).size().rename("n").sort_index()


def _cells(factory: sessionmaker[Session]) -> pd.Series:
    with factory() as s:
        rows = s.execute(select(RollupCell.day, RollupCell.attraction_id, RollupCell.type, RollupCell.hour,
                                RollupCell.market, RollupCell.visitor_id, func.sum(RollupCell.n))
                         .group_by(RollupCell.day, RollupCell.attraction_id, RollupCell.type, RollupCell.hour,
                                   RollupCell.market, RollupCell.visitor_id)).all()
    frame = pd.DataFrame(rows, columns=[*KEYS, "n"])
    frame["n"] = frame["n"].astype(int)
    return frame.set_index(KEYS)["n"].sort_index()


@pytest.fixture
def demo(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory.begin() as s:
        ids = h.catalogue(s)
    with factory.begin() as s:
        simulate.load(s, SMALL, timezone=TZ, now=NOW)
    return ids


def test_refresh_equals_the_events_and_is_idempotent_and_resumable(factory, demo) -> None:  # type: ignore[no-untyped-def]
    start, end = dt.date(2026, 6, 1), dt.date(2026, 6, 21)
    oracle = _oracle(factory, start, end)
    assert len(oracle) > 500 and "itinerary_plan" in set(oracle.index.get_level_values("type"))
    # A chunk at a time (as after a crash between chunks): the same cells as in one go.
    while rollups.refresh(factory, TZ, batch=997, max_batches=1):
        pass
    pd.testing.assert_series_equal(_cells(factory), oracle, check_names=False)
    assert rollups.refresh(factory, TZ) == 0  # nothing new: nothing added
    pd.testing.assert_series_equal(_cells(factory), oracle, check_names=False)
    rollups.rebuild(factory, TZ)
    assert rollups.refresh(factory, TZ) > 0
    pd.testing.assert_series_equal(_cells(factory), oracle, check_names=False)
    with factory() as s:
        n_created = s.scalar(select(func.count()).select_from(Event).where(Event.type == "itinerary_created"))
        n_done = s.scalar(select(func.count()).select_from(Event).where(Event.type == "itinerary_stop_done"))
        assert s.scalar(select(func.count()).select_from(RollupItinerary)) == n_created > 0
        assert s.scalar(select(func.count()).select_from(RollupStopDone)) == n_done


def test_replacing_the_demo_events_retracts_the_old_ones(factory, demo) -> None:  # type: ignore[no-untyped-def]
    rollups.refresh(factory, TZ)
    later = NOW + dt.timedelta(days=1)  # another day: the simulation is replaced
    with factory.begin() as s:
        assert simulate.load(s, SMALL, timezone=TZ, now=later).status == "replaced"
    rollups.refresh(factory, TZ)
    pd.testing.assert_series_equal(_cells(factory), _oracle(factory, dt.date(2026, 6, 1), dt.date(2026, 6, 22)),
                                   check_names=False)


def test_duplicates_late_events_and_erasure_are_exact(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        ids = h.catalogue(s)
        people = h.visitors(s, 3)
    stream = MemoryEventStream()
    writer = Writer(stream, factory, "w", WriterConfig(claim_idle_ms=0),
                    refresher=rollups.Refresher(factory, TZ, max_batches=None))
    docs = [event("visit", attraction_id=ids["keep"]),
            event("save", attraction_id=ids["keep"], age=dt.timedelta(days=6, hours=1))]  # offline, late
    for _ in range(2):  # a re-send of the same batch, as a new entry
        stream._s.seen.clear()  # the stream forgot it saw them: only the database can tell
        stream.publish([encoded(d, visitor_id=people[0]) for d in docs])
        writer.drain()
    cells = _cells(factory)
    assert cells.sum() == 2
    late_day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=6, hours=1)).astimezone(
        __import__("zoneinfo").ZoneInfo(TZ)).date()
    assert cells.xs("save", level="type").index.get_level_values("day").tolist() == [late_day]
    # Erasure: the counts stay, the visitor goes (rows folded into visitor 0).
    with factory.begin() as s:
        rollups.forget_visitor(s, people[0])
        store.unlink_visitor(s, people[0])
    after = _cells(factory)
    assert after.sum() == 2 and set(after.index.get_level_values("visitor_id")) == {0}
    with factory.begin() as s:
        rollups.forget_visitor(s, people[1])  # nobody's rows: nothing changes
    pd.testing.assert_series_equal(_cells(factory), after)


def test_watermark_follows_deletions_of_the_newest_events(factory: sessionmaker[Session]) -> None:
    """SQLite gives a new row max(id) + 1: after the newest rows are deleted, ids below the
    watermark come back, and must still be aggregated."""
    with factory.begin() as s:
        ids = h.catalogue(s)
        (v,) = h.visitors(s, 1)
        h.events(s, h.each("visit", [v], ids["keep"], h.at(0)) * 1 + h.each("save", [v], ids["keep"], h.at(0)))
    rollups.refresh(factory, TZ)
    with factory.begin() as s:
        top = s.scalar(select(func.max(Event.id)))
        rollups.retract(s, "e.id = :top", {"top": top})
        s.execute(delete(Event).where(Event.id == top))
        rollups.after_delete(s)
        h.events(s, h.each("share", [v], ids["keep"], h.at(1)))
    rollups.refresh(factory, TZ)
    assert set(_cells(factory).index.get_level_values("type")) == {"visit", "share"}


def test_timezone_change_needs_a_rebuild(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        ids = h.catalogue(s)
        (v,) = h.visitors(s, 1)
        h.events(s, h.each("visit", [v], ids["keep"], h.at(0, 0, 30)))  # 00:30 in London, 23:30 UTC
    rollups.refresh(factory, TZ)
    with factory.begin() as s:
        h.events(s, h.each("visit", [v], ids["keep"], h.at(1)))
    with pytest.raises(rollups.TimezoneMismatch):
        rollups.refresh(factory, "UTC")
    rollups.rebuild(factory, "UTC")
    rollups.refresh(factory, "UTC")
    days = sorted(set(_cells(factory).index.get_level_values("day")))
    assert days == [dt.date(2026, 5, 31), dt.date(2026, 6, 2)]
    with factory() as s:
        assert s.execute(text("SELECT timezone FROM analytics_rollup_state")).scalar() == "UTC"


def _sums(factory: sessionmaker[Session]) -> tuple[list, list]:
    with factory() as s:
        sums = s.execute(text("SELECT grain, bucket, attraction_id, type, market, hour, n, sim, v FROM analytics_sums "
                              "WHERE n <> 0 OR v <> 0 ORDER BY 1, 2, 3, 4, 5, 6")).all()
        presence = s.execute(text("SELECT grain, bucket, visitor_id FROM analytics_presence ORDER BY 1, 2, 3")).all()
    return [tuple(r) for r in sums], [tuple(r) for r in presence]


def test_sums_maintained_chunk_by_chunk_equal_the_sums_rebuilt_from_the_cells(factory, demo) -> None:  # type: ignore[no-untyped-def]
    """The sums' distinct visitors are counted incrementally (a visitor new to a row adds one);
    after small chunks, late events, a re-sent batch and an erasure they equal a recount."""
    while rollups.refresh(factory, TZ, batch=733, max_batches=1):
        pass
    with factory.begin() as s:
        people = h.visitors(s, 2)
        h.events(s, h.each("visit", people, demo["keep"], h.at(-10, 9))  # a late upload, 10 days old
                 + h.each("save", people[:1], demo["quay"], h.at(0, 10)))
    rollups.refresh(factory, TZ, batch=1)
    with factory.begin() as s:
        (someone,) = s.execute(text("SELECT visitor_id FROM analytics_cells WHERE visitor_id <> 0 "
                                    "GROUP BY visitor_id ORDER BY count(*) DESC LIMIT 1")).one()
        rollups.forget_visitor(s, someone)
        store.unlink_visitor(s, someone)
    incremental = _sums(factory)
    assert len(incremental[0]) > 1000 and incremental[1]
    assert {r[0] for r in incremental[0]} == {"d", "m"}
    with factory.begin() as s:
        rollups.rebuild_sums(s)
    assert _sums(factory) == incremental
    with factory() as s:  # and the per-row support is the cells' distinct visitors
        top = s.execute(text("SELECT max(v) FROM analytics_sums WHERE attraction_id = -1 AND market = '*' "
                             "AND hour = -1")).scalar()
    assert top and top > 1


def test_a_bulk_refresh_recounts_the_sums_once_caught_up(factory, demo) -> None:  # type: ignore[no-untyped-def]
    while rollups.refresh(factory, TZ, batch=1500, max_batches=1):  # chunk by chunk, counting visitors
        pass
    incremental = _sums(factory)
    rollups.rebuild(factory, TZ)
    rollups.refresh(factory, TZ, batch=300, max_batches=2, bulk_after=0)  # far behind: cells only
    with factory() as s:
        st = rollups.status(s)
        assert not st.sums_valid and st.lag > 0
        assert service.choose_source(s, "auto", TZ, refresh_max=0) == "events"
    rollups.refresh(factory, TZ, batch=1500, bulk_after=0)
    with factory() as s:
        assert rollups.status(s).sums_valid
    assert _sums(factory) == incremental
