"""Where reports get their numbers: the rollups (SQL on the server) or the raw events (pandas).

Both sources answer the same questions, so :mod:`causeway.analytics.service` runs every
report the same way over either:

- ``counts(scope, keys, metrics)``: event counts and distinct non-erased visitors (the
  support) per key, as a :class:`~causeway.analytics.aggregates.Breakdown`. Keys are
  ``period`` (with ``interval`` day/week/month), ``attraction_id``, ``provider``,
  ``size_class``, ``category``, ``market``, ``hour``, ``weekday``, ``month``;
- ``visitors``, ``simulated`` (simulated events, events), ``dwell``, ``itineraries``.

:class:`RollupSource` aggregates in SQL (one ``GROUP BY`` per breakdown over
``analytics_cells``; ``COUNT(DISTINCT visitor_id)`` gives the exact support), so a report
moves only its result rows out of the database. :class:`EventsSource` is the pandas path
over :func:`~causeway.analytics.frames.load_events`, kept as the oracle the tests compare
the rollups with, and as the fallback while the rollups are being built.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from causeway.analytics import aggregates as agg
from causeway.analytics.frames import PLAN, Scope

if TYPE_CHECKING:
    from causeway.analytics.service import Context

Metrics = dict[str, frozenset[str]] | Sequence[tuple[str, frozenset[str]]]
ATTRACTION_KEYS = frozenset({"attraction_id", "provider", "size_class", "category"})


@dataclass
class DwellData:
    overall: agg.Breakdown  # one row: virtual visits with a dwell
    buckets: agg.Breakdown
    stats: dict[str, float | None]  # median_seconds, mean_seconds, p90_seconds, total_seconds
    per_attraction: pd.DataFrame  # attraction_id, count, support, total_seconds
    medians: Any  # callable: attraction ids -> {id: median seconds}


def _items(metrics: Metrics) -> list[tuple[str, frozenset[str]]]:
    return list(metrics.items()) if isinstance(metrics, dict) else list(metrics)


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    """pandas' linear quantile of ``values`` repeated ``weights`` times (values sorted)."""
    total = int(weights.sum())
    if total == 0:
        return None
    pos = q * (total - 1)
    lo, frac = int(math.floor(pos)), pos - math.floor(pos)
    cum = np.cumsum(weights)
    v_lo = float(values[np.searchsorted(cum, lo + 1)])
    if frac == 0:
        return v_lo
    v_hi = float(values[np.searchsorted(cum, min(lo + 2, total))])
    return v_lo + frac * (v_hi - v_lo)


def _stay(days: float | None) -> str:
    if days is None or (isinstance(days, float) and math.isnan(days)):
        return "unknown"
    if days >= 7:
        return "7+"
    return str(int(np.round(days)))


# -- pandas over raw events -----------------------------------------------------------------


class EventsSource:
    """Reports from the raw events, loaded into pandas (the pre-rollup implementation)."""

    name = "events"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _ev(self, scope: Scope) -> pd.DataFrame:
        return self.ctx.events_for(scope)

    def _keyed(self, ev: pd.DataFrame, keys: Sequence[str], interval: str | None) -> pd.DataFrame:
        full = self.ctx.full_catalogue[0]
        for key in keys:
            if key == "period":
                ev = ev.assign(period=agg.period(ev["date"], interval or "day") if len(ev) else [])
            elif key == "attraction_id":
                ev = ev.dropna(subset=["attraction_id"])
            elif key in ("provider", "size_class"):
                ev = agg.with_catalogue(ev, full, [key])
            elif key == "category":
                ev = agg.by_category(ev, full)
            elif key == "market":
                market = ev["market"].astype(object).fillna("unknown")  # object even when empty
                ev = ev.assign(market=market.str.upper() if len(ev) else market)
            elif key == "hour":
                ev = ev.assign(hour=ev["local"].dt.hour)
            elif key == "weekday":
                ev = ev.assign(weekday=ev["local"].dt.weekday.map(dict(enumerate(agg.WEEKDAYS))))
            elif key == "month":
                ev = ev.assign(month=ev["local"].dt.month)
            else:
                raise ValueError(f"unknown key {key!r}")
        return ev

    def counts(self, scope: Scope, keys: Sequence[str], metrics: Metrics, *, index: pd.Index | None = None,
               dims: Sequence[str] | None = None, interval: str | None = None,
               attractions: Sequence[int] | None = None) -> agg.Breakdown:
        ev = self._ev(scope)
        if attractions is not None:
            ev = ev.dropna(subset=["attraction_id"])
            ev = ev[ev["attraction_id"].isin(set(attractions))]
        return agg.counts(self._keyed(ev, keys, interval), list(keys), metrics, index=index, dims=dims)

    def visitors(self, scope: Scope) -> int:
        return int(self._ev(scope)["visitor_id"].nunique())

    def simulated(self, scope: Scope) -> tuple[int, int]:
        ev = self._ev(scope)
        ev = ev[ev["type"] != PLAN]
        return (int(ev["simulated"].sum()) if len(ev) else 0), len(ev)

    def dwell(self, scope: Scope) -> DwellData:
        d = agg.dwell(self._ev(scope))
        s = d.seconds
        stats = {"median_seconds": float(s.median()) if len(s) else None,
                 "mean_seconds": float(s.mean()) if len(s) else None,
                 "p90_seconds": float(s.quantile(0.9)) if len(s) else None,
                 "total_seconds": float(s.sum())}
        per = d.per_attraction
        medians = dict(zip(per["attraction_id"], per["median_seconds"], strict=True)) if len(per) else {}
        return DwellData(d.overall, d.buckets, stats, per[["attraction_id", "count", "support", "total_seconds"]]
                         if len(per) else pd.DataFrame(columns=["attraction_id", "count", "support", "total_seconds"]),
                         lambda ids: {i: medians[i] for i in ids})

    def itineraries(self, scope: Scope) -> agg.Itineraries:
        return agg.itineraries(self._ev(scope))


# -- SQL over the rollups -------------------------------------------------------------------


_SUMS = "(SELECT s.*, s.bucket AS day FROM analytics_sums s)"  # a sums row's bucket as ``day``


def _in(types: frozenset[str]) -> str:
    return ", ".join("'" + t.replace("'", "''") + "'" for t in sorted(types))


class RollupSource:
    """Reports from the rollup tables, aggregated by the database."""

    name = "rollups"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.pg = self.session.get_bind().dialect.name == "postgresql"

    # The attractions a scope covers: raw ids as stored (merged records included) -> kept id.
    def _map(self, scope: Scope, attractions: Sequence[int] | None = None) -> tuple[str, dict[str, Any]]:
        full, merged = self.ctx.full_catalogue
        if scope == self.ctx.scope:
            cat = self.ctx.catalogue
        else:
            from causeway.analytics.frames import in_scope
            cat = in_scope(full, scope)
        kept = [int(a) for a in cat["attraction_id"]]
        if attractions is not None:
            wanted = {int(a) for a in attractions}
            kept = [a for a in kept if a in wanted]
        keep = set(kept)
        pairs = [(a, a) for a in kept] + [(int(r), int(k)) for r, k in merged.items() if k in keep]
        if self.pg:
            return ("m AS (SELECT * FROM unnest(CAST(:m_raw AS integer[]), CAST(:m_att AS integer[])) "
                    "AS t(raw_id, att_id))",
                    {"m_raw": [p[0] for p in pairs], "m_att": [p[1] for p in pairs]})
        return ("m(raw_id, att_id) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
                "FROM json_each(:m_pairs))", {"m_pairs": json.dumps(pairs)})

    def _where(self, scope: Scope, alias: str, restricted: bool, needs_attraction: bool) -> str:
        if restricted or needs_attraction:
            return f"{alias}.day >= :d0 AND {alias}.day <= :d1 AND m.att_id IS NOT NULL"
        return f"{alias}.day >= :d0 AND {alias}.day <= :d1 AND ({alias}.attraction_id = 0 OR m.att_id IS NOT NULL)"

    def _days(self, scope: Scope) -> dict[str, Any]:
        return {"d0": scope.start, "d1": scope.end}

    def _key_sql(self, key: str, interval: str | None) -> tuple[str, str]:
        """(SQL expression, extra JOIN) for one key."""
        if key == "period":
            if interval in (None, "day"):
                return "c.day", ""
            if interval == "week":
                return ("CAST(date_trunc('week', c.day) AS date)" if self.pg
                        else "date(c.day, 'weekday 0', '-6 days')"), ""
            if interval == "month":
                return ("CAST(date_trunc('month', c.day) AS date)" if self.pg
                        else "date(c.day, 'start of month')"), ""
            raise ValueError(f"interval must be one of {agg.INTERVALS}, got {interval!r}.")
        if key == "attraction_id":
            return "m.att_id", ""
        if key == "provider":
            return "p.slug", ""
        if key == "size_class":
            return "p.size_class", ""
        if key == "category":
            return "ac.category", "JOIN attraction_categories ac ON ac.attraction_id = m.att_id"
        if key == "market":
            return "c.market", ""
        if key == "hour":
            return "c.hour", ""
        if key == "weekday":
            return ("CAST(EXTRACT(ISODOW FROM c.day) AS integer) - 1" if self.pg
                    else "(CAST(strftime('%w', c.day) AS integer) + 6) % 7"), ""
        if key == "month":
            return ("CAST(EXTRACT(MONTH FROM c.day) AS integer)" if self.pg
                    else "CAST(strftime('%m', c.day) AS integer)"), ""
        raise ValueError(f"unknown key {key!r}")

    def _key_value(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        if key == "period":
            return pd.Timestamp(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
        if key == "weekday":
            return agg.WEEKDAYS[int(value)]
        if key in ("attraction_id", "hour", "month"):
            return int(value)
        return value

    # -- counts: values and support lower bounds from the sums, exact supports from the cells --

    def _cells(self, scope: Scope, keys: list[str], items: list[tuple[str, frozenset[str]]],
               interval: str | None, attractions: Sequence[int] | None, extra: str = "",
               extra_params: dict[str, Any] | None = None) -> list[tuple[tuple, list[int], list[int]]]:
        """(key, values, exact supports) per key, from the visitor-grain cells."""
        cte, params = self._map(scope, attractions)
        needs_att = bool(ATTRACTION_KEYS.intersection(keys)) or attractions is not None
        exprs, joins = self._exprs(keys, interval)
        all_types = frozenset().union(*(t for _, t in items))
        cols = []
        for i, (_, types) in enumerate(items):
            cols.append(f"SUM(CASE WHEN c.type IN ({_in(types)}) THEN c.n ELSE 0 END) AS v{i}")
            cols.append(f"COUNT(DISTINCT CASE WHEN c.type IN ({_in(types)}) AND c.visitor_id <> 0 "
                        f"THEN c.visitor_id END) AS s{i}")
        select_keys = "".join(f"{e} AS k{j}, " for j, e in enumerate(exprs))
        group = f" GROUP BY {', '.join(f'k{j}' for j in range(len(exprs)))}" if exprs else ""
        join_m = "JOIN" if (scope.restricted or needs_att) else "LEFT JOIN"
        sql = (f"WITH {cte} SELECT {select_keys}{', '.join(cols)} FROM analytics_cells c "
               f"{join_m} m ON m.raw_id = c.attraction_id {' '.join(joins)} "
               f"WHERE {self._where(scope, 'c', scope.restricted, needs_att)} AND c.type IN ({_in(all_types)})"
               f"{extra}{group}")
        rows = self.session.execute(text(sql), {**params, **self._days(scope), **(extra_params or {})}).all()
        return self._keyed_rows(keys, items, rows, any_row=not keys)

    def _exprs(self, keys: list[str], interval: str | None) -> tuple[list[str], list[str]]:
        exprs, joins = [], []
        for key in keys:
            expr, join = self._key_sql(key, interval)
            exprs.append(expr)
            if join:
                joins.append(join)
        if {"provider", "size_class"}.intersection(keys):
            joins.insert(0, "JOIN attractions a ON a.id = m.att_id JOIN providers p ON p.id = a.provider_id")
        return exprs, joins

    def _keyed_rows(self, keys: list[str], items: list, rows: Sequence[Any],  # type: ignore[type-arg]
                    any_row: bool) -> list[tuple[tuple, list[int], list[int]]]:
        nk, out = len(keys), []
        for r in rows:
            k = tuple(self._key_value(key, v) for key, v in zip(keys, r[:nk], strict=True))
            if any(v is None for v in k):
                continue
            out.append((k, [int(r[nk + 2 * i] or 0) for i in range(len(items))],
                        [int(r[nk + 2 * i + 1] or 0) for i in range(len(items))]))
        if any_row and not out:
            out.append(((), [0] * len(items), [0] * len(items)))
        return out

    def _pieces(self, scope: Scope, day_only: bool, subtract: bool = True
                ) -> tuple[list[tuple[str, int, bool]], dict[str, Any]]:
        """The scope's days as sums rows: (SQL condition on c, sign, whether the rows' visitors
        bound the support). Whole months read their month row; a month cut by the range reads
        its days in range, or its month row less its days out of range when those are fewer."""
        d0, d1 = scope.start, scope.end
        if day_only:
            return [("(c.grain = 'd' AND c.day >= :d0 AND c.day <= :d1)", 1, True)], {"d0": d0, "d1": d1}
        pieces: list[tuple[str, int, bool]] = []
        params: dict[str, Any] = {}
        today = dt.date.today() + dt.timedelta(days=1)  # no rows after tomorrow (local)
        first, full = d0.replace(day=1), []
        month = first
        n = 0
        while month <= d1:
            nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            last = nxt - dt.timedelta(days=1)
            lo, hi = max(month, d0), min(last, d1)
            if lo == month and hi == last:
                full.append(month)
            else:
                inside = (hi - lo).days + 1
                outside = [(month, lo - dt.timedelta(days=1)), (hi + dt.timedelta(days=1), min(last, today))]
                outside = [(a, b) for a, b in outside if a <= b]
                if subtract and sum((b - a).days + 1 for a, b in outside) < inside:
                    params[f"pm{n}"] = month
                    pieces.append((f"(c.grain = 'm' AND c.day = :pm{n})", 1, False))
                    for a, b in outside:
                        params[f"po{n}a"], params[f"po{n}b"] = a, b
                        pieces.append((f"(c.grain = 'd' AND c.day >= :po{n}a AND c.day <= :po{n}b)", -1, False))
                        n += 1
                else:
                    params[f"pi{n}a"], params[f"pi{n}b"] = lo, hi
                    pieces.append((f"(c.grain = 'd' AND c.day >= :pi{n}a AND c.day <= :pi{n}b)", 1, True))
                n += 1
            month = nxt
        if full:
            params["pf0"], params["pf1"] = full[0], full[-1]
            pieces.append(("(c.grain = 'm' AND c.day >= :pf0 AND c.day <= :pf1)", 1, True))
        return pieces, params

    def counts(self, scope: Scope, keys: Sequence[str], metrics: Metrics, *, index: pd.Index | None = None,
               dims: Sequence[str] | None = None, interval: str | None = None,
               attractions: Sequence[int] | None = None) -> agg.Breakdown:
        items = _items(metrics)
        keys = list(keys)
        needs_att = bool(ATTRACTION_KEYS.intersection(keys)) or attractions is not None
        by_att = needs_att or scope.restricted
        if by_att and {"market", "hour"}.intersection(keys):
            # No per-attraction market/hour sums: a narrowed scope by market or hour reads the cells.
            data = self._cells(scope, keys, items, interval, attractions)
            return self._breakdown(keys, items, data, None, index, dims, None)
        exprs, joins = self._exprs(keys, interval)
        day_only = (("period" in keys and interval in (None, "day", "week")) or "weekday" in keys)
        pieces, pparams = self._pieces(scope, day_only)
        sign = " ".join(f"WHEN {cond} THEN -1" for cond, sg, _ in pieces if sg < 0)
        sign = f"(CASE {sign} ELSE 1 END)" if sign else "1"
        bound = " OR ".join(cond for cond, _, ok in pieces if ok) or "false"
        if by_att:
            cte, params = self._map(scope, attractions)
            frm = (f"WITH {cte} SELECT {{keys}}{{cols}} FROM {_SUMS} c JOIN m ON m.raw_id = c.attraction_id "
                   f"{' '.join(joins)} WHERE c.attraction_id >= 0 AND c.market = '*' AND c.hour = -1")
        else:
            params = {}
            which = ("c.market <> '*'" if "market" in keys else "c.hour >= 0" if "hour" in keys
                     else "c.market = '*' AND c.hour = -1")
            frm = f"SELECT {{keys}}{{cols}} FROM {_SUMS} c WHERE c.attraction_id = -1 AND {which}"
        all_types = frozenset().union(*(t for _, t in items))
        cols = []
        for i, (_, types) in enumerate(items):
            cols.append(f"SUM(CASE WHEN c.type IN ({_in(types)}) THEN {sign} * c.n ELSE 0 END) AS v{i}")
            cols.append(f"MAX(CASE WHEN c.type IN ({_in(types)}) AND ({bound}) THEN c.v ELSE 0 END) AS s{i}")
        select_keys = "".join(f"{e} AS k{j}, " for j, e in enumerate(exprs))
        group = f" GROUP BY {', '.join(f'k{j}' for j in range(len(exprs)))}" if exprs else ""
        sql = (frm.format(keys=select_keys, cols=", ".join(cols))
               + f" AND ({' OR '.join(cond for cond, _, _ in pieces)}) AND c.type IN ({_in(all_types)}){group}")
        rows = self.session.execute(text(sql), {**params, **pparams}).all()
        data = [d for d in self._keyed_rows(keys, items, rows, any_row=not keys) if any(d[1]) or not keys]
        k = self.ctx.k
        names = [name for name, _ in items]
        cache: dict[tuple[tuple, int], int] = {}  # (key, metric) -> exact support

        def exact_for(j: int, wanted: list[tuple]) -> dict[tuple, int]:
            """Exact supports of metric ``j`` (reading only the cells rows of its types)."""
            todo = [w for w in wanted if (w, j) not in cache]
            if todo:
                got = {d[0]: d[2][0] for d in self._exact(scope, keys, [items[j]], interval, attractions, todo)}
                for w in todo:
                    cache[(w, j)] = got.get(w, 0)
            return {w: cache[(w, j)] for w in wanted}

        for j in range(len(items)):
            unsure = [d[0] for d in data if d[1][j] != 0 and d[2][j] < k]
            if unsure:
                exact_for(j, unsure)
        known = []
        for key, vals, bounds in data:
            row_known = []
            for j in range(len(items)):
                if (key, j) in cache:
                    bounds[j] = cache[(key, j)]
                    row_known.append(True)
                else:
                    row_known.append(vals[j] == 0)  # a bound of 0 where the value is 0 is exact
            known.append(row_known)

        def resolve(metric: str, wanted: list[Any]) -> dict[Any, int]:
            j = names.index(metric)
            ks = [w if isinstance(w, tuple) else (w,) for w in wanted] if keys else [()] * len(wanted)
            got = exact_for(j, ks)
            return {w: got[kk] for w, kk in zip(wanted, ks, strict=True)}

        return self._breakdown(keys, items, data, known, index, dims, resolve)

    def _exact(self, scope: Scope, keys: list[str], items: list, interval: str | None,  # type: ignore[type-arg]
               attractions: Sequence[int] | None, wanted: list[tuple]) -> list[tuple[tuple, list[int], list[int]]]:
        """Exact supports of the cells ``wanted`` (key tuples), reading only the cells rows of
        the attractions, markets, hours or days those keys name."""
        att_keys = [key for key in keys if key in ATTRACTION_KEYS]
        if att_keys:
            key = att_keys[0]
            j = keys.index(key)
            values = {w[j] for w in wanted}
            cat = self.ctx.full_catalogue[0]
            if key == "attraction_id":
                ids = [int(v) for v in values]
            elif key == "category":
                ids = [int(a) for a, cs in zip(cat["attraction_id"], cat["categories"], strict=True)
                       if values.intersection(cs)]
            else:
                ids = [int(a) for a in cat.loc[cat[key].isin(values), "attraction_id"]]
            if attractions is not None:
                keep = {int(a) for a in attractions}
                ids = [a for a in ids if a in keep]
            return self._cells(scope, keys, items, interval, ids)
        for key, column in (("market", "c.market"), ("hour", "c.hour")):
            if key in keys:
                j = keys.index(key)
                chosen = sorted({w[j] for w in wanted})
                marks = ", ".join(f":x{i}" for i in range(len(chosen)))
                return self._cells(scope, keys, items, interval, attractions, f" AND {column} IN ({marks})",
                                   {f"x{i}": v for i, v in enumerate(chosen)})
        if "period" in keys:  # the days of the periods wanted (a day, a week or a month each)
            j = keys.index("period")
            span = {None: 0, "day": 0, "week": 6, "month": 30}[interval]
            ranges = sorted({(max(scope.start, w[j].date()), min(scope.end, w[j].date() + dt.timedelta(days=span)))
                             for w in wanted})
            merged: list[list[dt.date]] = []
            for lo, hi in ranges:
                if merged and lo <= merged[-1][1] + dt.timedelta(days=1):
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            cond = " OR ".join(f"(c.day >= :x{i}a AND c.day <= :x{i}b)" for i in range(len(merged)))
            params = {p: v for i, (lo, hi) in enumerate(merged) for p, v in ((f"x{i}a", lo), (f"x{i}b", hi))}
            return self._cells(scope, keys, items, interval, attractions, f" AND ({cond})", params)
        return self._cells(scope, keys, items, interval, attractions)

    def _breakdown(self, keys: list[str], items: list, data: list, known: list | None,  # type: ignore[type-arg]
                   index: pd.Index | None, dims: Sequence[str] | None, resolve: Any) -> agg.Breakdown:
        names = [name for name, _ in items]
        order = sorted(range(len(data)), key=lambda i: data[i][0])
        data = [data[i] for i in order]
        if known is not None:
            known = [known[i] for i in order]
        if keys:
            if len(keys) == 1:
                idx: pd.Index = pd.Index([d[0][0] for d in data], name=keys[0])
            else:
                idx = pd.MultiIndex.from_tuples([d[0] for d in data], names=keys) if data else \
                    pd.MultiIndex.from_arrays([[] for _ in keys], names=keys)
        else:
            idx = pd.Index(["all"])
        values = pd.DataFrame([d[1] for d in data], index=idx, columns=names, dtype="int64")
        support = pd.DataFrame([d[2] for d in data], index=idx, columns=names, dtype="int64")
        exact = pd.DataFrame(known, index=idx, columns=names, dtype=bool) if known is not None else None
        if index is not None:
            values = values.reindex(index)
            support = support.reindex(index)
            if exact is not None:
                exact = exact.reindex(index).fillna(True).astype(bool)
        values = values.fillna(0).astype("int64")
        support = support.fillna(0).astype("int64")
        return agg.Breakdown(values, support, tuple(keys if dims is None else dims), exact, resolve)

    def visitors(self, scope: Scope) -> int:
        if not scope.restricted:  # distinct visitors present on the scope's days (months, days)
            pieces, pp = self._pieces(scope, False, subtract=False)
            return int(self.session.scalar(text(
                "SELECT COUNT(DISTINCT c.visitor_id) FROM (SELECT p.*, p.bucket AS day FROM analytics_presence p) c "
                f"WHERE {' OR '.join(cond for cond, _, _ in pieces)}"), pp) or 0)
        cte, params = self._map(scope)
        join_m = "JOIN" if scope.restricted else "LEFT JOIN"
        sql = (f"WITH {cte} SELECT COUNT(DISTINCT c.visitor_id) FROM analytics_cells c "
               f"{join_m} m ON m.raw_id = c.attraction_id "
               f"WHERE {self._where(scope, 'c', scope.restricted, False)} AND c.visitor_id <> 0")
        return int(self.session.scalar(text(sql), {**params, **self._days(scope)}) or 0)

    def _itineraries_in_scope(self, scope: Scope) -> str:
        """SQL condition on ``i`` (analytics_itineraries): created in scope."""
        base = "i.day >= :d0 AND i.day <= :d1"
        if not scope.restricted:
            return base
        return (base + " AND EXISTS (SELECT 1 FROM analytics_itinerary_stops st JOIN m ON m.raw_id = st.attraction_id"
                " WHERE st.event_row_id = i.event_row_id)")

    def simulated(self, scope: Scope) -> tuple[int, int]:
        if not scope.restricted:
            pieces, pp = self._pieces(scope, False)
            sign = " ".join(f"WHEN {cond} THEN -1" for cond, sg, _ in pieces if sg < 0)
            sign = f"(CASE {sign} ELSE 1 END)" if sign else "1"
            sim, total = self.session.execute(text(
                f"SELECT COALESCE(SUM({sign} * c.sim), 0), COALESCE(SUM({sign} * c.n), 0) FROM {_SUMS} c "
                f"WHERE c.attraction_id = -1 AND c.market = '*' AND c.hour = -1 AND c.type <> '{PLAN}' "
                f"AND ({' OR '.join(cond for cond, _, _ in pieces)})"), pp).one()
            return int(sim), int(total)
        cte, params = self._map(scope)
        join_m = "JOIN" if scope.restricted else "LEFT JOIN"
        p = {**params, **self._days(scope)}
        sql = (f"WITH {cte} SELECT COALESCE(SUM(CASE WHEN c.simulated THEN c.n ELSE 0 END), 0), "
               f"COALESCE(SUM(c.n), 0) FROM analytics_cells c {join_m} m ON m.raw_id = c.attraction_id "
               f"WHERE {self._where(scope, 'c', scope.restricted, False)} AND c.type <> '{PLAN}'")
        sim, total = self.session.execute(text(sql), p).one()
        sim, total = int(sim), int(total)
        if scope.restricted:  # itinerary_created (no attraction) is in scope when one of its stops is
            s2, t2 = self.session.execute(text(
                f"WITH {cte} SELECT COALESCE(SUM(CASE WHEN i.simulated THEN 1 ELSE 0 END), 0), COUNT(*) "
                f"FROM analytics_itineraries i WHERE {self._itineraries_in_scope(scope)}"), p).one()
            sim, total = sim + int(s2), total + int(t2)
        return sim, total

    def dwell(self, scope: Scope) -> DwellData:
        cte, params = self._map(scope)
        p = {**params, **self._days(scope)}
        join_m = "JOIN" if scope.restricted else "LEFT JOIN"
        frm = (f"FROM analytics_dwell c {join_m} m ON m.raw_id = c.attraction_id "
               f"WHERE {self._where(scope, 'c', scope.restricted, False)}")
        labels = [b[0] for b in agg.DWELL_BUCKETS]
        case = " ".join(f"WHEN c.seconds < {hi} THEN {i}" for i, (_, _, hi) in enumerate(agg.DWELL_BUCKETS[:-1]))
        case = f"CASE {case} ELSE {len(agg.DWELL_BUCKETS) - 1} END"
        bucket_rows = {int(b): (int(n), int(s)) for b, n, s in self.session.execute(text(
            f"WITH {cte} SELECT {case} AS b, SUM(c.n), COUNT(DISTINCT CASE WHEN c.visitor_id <> 0 "
            f"THEN c.visitor_id END) {frm} GROUP BY b"), p)}
        bidx = pd.Index(labels, name="bucket")
        buckets = agg.Breakdown(
            pd.DataFrame({"virtual_visits": [bucket_rows.get(i, (0, 0))[0] for i in range(len(labels))]},
                         index=bidx, dtype="int64"),
            pd.DataFrame({"virtual_visits": [bucket_rows.get(i, (0, 0))[1] for i in range(len(labels))]},
                         index=bidx, dtype="int64"), ("bucket",))
        n, s = self.session.execute(text(
            f"WITH {cte} SELECT COALESCE(SUM(c.n), 0), COUNT(DISTINCT CASE WHEN c.visitor_id <> 0 "
            f"THEN c.visitor_id END) {frm}"), p).one()
        overall = agg.Breakdown(pd.DataFrame({"virtual_visits": [int(n)]}, index=["all"]),
                                pd.DataFrame({"virtual_visits": [int(s)]}, index=["all"]), ())
        hist = self.session.execute(text(f"WITH {cte} SELECT c.seconds, SUM(c.n) {frm} GROUP BY c.seconds "
                                         "ORDER BY c.seconds"), p).all()
        vals = np.array([float(h[0]) for h in hist])
        wts = np.array([int(h[1]) for h in hist], dtype=np.int64)
        total_n = int(wts.sum())
        stats = {"median_seconds": _quantile(vals, wts, 0.5), "mean_seconds":
                 float((vals * wts).sum() / total_n) if total_n else None,
                 "p90_seconds": _quantile(vals, wts, 0.9), "total_seconds": float((vals * wts).sum())}
        per = pd.DataFrame(self.session.execute(text(
            f"WITH {cte} SELECT m.att_id, SUM(c.n), COUNT(DISTINCT CASE WHEN c.visitor_id <> 0 "
            f"THEN c.visitor_id END), SUM(c.seconds * c.n) {frm} AND m.att_id IS NOT NULL GROUP BY m.att_id"),
            p).all(), columns=["attraction_id", "count", "support", "total_seconds"])
        per = per.astype({"attraction_id": "int64", "count": "int64", "support": "int64",
                          "total_seconds": "float64"})

        def medians(ids: Sequence[int]) -> dict[int, float]:
            ids = [int(i) for i in ids]
            if not ids:
                return {}
            cte2, p2 = self._map(scope, ids)
            rows = self.session.execute(text(
                f"WITH {cte2} SELECT m.att_id, c.seconds, SUM(c.n) FROM analytics_dwell c JOIN m "
                f"ON m.raw_id = c.attraction_id WHERE c.day >= :d0 AND c.day <= :d1 "
                f"GROUP BY m.att_id, c.seconds ORDER BY m.att_id, c.seconds"), {**p2, **self._days(scope)}).all()
            out: dict[int, float] = {}
            for a in ids:
                sub = [(float(r[1]), int(r[2])) for r in rows if int(r[0]) == a]
                out[a] = _quantile(np.array([v for v, _ in sub]), np.array([w for _, w in sub]), 0.5)  # type: ignore[assignment]
            return out

        return DwellData(overall, buckets, stats, per, medians)

    def itineraries(self, scope: Scope) -> agg.Itineraries:
        cte, params = self._map(scope)
        p = {**params, **self._days(scope)}
        inscope = self._itineraries_in_scope(scope)
        created = self.session.execute(text(
            f"WITH {cte} SELECT i.days, i.visitor_id, COUNT(*) FROM analytics_itineraries i WHERE {inscope} "
            "GROUP BY i.days, i.visitor_id"), p).all()
        n_it = sum(int(r[2]) for r in created)
        it_visitors = {int(r[1]) for r in created if int(r[1]) != 0}
        # Stops planned in scope: the stops of itineraries created in the period, on attractions in scope.
        planned = self.session.execute(text(
            f"WITH {cte} SELECT COUNT(*), COUNT(DISTINCT CASE WHEN i.visitor_id <> 0 THEN i.visitor_id END) "
            f"FROM analytics_itineraries i JOIN analytics_itinerary_stops st ON st.event_row_id = i.event_row_id "
            f"JOIN m ON m.raw_id = st.attraction_id WHERE i.day >= :d0 AND i.day <= :d1"), p).one()
        # Stops done in the period, of those itineraries, that were planned: one per (itinerary, attraction).
        done = self.session.execute(text(
            f"""WITH {cte},
            it AS (SELECT DISTINCT i.itinerary_id FROM analytics_itineraries i WHERE {inscope}),
            pp AS (SELECT DISTINCT i.itinerary_id, m.att_id FROM analytics_itineraries i
                   JOIN analytics_itinerary_stops st ON st.event_row_id = i.event_row_id
                   JOIN m ON m.raw_id = st.attraction_id WHERE i.day >= :d0 AND i.day <= :d1),
            dn AS (SELECT d.itinerary_id, m.att_id, MIN(d.event_row_id) AS first FROM analytics_stops_done d
                   JOIN m ON m.raw_id = d.attraction_id
                   WHERE d.day >= :d0 AND d.day <= :d1 AND d.itinerary_id IN (SELECT itinerary_id FROM it)
                   GROUP BY d.itinerary_id, m.att_id)
            SELECT COUNT(*), COUNT(DISTINCT CASE WHEN d.visitor_id <> 0 THEN d.visitor_id END)
            FROM dn JOIN pp ON pp.itinerary_id = dn.itinerary_id AND pp.att_id = dn.att_id
            JOIN analytics_stops_done d ON d.event_row_id = dn.first"""), p).one()
        names = ["itineraries", "stops_planned", "stops_done"]
        overall = agg.Breakdown(
            pd.DataFrame([[n_it, int(planned[0]), int(done[0])]], index=["all"], columns=names),
            pd.DataFrame([[len(it_visitors), int(planned[1]), int(done[1])]], index=["all"], columns=names), ())
        counts: dict[str, int] = {}
        vis: dict[str, set[int]] = {}
        for days, visitor, c in created:
            b = _stay(days)
            counts[b] = counts.get(b, 0) + int(c)
            if int(visitor) != 0:
                vis.setdefault(b, set()).add(int(visitor))
        sidx = pd.Index(agg.STAY_BUCKETS, name="stay")
        stay = agg.Breakdown(
            pd.DataFrame({"itineraries": [counts.get(b, 0) for b in agg.STAY_BUCKETS]}, index=sidx, dtype="int64"),
            pd.DataFrame({"itineraries": [len(vis.get(b, ())) for b in agg.STAY_BUCKETS]}, index=sidx,
                         dtype="int64"), ("stay",))
        return agg.Itineraries(overall, stay, int(planned[0]) / n_it if n_it else math.nan,
                               int(done[0]) / n_it if n_it else math.nan)
