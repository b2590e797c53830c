"""The board's aggregates, in pandas: DataFrames in, breakdowns (values + support) out, no I/O.

Inputs are :func:`causeway.analytics.frames.load_events` and ``load_catalogue`` frames.
Every count comes with its *support*, the distinct (non-erased) visitors behind it, so
:mod:`causeway.analytics.privacy` can suppress it. Definitions:

- **Metrics** (:data:`METRICS`): counts of events. ``attention`` is the engaged
  in-app interactions with an attraction: detail views, media plays, virtual visits,
  saves and shares (not impressions, which are exposure, nor visits, which are
  physical check-ins). ``itinerary_plans`` counts stops planned in itineraries.
- **Funnel**: impressions -> detail views -> saves or itinerary plans -> visits, as event
  counts per stage (so it survives erasure: an erased visitor's events still count),
  with each stage's conversion from the one before.
- **Dispersal**: attractions in scope are ranked by visits (then attention, then id);
  the top ``head_fraction`` of them (at least one) are the *well known*, the others
  (including attractions with no visits) the *lesser-known*. Reported: the
  lesser-known share of visits and of attention, and the Gini coefficient and
  Herfindahl-Hirschman index (HHI, sum of squared shares, 1/n when even, 1 when one
  attraction takes all) of visits and of attention over all attractions in scope.
- **Exposure fairness**: per provider size class, its share of the published catalogue
  in scope against its share of impressions (and of attention and visits); the exposure
  ratio is impression share / catalogue share (1 is proportional).
- **Time**: daily/weekly/monthly buckets, hour of day, weekday and month, all in the
  destination's time zone.
- **Itineraries**: itineraries created; stay length (``context.days``); stops planned
  (``context.stops``) vs done (``itinerary_stop_done`` events of the same itinerary in
  the period).
- **Virtual-visit dwell**: ``dwell_seconds`` of ``virtual_visit`` events.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causeway.analytics.frames import PLAN
from causeway.stats import gini

ATTENTION = frozenset({"detail_view", "media_play", "virtual_visit", "save", "share"})
METRICS: dict[str, frozenset[str]] = {
    "impressions": frozenset({"impression"}),
    "detail_views": frozenset({"detail_view"}),
    "media_plays": frozenset({"media_play"}),
    "virtual_visits": frozenset({"virtual_visit"}),
    "saves": frozenset({"save"}),
    "shares": frozenset({"share"}),
    "itinerary_plans": frozenset({PLAN}),
    "visits": frozenset({"visit"}),
    "attention": ATTENTION,
}
FUNNEL: tuple[tuple[str, frozenset[str]], ...] = (
    ("impressions", frozenset({"impression"})),
    ("detail_views", frozenset({"detail_view"})),
    ("saves_or_plans", frozenset({"save", PLAN})),
    ("visits", frozenset({"visit"})),
)
SIZE_CLASSES = ("small", "medium", "large")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
INTERVALS = ("day", "week", "month")
DWELL_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("<30s", 0, 30), ("30s-1m", 30, 60), ("1-2m", 60, 120), ("2-5m", 120, 300),
    ("5-10m", 300, 600), ("10m+", 600, math.inf))
STAY_BUCKETS = ("1", "2", "3", "4", "5", "6", "7+", "unknown")


@dataclass
class Breakdown:
    """Counts by key: ``values`` and ``support`` share an index (the keys) and columns."""

    values: pd.DataFrame
    support: pd.DataFrame
    dims: tuple[str, ...] = ()  # index levels along which totals partition (secondary suppression)
    # From the rollups: which supports are exact (the others are lower bounds, at least k) and
    # how to get the exact ones when secondary suppression must compare them (privacy.suppress).
    exact: pd.DataFrame | None = None
    resolve: Callable[[str, list[Any]], dict[Any, int]] | None = None

    @property
    def keys(self) -> pd.DataFrame:
        """The key columns of each row (none for a table of totals)."""
        if self.values.index.nlevels == 1 and self.values.index.name is None:
            return pd.DataFrame(index=range(len(self.values)))
        return self.values.index.to_frame(index=False)


def counts(events: pd.DataFrame, keys: Sequence[str],
           metrics: dict[str, frozenset[str]] | Sequence[tuple[str, frozenset[str]]] = METRICS,
           *, index: pd.Index | None = None, dims: Sequence[str] | None = None) -> Breakdown:
    """Event counts and distinct visitors per ``keys`` for each metric.

    ``index`` fixes the rows (missing ones are zero, with zero support); otherwise the
    rows are the key combinations that occur. With no ``keys``, one row of totals.
    """
    items = list(metrics.items()) if isinstance(metrics, dict) else list(metrics)
    keys = list(keys)
    vals: dict[str, pd.Series] = {}
    sups: dict[str, pd.Series] = {}
    slim = events[list(dict.fromkeys([*keys, "type", "visitor_id"]))]  # copy only what is counted
    type_codes, type_names = pd.factorize(slim["type"])
    for name, types in items:
        wanted = np.flatnonzero(np.isin(type_names, list(types)))
        sub = slim[np.isin(type_codes, wanted)]
        if keys:
            sub = sub.dropna(subset=keys)
            g = sub.groupby(keys, sort=True, dropna=True)
            vals[name] = g.size()
            sups[name] = g["visitor_id"].nunique()
        else:
            vals[name] = pd.Series([len(sub)], index=["all"])
            sups[name] = pd.Series([sub["visitor_id"].nunique()], index=["all"])
    values = pd.DataFrame(vals)
    support = pd.DataFrame(sups)
    if index is not None:
        values = values.reindex(index)
        support = support.reindex(index)
    elif not keys:
        values.index.name = None
    values = values.fillna(0).astype("int64")
    support = support.fillna(0).astype("int64")
    if keys and index is None and values.index.nlevels == 1:
        values.index.name = keys[0]
        support.index.name = keys[0]
    return Breakdown(values, support, tuple(keys if dims is None else dims))


def period(dates: pd.Series, interval: str) -> pd.Series:
    """The first day of the bucket each local date falls in (weeks start on Monday), as
    datetime64 midnights."""
    d = pd.to_datetime(dates)
    if interval == "day":
        return d.dt.normalize()
    if interval == "week":
        return (d - pd.to_timedelta(d.dt.weekday, unit="D")).dt.normalize()
    if interval == "month":
        return d.dt.to_period("M").dt.start_time
    raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}.")


def periods(start: dt.date, end: dt.date, interval: str) -> pd.DatetimeIndex:
    """Every bucket start from ``start`` to ``end``."""
    days = pd.Series(pd.date_range(start, end, freq="D"))
    return pd.DatetimeIndex(sorted(set(period(days, interval))))


def with_catalogue(events: pd.DataFrame, catalogue: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``events`` with catalogue ``columns`` joined on attraction (events on none get NaN)."""
    cat = catalogue.set_index("attraction_id")[list(columns)]
    ids = events["attraction_id"]
    out = events.copy()
    for col in columns:
        out[col] = ids.map(cat[col]) if len(cat) else np.nan
    return out


def by_category(events: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """One row per event and category of its attraction (an event on a castle-museum counts twice)."""
    out = with_catalogue(events, catalogue, ["categories"]).rename(columns={"categories": "category"})
    out = out.explode("category")
    return out.dropna(subset=["category"])


def hhi(values: Sequence[float] | np.ndarray) -> float:
    """Herfindahl-Hirschman index: the sum of squared shares (1/n even, 1 concentrated)."""
    x = np.asarray(values, dtype=float)
    total = x.sum()
    if total == 0:
        return math.nan
    return float(((x / total) ** 2).sum())


@dataclass
class Dispersal:
    per_attraction: Breakdown  # visits and attention per attraction in scope (zeros included)
    lesser_known: pd.Series  # bool per attraction: outside the head
    tail: Breakdown  # one row: visits and attention of the lesser-known attractions
    totals: Breakdown  # one row: all visits and attention
    gini_visits: float
    gini_attention: float
    hhi_visits: float
    hhi_attention: float
    head_size: int


def dispersal(events: pd.DataFrame, catalogue: pd.DataFrame, head_fraction: float) -> Dispersal:
    """How evenly visits and attention spread over the attractions in ``catalogue``."""
    if not 0 < head_fraction < 1:
        raise ValueError("head_fraction must be between 0 and 1.")
    metrics = {"visits": METRICS["visits"], "attention": ATTENTION}
    ids = pd.Index(catalogue["attraction_id"].astype("int64"), name="attraction_id")
    on = events.dropna(subset=["attraction_id"])
    per = counts(on, ["attraction_id"], metrics, index=ids)
    n = len(ids)
    head_size = max(1, math.ceil(head_fraction * n)) if n else 0
    ranked = per.values.assign(_id=ids).sort_values(["visits", "attention", "_id"],
                                                    ascending=[False, False, True])
    head = set(ranked.index[:head_size])
    lesser = pd.Series(~ids.isin(head), index=ids)
    tail_ids = set(ids[lesser.to_numpy()])
    tail = counts(on[on["attraction_id"].isin(tail_ids)], [], metrics, dims=())
    total = counts(on[on["attraction_id"].isin(set(ids))], [], metrics, dims=())
    v, a = per.values["visits"].to_numpy(), per.values["attention"].to_numpy()
    return Dispersal(per, lesser, tail, total, gini(v), gini(a), hhi(v), hhi(a), head_size)


def fairness(events: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[pd.Series, Breakdown]:
    """Published attractions per size class, and impressions, attention and visits per class."""
    published = catalogue[catalogue["status"] == "published"]
    size_index = pd.Index(SIZE_CLASSES, name="size_class")
    known = published["size_class"].where(published["size_class"].isin(SIZE_CLASSES))
    catalogue_counts = known.value_counts().reindex(size_index, fill_value=0).astype("int64")
    joined = with_catalogue(events, catalogue, ["size_class"])
    metrics = {"impressions": METRICS["impressions"], "attention": ATTENTION, "visits": METRICS["visits"]}
    return catalogue_counts, counts(joined, ["size_class"], metrics, index=size_index)


@dataclass
class Dwell:
    overall: Breakdown  # one row: virtual visits with a dwell
    seconds: pd.Series  # the dwell values themselves (for quantiles), never output raw
    buckets: Breakdown  # by dwell bucket
    per_attraction: pd.DataFrame  # attraction_id, count, support, median_seconds


def dwell(events: pd.DataFrame) -> Dwell:
    vv = events[(events["type"] == "virtual_visit") & events["dwell_seconds"].notna()
                & (events["dwell_seconds"] >= 0)].copy()
    metric = {"virtual_visits": frozenset({"virtual_visit"})}
    labels = [b[0] for b in DWELL_BUCKETS]
    edges = [b[1] for b in DWELL_BUCKETS] + [math.inf]
    vv["bucket"] = pd.cut(vv["dwell_seconds"], bins=edges, labels=labels, right=False).astype(object)
    buckets = counts(vv, ["bucket"], metric, index=pd.Index(labels, name="bucket"))
    on = vv.dropna(subset=["attraction_id"])
    g = on.groupby("attraction_id")
    per = pd.DataFrame({"count": g.size(), "support": g["visitor_id"].nunique(),
                        "median_seconds": g["dwell_seconds"].median(),
                        "total_seconds": g["dwell_seconds"].sum()}).reset_index()
    return Dwell(counts(vv, [], metric), vv["dwell_seconds"], buckets, per)


@dataclass
class Itineraries:
    overall: Breakdown  # itineraries, stops_planned, stops_done
    stay: Breakdown  # itineraries by stay length bucket
    per_itinerary_planned: float
    per_itinerary_done: float


def itineraries(events: pd.DataFrame) -> Itineraries:
    """Itineraries created in scope; their stays; stops planned (in scope) vs done."""
    created = events[events["type"] == "itinerary_created"].copy()
    plans = events[events["type"] == PLAN]
    done = events[(events["type"] == "itinerary_stop_done")
                  & events["itinerary_id"].isin(set(created["itinerary_id"].dropna()))]
    planned_pairs = plans[["itinerary_id", "attraction_id"]].drop_duplicates()
    done_pairs = done[["itinerary_id", "attraction_id", "visitor_id"]].drop_duplicates(
        subset=["itinerary_id", "attraction_id"])
    done_pairs = done_pairs.merge(planned_pairs, on=["itinerary_id", "attraction_id"], how="inner")
    metrics_frame = pd.concat([
        created.assign(type="itineraries")[["type", "visitor_id"]],
        plans.assign(type="stops_planned")[["type", "visitor_id"]],
        done_pairs.assign(type="stops_done")[["type", "visitor_id"]],
    ], ignore_index=True)
    overall = counts(metrics_frame, [], {m: frozenset({m}) for m in ("itineraries", "stops_planned",
                                                                     "stops_done")})
    days = created["days"]
    created["stay"] = np.where(days.isna(), "unknown",
                               np.where(days >= 7, "7+", days.fillna(0).round().astype(int).astype(str)))
    stay = counts(created.assign(type="itinerary_created"), ["stay"],
                  {"itineraries": frozenset({"itinerary_created"})},
                  index=pd.Index(STAY_BUCKETS, name="stay"))
    n = len(created)
    return Itineraries(overall, stay, len(plans) / n if n else math.nan,
                       len(done_pairs) / n if n else math.nan)


def patterns(events: pd.DataFrame, by: str, metrics: dict[str, frozenset[str]]) -> Breakdown:
    """Counts by local ``hour`` (0-23), ``weekday`` (Mon-Sun) or ``month`` (1-12)."""
    local = events["local"]
    if by == "hour":
        key, index = local.dt.hour, pd.Index(range(24), name="hour")
    elif by == "weekday":
        key = local.dt.weekday.map(dict(enumerate(WEEKDAYS)))
        index = pd.Index(WEEKDAYS, name="weekday")
    elif by == "month":
        key, index = local.dt.month, pd.Index(range(1, 13), name="month")
    else:
        raise ValueError("by must be hour, weekday or month.")
    return counts(events.assign(**{by: key}), [by], metrics, index=index)
