"""Aggregates and k-anonymity on hand-built frames, where every expected number is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from causeway.analytics import aggregates as agg
from causeway.analytics import privacy
from causeway.analytics.frames import PLAN, Scope, in_scope

TZ = "Europe/London"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """(type, visitor_id or None, attraction_id or None, UTC ISO time[, extra dict]) -> events frame."""
    recs = []
    for r in rows:
        extra = r[4] if len(r) > 4 else {}
        recs.append({"type": r[0], "visitor_id": r[1], "attraction_id": r[2], "occurred_at": r[3],
                     "dwell_seconds": extra.get("dwell"), "market": extra.get("market"),
                     "simulated": extra.get("simulated", False), "itinerary_id": extra.get("itinerary"),
                     "days": extra.get("days", np.nan)})
    df = pd.DataFrame(recs).astype({"visitor_id": "Int64", "attraction_id": "Int64", "dwell_seconds": float})
    local = pd.to_datetime(df.pop("occurred_at"), utc=True).dt.tz_convert(TZ)
    return df.assign(local=local, date=local.dt.tz_localize(None).dt.normalize())


CATALOGUE = pd.DataFrame({
    "attraction_id": [1, 2, 3, 4],
    "name": ["A", "B", "C", "D"],
    "provider_id": [10, 10, 20, 30],
    "provider": ["p10", "p10", "p20", "p30"],
    "provider_name": ["P10", "P10", "P20", "P30"],
    "size_class": ["small", "small", "medium", "large"],
    "lat": [55.0, 55.1, 54.6, 54.5],
    "lon": [-6.5, -6.4, -5.9, -5.8],
    "town": ["Bushmills", None, "Belfast", "belfast"],
    "status": ["published"] * 4,
    "categories": [("castle", "history"), ("garden",), ("history",), ("museum",)],
    "has_website": [False, False, True, True],
})


def test_gini_and_hhi_reference_values() -> None:
    assert agg.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert agg.gini([0, 0, 0, 8]) == pytest.approx(0.75)  # (n-1)/n: one holds everything
    # mean absolute difference / (2 * mean), computed by hand for 1, 2, 3, 4: 1.25 / 5
    assert agg.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert agg.hhi([5, 5, 5, 5]) == pytest.approx(0.25)
    assert agg.hhi([0, 0, 0, 8]) == pytest.approx(1.0)
    assert agg.hhi([1, 3]) == pytest.approx(0.0625 + 0.5625)
    assert np.isnan(agg.gini([0, 0])) and np.isnan(agg.hhi([]))


def test_counts_value_and_distinct_visitor_support_with_erased_events() -> None:
    ev = frame([("visit", 1, 1, "2026-06-01T10:00Z"), ("visit", 1, 1, "2026-06-01T11:00Z"),
                ("visit", 2, 1, "2026-06-01T12:00Z"), ("visit", None, 1, "2026-06-01T13:00Z"),
                ("visit", None, 1, "2026-06-01T14:00Z"), ("save", 3, 2, "2026-06-01T10:00Z")])
    b = agg.counts(ev, ["attraction_id"], {"visits": frozenset({"visit"}), "saves": frozenset({"save"})})
    assert b.values.loc[1, "visits"] == 5  # erased visitors' events still count...
    assert b.support.loc[1, "visits"] == 2  # ...but are no distinct visitor
    assert b.values.loc[2, "saves"] == 1 and b.values.loc[2, "visits"] == 0


def test_primary_suppression_hides_cells_below_k_and_keeps_zeros() -> None:
    idx = pd.Index(["a", "b", "c"], name="key")
    values = pd.DataFrame({"visits": [50, 7, 0]}, index=idx)
    support = pd.DataFrame({"visits": [12, 3, 0]}, index=idx)
    m = privacy.suppress(values, support, 10)
    assert m.primary["visits"].tolist() == [False, True, False]
    assert m.cells == 1
    rows = privacy.rows(m.values.index.to_frame(index=False), m)
    assert rows[1] == {"key": "b", "visits": None, "suppressed": ["visits"]}
    assert rows[2] == {"key": "c", "visits": 0, "suppressed": []}  # a zero describes nobody


def test_cell_backed_only_by_erased_events_stays_suppressed() -> None:
    ev = frame([("visit", None, 1, f"2026-06-01T{h:02d}:00Z") for h in range(8, 20)])
    b = agg.counts(ev, [], {"visits": frozenset({"visit"})})
    m = privacy.suppress(b.values, b.support, 10)
    assert int(b.values.iloc[0, 0]) == 12 and m.cells == 1


def test_secondary_suppression_protects_a_lone_cell_from_subtraction() -> None:
    idx = pd.Index(["a", "b", "c", "d"], name="attraction")
    values = pd.DataFrame({"visits": [100, 40, 20, 3]}, index=idx)
    support = pd.DataFrame({"visits": [60, 30, 15, 2]}, index=idx)
    m = privacy.suppress(values, support, 10, dims=["attraction"])
    assert m.primary["visits"].tolist() == [False, False, False, True]
    assert m.secondary["visits"].tolist() == [False, False, True, False]  # the next-smallest goes too
    assert m.cells == 2
    # Without a partition (dims empty), only the primary cell goes.
    assert privacy.suppress(values, support, 10).cells == 1


def test_secondary_suppression_runs_along_each_dimension_until_stable() -> None:
    idx = pd.MultiIndex.from_product([["d1", "d2"], ["a", "b", "c"]], names=["period", "attraction"])
    values = pd.DataFrame({"v": [50, 40, 5, 60, 45, 30]}, index=idx)
    support = pd.DataFrame({"v": [20, 20, 3, 25, 22, 12]}, index=idx)
    m = privacy.suppress(values, support, 10, dims=["period", "attraction"])
    hidden = m.mask["v"]
    # No row and no column may hold exactly one hidden cell.
    for level in ("period", "attraction"):
        per_group = hidden.groupby(level=level).sum()
        assert not (per_group == 1).any(), (level, per_group)
    assert hidden.loc[("d1", "c")]


def test_dispersal_head_tail_and_concentration() -> None:
    rows = []
    rows += [("visit", v, 1, "2026-06-01T10:00Z") for v in range(30)]  # attraction 1: 30 visits
    rows += [("visit", v, 2, "2026-06-01T10:00Z") for v in range(10)]  # attraction 2: 10
    rows += [("detail_view", v, 3, "2026-06-01T10:00Z") for v in range(20)]  # 3: attention only
    d = agg.dispersal(frame(rows), CATALOGUE, head_fraction=0.25)
    assert d.head_size == 1
    assert d.lesser_known.to_dict() == {1: False, 2: True, 3: True, 4: True}
    assert int(d.tail.values["visits"].iloc[0]) == 10
    assert int(d.totals.values["visits"].iloc[0]) == 40
    assert int(d.tail.values["attention"].iloc[0]) == 20
    assert d.gini_visits == pytest.approx(agg.gini([30, 10, 0, 0]))
    assert d.hhi_visits == pytest.approx((30 / 40) ** 2 + (10 / 40) ** 2)
    with pytest.raises(ValueError, match="head_fraction"):
        agg.dispersal(frame(rows), CATALOGUE, head_fraction=1.0)


def test_fairness_counts_catalogue_and_impressions_per_size_class() -> None:
    ev = frame([("impression", 1, 1, "2026-06-01T10:00Z"), ("impression", 2, 3, "2026-06-01T10:00Z"),
                ("impression", 3, 3, "2026-06-01T10:00Z"), ("visit", 3, 4, "2026-06-01T10:00Z")])
    cat_counts, b = agg.fairness(ev, CATALOGUE)
    assert cat_counts.to_dict() == {"small": 2, "medium": 1, "large": 1}
    assert b.values["impressions"].to_dict() == {"small": 1, "medium": 2, "large": 0}
    assert b.values["visits"].to_dict() == {"small": 0, "medium": 0, "large": 1}


def test_time_of_day_and_dates_are_local() -> None:
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (BST).
    ev = frame([("visit", 1, 1, "2026-06-01T23:30Z"), ("visit", 2, 1, "2026-01-15T23:30Z")])
    assert [d.date() for d in ev["date"]] == [dt.date(2026, 6, 2), dt.date(2026, 1, 15)]
    hours = agg.patterns(ev, "hour", {"visits": frozenset({"visit"})}).values["visits"]
    assert hours.loc[0] == 1 and hours.loc[23] == 1 and hours.sum() == 2
    weekdays = agg.patterns(ev, "weekday", {"visits": frozenset({"visit"})}).values["visits"]
    assert weekdays.loc["Tue"] == 1 and weekdays.loc["Thu"] == 1  # 2 June and 15 January 2026
    assert [p.date() for p in agg.periods(dt.date(2026, 6, 3), dt.date(2026, 6, 16), "week")] == [
        dt.date(2026, 6, 1), dt.date(2026, 6, 8), dt.date(2026, 6, 15)]
    assert [p.date() for p in agg.periods(dt.date(2026, 6, 20), dt.date(2026, 7, 2), "month")] == [
        dt.date(2026, 6, 1), dt.date(2026, 7, 1)]


def test_itineraries_planned_vs_done() -> None:
    ev = frame([
        ("itinerary_created", 1, None, "2026-06-01T08:00Z", {"itinerary": "i1", "days": 3}),
        (PLAN, 1, 1, "2026-06-01T08:00Z", {"itinerary": "i1"}),
        (PLAN, 1, 2, "2026-06-01T08:00Z", {"itinerary": "i1"}),
        ("itinerary_stop_done", 1, 1, "2026-06-01T12:00Z", {"itinerary": "i1"}),
        ("itinerary_stop_done", 1, 1, "2026-06-01T12:05Z", {"itinerary": "i1"}),  # twice: one stop
        ("itinerary_created", 2, None, "2026-06-01T08:00Z", {"itinerary": "i2", "days": 9}),
        (PLAN, 2, 3, "2026-06-01T08:00Z", {"itinerary": "i2"}),
        ("itinerary_stop_done", 2, 4, "2026-06-01T12:00Z", {"itinerary": "i2"}),  # not planned
    ])
    it = agg.itineraries(ev)
    assert it.overall.values.iloc[0].to_dict() == {"itineraries": 2, "stops_planned": 3, "stops_done": 1}
    assert it.stay.values["itineraries"].to_dict()["3"] == 1
    assert it.stay.values["itineraries"].to_dict()["7+"] == 1
    assert it.per_itinerary_planned == 1.5 and it.per_itinerary_done == 0.5


def test_dwell_statistics_and_buckets() -> None:
    ev = frame([("virtual_visit", v, 1, "2026-06-01T20:00Z", {"dwell": d})
                for v, d in enumerate([10, 45, 90, 200, 400, 900])])
    d = agg.dwell(ev)
    assert d.buckets.values["virtual_visits"].tolist() == [1, 1, 1, 1, 1, 1]
    assert d.seconds.median() == pytest.approx(145.0)
    assert int(d.per_attraction.loc[0, "count"]) == 6


def test_scope_filters_the_catalogue() -> None:
    base = Scope(dt.date(2026, 6, 1), dt.date(2026, 6, 7), TZ)
    assert not base.restricted
    ids = lambda **kw: in_scope(CATALOGUE, Scope(base.start, base.end, TZ, **kw))["attraction_id"].tolist()  # noqa: E731
    assert ids(categories=("history",)) == [1, 3]
    assert ids(bbox=(-6.6, 54.9, -6.3, 55.2)) == [1, 2]
    assert ids(near=(54.6, -5.9), radius_km=5) == [3]
    assert ids(town="BELFAST") == [3, 4]
    assert ids(provider_ids=(10,), categories=("garden",)) == [2]
    assert ids(provider_ids=(10,), attraction_ids=(3,)) == []  # ids never widen a provider scope
    with pytest.raises(ValueError, match="ends before"):
        Scope(dt.date(2026, 6, 7), dt.date(2026, 6, 1), TZ)
    prev = base.previous()
    assert (prev.start, prev.end) == (dt.date(2026, 5, 25), dt.date(2026, 5, 31))
    lo, hi = base.utc_bounds()
    assert lo == dt.datetime(2026, 5, 31, 23, 0, tzinfo=dt.UTC) and hi == dt.datetime(2026, 6, 7, 23, 0, tzinfo=dt.UTC)


def test_frame_cache_loads_once_per_key_even_when_asked_at_once() -> None:
    import threading
    import time

    from causeway.analytics.frames import FrameCache

    cache = FrameCache(60)
    loads: list[int] = []

    def slow() -> str:
        loads.append(1)
        time.sleep(0.2)
        return "frame"

    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_load("k", slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["frame"] * 6 and len(loads) == 1
    assert cache.get_or_load("other", lambda: "x") == "x" and len(loads) == 1
    off = FrameCache(0)
    assert [off.get_or_load("k", slow) for _ in range(2)] == ["frame", "frame"] and len(loads) == 3
