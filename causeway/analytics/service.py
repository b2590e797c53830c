"""Analytics reports for the board and for venues: scope in, privacy-safe report out.

Each report is a dict with the same envelope (``report``, ``scope``, ``k``,
``suppressed_cells``, ``simulated``, ``simulated_share``, ``rows``, ``summary``): ``rows``
is the table (what CSV exports), ``summary`` the headline numbers. Every number went
through :mod:`causeway.analytics.privacy`; no identifier of a visitor, itinerary,
recommendation or event is in any report. Definitions are in
:mod:`causeway.analytics.aggregates`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import aggregates as agg
from causeway.analytics import privacy, sources
from causeway.analytics import rollups as maintenance
from causeway.analytics.frames import FrameCache, Scope, in_scope, load_catalogue, load_events
from causeway.content.taxonomy import CATEGORIES

ROLLUP_BY = ("attraction", "provider", "category", "market", "size_class")
FUNNEL_BY = ("category", "provider", "size_class", "market")
RANKED_METRICS = ("visits", "attention", "impressions", "virtual_visits", "saves")
PATTERN_METRICS = ("impressions", "detail_views", "attention", "virtual_visits", "visits")
BOARD_ONLY = frozenset({"fairness"})  # compares providers: not for a venue


class ReportError(ValueError):
    """A report was asked for with parameters it cannot use (the API answers 422)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Context:
    """One request's scope, with the catalogue and events loaded once and shared."""

    session: Session
    scope: Scope
    k: int
    head_fraction: float = 0.1
    cache: FrameCache = field(default_factory=lambda: FrameCache(0))
    suppressed: int = 0
    source_name: str = "events"  # "rollups" (SQL over the rollup tables) or "events" (pandas)

    @cached_property
    def source(self) -> sources.EventsSource | sources.RollupSource:
        return sources.RollupSource(self) if self.source_name == "rollups" else sources.EventsSource(self)

    @cached_property
    def full_catalogue(self) -> tuple[pd.DataFrame, dict[int, int]]:
        return self.cache.get_or_load(("catalogue",), lambda: load_catalogue(self.session))

    @cached_property
    def catalogue(self) -> pd.DataFrame:
        return in_scope(self.full_catalogue[0], self.scope)

    @cached_property
    def events(self) -> pd.DataFrame:
        return self.events_for(self.scope)

    def events_for(self, scope: Scope) -> pd.DataFrame:
        catalogue = self.catalogue if scope == self.scope else in_scope(self.full_catalogue[0], scope)
        return self.cache.get_or_load(("events", scope), lambda: load_events(
            self.session, scope, catalogue, self.full_catalogue[1]))

    def mask(self, breakdown: agg.Breakdown, *, secondary: bool = True) -> privacy.Masked:
        masked = privacy.suppress(breakdown.values, breakdown.support, self.k, dims=breakdown.dims,
                                  secondary=secondary, exact=breakdown.exact, resolve=breakdown.resolve)
        self.suppressed += masked.cells
        return masked

    def rows(self, breakdown: agg.Breakdown, *, secondary: bool = True) -> list[dict]:
        masked = self.mask(breakdown, secondary=secondary)
        return privacy.rows(_jsonable_keys(breakdown.keys), masked)

    def ratio(self, row: dict, name: str, num: str, den: str, *, scale: float = 1.0) -> None:
        """``row[name] = row[num] / row[den]``, hidden when either is (or the denominator is 0)."""
        a, b = row.get(num), row.get(den)
        if num in row["suppressed"] or den in row["suppressed"]:
            row[name] = None
            row["suppressed"].append(name)
            self.suppressed += 1
        else:
            row[name] = round(scale * a / b, 6) if a is not None and b else None


def _jsonable_keys(keys: pd.DataFrame) -> pd.DataFrame:
    out = keys.copy()
    for col in out.columns:
        out[col] = [v.date().isoformat() if isinstance(v, pd.Timestamp)
                    else v.isoformat() if hasattr(v, "isoformat")
                    else (v.item() if hasattr(v, "item") else v) for v in out[col]]
    return out


def _scope_doc(scope: Scope) -> dict[str, Any]:
    return {"from": scope.start.isoformat(), "to": scope.end.isoformat(), "days": scope.days,
            "timezone": scope.timezone, "category": list(scope.categories) or None,
            "bbox": list(scope.bbox) if scope.bbox else None,
            "near": list(scope.near) if scope.near else None,
            "radius_km": scope.radius_km if scope.near else None, "town": scope.town,
            "attraction": list(scope.attraction_ids) if scope.attraction_ids is not None else None}


def _attraction_keys(ctx: Context, ids: pd.Series) -> pd.DataFrame:
    cat = ctx.full_catalogue[0].set_index("attraction_id")
    ids = ids.astype("int64")
    return pd.DataFrame({"attraction_id": ids.to_numpy(),
                         "name": ids.map(cat["name"]).fillna("").to_numpy(),
                         "provider": ids.map(cat["provider"]).to_numpy(),
                         "size_class": ids.map(cat["size_class"]).to_numpy()})


# Reports ---------------------------------------------------------------------------------


def overview(ctx: Context) -> tuple[list[dict], dict]:
    """Totals of every metric, and distinct visitors, in scope."""
    b = ctx.source.counts(ctx.scope, [], dict(agg.METRICS))
    n_visitors = ctx.source.visitors(ctx.scope)
    b.values["visitors"] = n_visitors
    b.support["visitors"] = n_visitors
    rows = ctx.rows(b)
    cat = ctx.catalogue
    summary = {"attractions": int((cat["status"] == "published").sum()),
               "providers": int(cat.loc[cat["status"] == "published", "provider_id"].nunique())}
    return rows, summary


def timeseries(ctx: Context, interval: str = "day") -> tuple[list[dict], dict]:
    """Every metric per day, week or month (local), every bucket of the range listed."""
    index = agg.periods(ctx.scope.start, ctx.scope.end, interval).rename("period")
    b = ctx.source.counts(ctx.scope, ["period"], agg.METRICS, index=index, interval=interval)
    return ctx.rows(b), {"interval": interval}


def _key(by: str) -> str:
    if by == "attraction":
        return "attraction_id"
    if by in ("provider", "size_class", "category", "market"):
        return by
    raise ReportError(f"by must be one of {', '.join(ROLLUP_BY)}", "by")


def rollups(ctx: Context, by: str = "attraction", interval: str = "total") -> tuple[list[dict], dict]:
    """Every metric per attraction, provider, category, origin market or size class,
    over the whole range (``total``) or per day, week or month."""
    keys = [_key(by)]
    # Categories overlap (an attraction has several), so their rows do not partition a total.
    dims = [] if by == "category" else list(keys)
    if interval != "total":
        if interval not in agg.INTERVALS:
            raise ReportError(f"interval must be total or one of {', '.join(agg.INTERVALS)}", "interval")
        keys = ["period", *keys]
        dims.append("period")
    b = ctx.source.counts(ctx.scope, keys, agg.METRICS, dims=dims,
                          interval=None if interval == "total" else interval)
    rows = ctx.rows(b)
    _decorate(ctx, by, rows)
    return rows, {"by": by, "interval": interval}


def _decorate(ctx: Context, by: str, rows: list[dict]) -> None:
    """Readable names beside the keys (catalogue data, public)."""
    cat = ctx.full_catalogue[0]
    if by == "attraction":
        info = cat.set_index("attraction_id")[["name", "provider", "size_class"]].to_dict("index")
        for row in rows:
            row.update(info.get(row["attraction_id"], {}))
    elif by == "provider":
        names = dict(zip(cat["provider"], cat["provider_name"], strict=False))
        for row in rows:
            row["provider_name"] = names.get(row["provider"])
    elif by == "category":
        for row in rows:
            row["label"] = CATEGORIES.get(row["category"], row["category"])


def funnel(ctx: Context, by: str | None = None) -> tuple[list[dict], dict]:
    """Impressions -> detail views -> saves or itinerary plans -> visits, with conversions."""
    if by is None:
        keys = []
    elif by in FUNNEL_BY:
        keys = [_key(by)]
    else:
        raise ReportError(f"by must be one of {', '.join(FUNNEL_BY)}", "by")
    b = ctx.source.counts(ctx.scope, keys, agg.FUNNEL, dims=[] if by in (None, "category") else keys)
    rows = ctx.rows(b)
    for row in rows:
        ctx.ratio(row, "view_rate", "detail_views", "impressions")
        ctx.ratio(row, "save_or_plan_rate", "saves_or_plans", "detail_views")
        ctx.ratio(row, "visit_rate", "visits", "saves_or_plans")
        ctx.ratio(row, "impression_to_visit", "visits", "impressions")
    if by:
        _decorate(ctx, by, rows)
    return rows, {"by": by, "stages": [name for name, _ in agg.FUNNEL]}


def dwell(ctx: Context, limit: int = 10) -> tuple[list[dict], dict]:
    """Virtual-visit dwell: distribution by bucket, headline statistics, longest-held attractions."""
    d = ctx.source.dwell(ctx.scope)
    rows = ctx.rows(d.buckets)
    overall = ctx.mask(d.overall, secondary=False)
    hidden = bool(overall.mask.to_numpy().any())
    s = d.stats
    stats = {"virtual_visits": int(overall.values.iloc[0, 0]),
             "median_seconds": s["median_seconds"],
             "mean_seconds": round(s["mean_seconds"], 3) if s["mean_seconds"] is not None else None,
             "p90_seconds": s["p90_seconds"],
             "total_hours": round(float(s["total_seconds"] or 0.0) / 3600, 3)}
    summary: dict[str, Any] = {k: (None if hidden else v) for k, v in stats.items()}
    if hidden:
        ctx.suppressed += len(stats) - 1  # the count itself was counted by mask()
    summary["suppressed"] = list(stats) if hidden else []
    per = d.per_attraction
    shown = per[per["support"] >= ctx.k].sort_values(["total_seconds", "attraction_id"],
                                                     ascending=[False, True]).head(limit)
    ctx.suppressed += int((per["support"] < ctx.k).sum())
    keys = _attraction_keys(ctx, shown["attraction_id"]).to_dict("records")
    medians = d.medians([int(a) for a in shown["attraction_id"]])
    summary["attractions"] = [
        {**key, "virtual_visits": int(r.count), "median_seconds": float(medians[int(r.attraction_id)]),
         "total_hours": round(float(r.total_seconds) / 3600, 3)}
        for key, r in zip(keys, shown.itertuples(), strict=True)]
    summary["attractions_withheld"] = int((per["support"] < ctx.k).sum())
    return rows, summary


def dispersal(ctx: Context) -> tuple[list[dict], dict]:
    """Visits and attention per attraction (with coordinates, for the map) and how spread they are."""
    d = _dispersal(ctx)
    per = d.per_attraction
    rows = ctx.rows(agg.Breakdown(per.values, per.support, ("attraction_id",), per.exact, per.resolve))
    info = ctx.catalogue.set_index("attraction_id")[["name", "provider", "size_class", "lat", "lon"]]
    info = info.assign(lesser_known=d.lesser_known).to_dict("index")
    for row in rows:
        a = info[row["attraction_id"]]
        row.update({"name": a["name"], "provider": a["provider"], "size_class": a["size_class"],
                    "lat": float(a["lat"]), "lon": float(a["lon"]), "lesser_known": bool(a["lesser_known"])})
    tail = ctx.mask(d.tail, secondary=False)
    total = ctx.mask(d.totals, secondary=False)
    summary: dict[str, Any] = {"attractions": len(per.values), "head_fraction": ctx.head_fraction,
                               "well_known_attractions": d.head_size, "suppressed": []}
    for metric in ("visits", "attention"):
        t_hidden = bool(tail.mask[metric].iloc[0])
        all_hidden = bool(total.mask[metric].iloc[0])
        tv, av = int(tail.values[metric].iloc[0]), int(total.values[metric].iloc[0])
        summary[f"lesser_known_{metric}"] = None if t_hidden else tv
        summary[metric] = None if all_hidden else av
        share = None if (t_hidden or all_hidden or av == 0) else round(tv / av, 6)
        summary[f"lesser_known_{metric}_share"] = share
        g = getattr(d, f"gini_{metric}")
        h = getattr(d, f"hhi_{metric}")
        summary[f"gini_{metric}"] = None if all_hidden or math.isnan(g) else round(g, 6)
        summary[f"hhi_{metric}"] = None if all_hidden or math.isnan(h) else round(h, 6)
        for name, hidden in ((f"lesser_known_{metric}", t_hidden), (metric, all_hidden),
                             (f"lesser_known_{metric}_share", t_hidden or all_hidden),
                             (f"gini_{metric}", all_hidden), (f"hhi_{metric}", all_hidden)):
            if hidden:
                summary["suppressed"].append(name)
    # The counts were tallied by mask(); the shares, Gini and HHI derived from them add theirs.
    ctx.suppressed += sum(1 for n in summary["suppressed"] if n.endswith("_share") or n[:4] in ("gini", "hhi_"))
    return rows, summary


def _dispersal(ctx: Context) -> agg.Dispersal:
    """As :func:`aggregates.dispersal`, from the context's source."""
    metrics = {"visits": agg.METRICS["visits"], "attention": agg.ATTENTION}
    ids = pd.Index(ctx.catalogue["attraction_id"].astype("int64"), name="attraction_id")
    per = ctx.source.counts(ctx.scope, ["attraction_id"], metrics, index=ids)
    n = len(ids)
    head_size = max(1, math.ceil(ctx.head_fraction * n)) if n else 0
    ranked = per.values.assign(_id=ids).sort_values(["visits", "attention", "_id"],
                                                    ascending=[False, False, True])
    head = set(ranked.index[:head_size])
    lesser = pd.Series(~ids.isin(head), index=ids)
    tail_ids = [int(a) for a in ids[lesser.to_numpy()]]
    tail = ctx.source.counts(ctx.scope, [], metrics, dims=(), attractions=tail_ids)
    total = ctx.source.counts(ctx.scope, [], metrics, dims=(), attractions=[int(a) for a in ids])
    v, a = per.values["visits"].to_numpy(), per.values["attention"].to_numpy()
    return agg.Dispersal(per, lesser, tail, total, agg.gini(v), agg.gini(a), agg.hhi(v), agg.hhi(a), head_size)


def fairness(ctx: Context) -> tuple[list[dict], dict]:
    """Exposure by provider size class against each class's share of the catalogue."""
    published = ctx.catalogue[ctx.catalogue["status"] == "published"]
    size_index = pd.Index(agg.SIZE_CLASSES, name="size_class")
    known = published["size_class"].where(published["size_class"].isin(agg.SIZE_CLASSES))
    catalogue_counts = known.value_counts().reindex(size_index, fill_value=0).astype("int64")
    metrics = {"impressions": agg.METRICS["impressions"], "attention": agg.ATTENTION,
               "visits": agg.METRICS["visits"]}
    b = ctx.source.counts(ctx.scope, ["size_class"], metrics, index=size_index)
    rows = ctx.rows(b)
    n = int(catalogue_counts.sum())
    shown = {m: sum(r[m] for r in rows if r[m] is not None) for m in ("impressions", "attention", "visits")}
    any_hidden = {m: any(m in r["suppressed"] for r in rows) for m in shown}
    for row in rows:
        count = int(catalogue_counts.loc[row["size_class"]])
        row["attractions"] = count
        row["catalogue_share"] = round(count / n, 6) if n else None
        for m in ("impressions", "attention", "visits"):
            share_name = f"{m[:-1] if m.endswith('s') else m}_share"
            if m in row["suppressed"] or any_hidden[m]:
                # A share needs the total, and the total includes the hidden cells.
                row[share_name] = None
                row["suppressed"].append(share_name)
                ctx.suppressed += 1
            else:
                row[share_name] = round(row[m] / shown[m], 6) if shown[m] else None
        imp, cs = row.get("impression_share"), row["catalogue_share"]
        if imp is None:
            row["exposure_ratio"] = None
            if "impression_share" in row["suppressed"]:
                row["suppressed"].append("exposure_ratio")
                ctx.suppressed += 1
        else:
            row["exposure_ratio"] = round(imp / cs, 6) if cs else None
    return rows, {"catalogue_attractions": n}


def patterns(ctx: Context, by: str = "hour") -> tuple[list[dict], dict]:
    """Seasonality and time of day: counts by local hour, weekday or month."""
    if by not in ("hour", "weekday", "month"):
        raise ReportError("by must be hour, weekday or month", "by")
    metrics = {m: agg.METRICS[m] for m in PATTERN_METRICS}
    index = {"hour": pd.Index(range(24), name="hour"), "weekday": pd.Index(agg.WEEKDAYS, name="weekday"),
             "month": pd.Index(range(1, 13), name="month")}[by]
    return ctx.rows(ctx.source.counts(ctx.scope, [by], metrics, index=index)), {"by": by}


def itineraries(ctx: Context) -> tuple[list[dict], dict]:
    """Itineraries created, stay lengths, and stops planned vs done."""
    it = ctx.source.itineraries(ctx.scope)
    rows = ctx.rows(it.stay)
    overall = privacy.rows(pd.DataFrame(index=[0]), ctx.mask(it.overall, secondary=False))[0]
    ctx.ratio(overall, "done_share", "stops_done", "stops_planned")
    ctx.ratio(overall, "planned_per_itinerary", "stops_planned", "itineraries")
    ctx.ratio(overall, "done_per_itinerary", "stops_done", "itineraries")
    return rows, overall


def _ranked(ctx: Context, scope: Scope, metric: str) -> pd.DataFrame:
    ids = pd.Index(ctx.catalogue["attraction_id"].astype("int64"), name="attraction_id")
    b = ctx.source.counts(scope, ["attraction_id"], {metric: agg.METRICS[metric]}, index=ids)
    return pd.DataFrame({"value": b.values[metric], "support": b.support[metric]})


def top(ctx: Context, metric: str = "visits", limit: int = 10) -> tuple[list[dict], dict]:
    """The attractions with the most of ``metric``; only cells that pass k are ranked."""
    if metric not in RANKED_METRICS:
        raise ReportError(f"metric must be one of {', '.join(RANKED_METRICS)}", "metric")
    cur = _ranked(ctx, ctx.scope, metric)
    ok = (cur["support"] >= ctx.k) | (cur["value"] == 0)
    ctx.suppressed += int((~ok).sum())
    best = cur[ok & (cur["value"] > 0)].reset_index().sort_values(
        ["value", "attraction_id"], ascending=[False, True]).head(limit)
    keys = _attraction_keys(ctx, best["attraction_id"]).to_dict("records")
    rows = [{"rank": i + 1, **key, metric: int(v), "suppressed": []}
            for i, (key, v) in enumerate(zip(keys, best["value"], strict=True))]
    return rows, {"metric": metric, "withheld": int((~ok).sum())}


def rising(ctx: Context, metric: str = "visits", limit: int = 10) -> tuple[list[dict], dict]:
    """Attractions whose ``metric`` grew most against the previous period of the same length.

    Only attractions whose cells pass k in both periods are compared (a rise from a
    suppressed number would disclose it); the growth is the absolute change.
    """
    if metric not in RANKED_METRICS:
        raise ReportError(f"metric must be one of {', '.join(RANKED_METRICS)}", "metric")
    prev_scope = ctx.scope.previous()
    cur = _ranked(ctx, ctx.scope, metric)
    prev = _ranked(ctx, prev_scope, metric)
    ok_c = (cur["support"] >= ctx.k) | (cur["value"] == 0)
    ok_p = (prev["support"] >= ctx.k) | (prev["value"] == 0)
    ok = ok_c & ok_p
    ctx.suppressed += int((~ok).sum())
    both = pd.DataFrame({"current": cur["value"], "previous": prev["value"]})[ok]
    both = both.assign(change=both["current"] - both["previous"]).reset_index()
    both = both[both["change"] > 0].sort_values(["change", "attraction_id"], ascending=[False, True]).head(limit)
    keys = _attraction_keys(ctx, both["attraction_id"]).to_dict("records")
    rows = []
    for i, (key, r) in enumerate(zip(keys, both.itertuples(), strict=True)):
        pct = round(100.0 * r.change / r.previous, 3) if r.previous else None
        rows.append({"rank": i + 1, **key, "current": int(r.current), "previous": int(r.previous),
                     "change": int(r.change), "change_pct": pct, "suppressed": []})
    return rows, {"metric": metric, "previous": {"from": prev_scope.start.isoformat(),
                                                 "to": prev_scope.end.isoformat()},
                  "withheld": int((~ok).sum())}


REPORTS: dict[str, Callable[..., tuple[list[dict], dict]]] = {
    "overview": overview, "timeseries": timeseries, "rollups": rollups, "funnel": funnel,
    "dwell": dwell, "dispersal": dispersal, "fairness": fairness, "patterns": patterns,
    "itineraries": itineraries, "top": top, "rising": rising,
}


def build(session: Session, report: str, scope: Scope, *, k: int, head_fraction: float = 0.1,
          cache: FrameCache | None = None, source: str = "events", **params: Any) -> dict[str, Any]:
    """Run one report over ``scope`` and wrap it in the common envelope.

    ``source``: ``rollups`` (SQL over the rollup tables; see :func:`choose_source`) or
    ``events`` (the raw events in pandas)."""
    if report not in REPORTS:
        raise ReportError(f"no report {report!r}; known: {', '.join(REPORTS)}", "report")
    ctx = Context(session, scope, k, head_fraction, cache or FrameCache(0), source_name=source)
    rows, summary = REPORTS[report](ctx, **params)
    simulated, n = ctx.source.simulated(scope)
    return {"report": report, "scope": _scope_doc(scope), "k": k, "suppressed_cells": ctx.suppressed,
            "simulated": simulated > 0,
            "simulated_share": round(simulated / n, 6) if n else 0.0,
            "rows": rows, "summary": summary}


def choose_source(session: Session, setting: str, timezone: str, *, refresh_max: int) -> str:
    """Which source a report reads under ``analytics_source``: ``rollups`` once they are in
    ``timezone`` and at most ``refresh_max`` events behind (those are aggregated first, so a
    report sees every event stored before it), ``events`` otherwise (``auto``)."""
    if setting == "events":
        return "events"
    st = maintenance.status(session)
    tz_ok = st.timezone in (None, timezone) if st.last_event_id == 0 else st.timezone == timezone
    if tz_ok and refresh_max and 0 < st.lag <= refresh_max:
        factory = sessionmaker(session.get_bind(), expire_on_commit=False)
        try:
            maintenance.refresh(factory, timezone, wait=False)
        except maintenance.TimezoneMismatch:
            tz_ok = False
        st = maintenance.status(session)
    if setting == "rollups":
        return "rollups"
    return "rollups" if tz_ok and st.sums_valid and st.lag <= refresh_max else "events"

