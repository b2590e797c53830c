"""Keeping the rollups (rollup_models.py) up to date: one watermark, set-based SQL, exact.

**Watermark.** ``analytics_rollup_state.last_event_id`` is the highest ``events.id``
aggregated. :func:`refresh` takes the events above it in id order, a chunk at a time, and
per chunk runs one ``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE`` per rollup
table (plus one executemany for the planned stops parsed from ``itinerary_created``
context), then moves the watermark, all in one transaction. So the event write path pays
nothing per event; the worker runs :func:`refresh` every ``analytics_rollup_interval_seconds``
between batches, the embedded API after each drain (and before a report), and
``causeway analytics backfill`` is the same function run to the end with a progress bar:
idempotent (the watermark moves with the rows it covers) and resumable (each chunk commits).

**Exactly once.** Duplicates never reach ``events`` (unique client id), so they never reach
the rollups. Late events (offline uploads) get new ids and land in their own local day.
Two refreshes never overlap: the state row is locked first (``FOR UPDATE``; on SQLite the
database's write lock). On PostgreSQL an id can commit after a larger one, so the chunk
ends at a *safe* id: writers hold a shared advisory lock for their transaction
(:func:`writer_lock`), and the refresh reads ``max(id)`` under the exclusive one, which it
gets only once every insert in flight has committed or rolled back.

**Erasure** (:func:`forget_visitor`) moves the visitor's rows to visitor 0 in the same
transaction that unlinks their events: values stay, support goes. **Deletions** that must
not count any more (the demo replacing its simulated events) call :func:`retract` before
deleting; retention does not (aggregates outlive raw events), and both call
:func:`after_delete`, because SQLite reuses row ids above the largest remaining one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.frames import PLAN, _days, _stops
from causeway.analytics.rollup_models import (
    NO_VISITOR, RollupCell, RollupDwell, RollupItinerary, RollupItineraryStop, RollupPresence, RollupState,
    RollupStopDone, RollupSum)
from causeway.db import table_of, transaction

log = logging.getLogger("causeway.rollups")
STATE_ID = 1
LOCK_KEY = 16_0016  # PostgreSQL advisory lock: event writers (shared) vs the refresh (exclusive)
DEFAULT_BATCH = 50_000
# A refresh this far behind (a backfill, a worker after a long stop) aggregates into the cells
# only, then recounts the sums from the cells once it has caught up: one set-based pass
# instead of a per-chunk count of new visitors, which costs more per event.
BULK_AFTER = 500_000
TABLES = (RollupCell, RollupDwell, RollupItinerary, RollupItineraryStop, RollupStopDone, RollupSum, RollupPresence)


class TimezoneMismatch(RuntimeError):
    """The rollups are bucketed in another time zone than the settings say: rebuild them."""


@dataclass
class Status:
    last_event_id: int
    max_event_id: int
    timezone: str | None
    sums_valid: bool = True

    @property
    def lag(self) -> int:
        """Events (ids) not yet aggregated, at most."""
        return max(0, self.max_event_id - self.last_event_id)


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _local(session: Session, column: str) -> tuple[str, str]:
    """SQL for the local day and hour of a UTC timestamp column, in the time zone ``:tz``."""
    if _pg(session):
        return (f"CAST(timezone(:tz, {column}) AS date)",
                f"CAST(EXTRACT(HOUR FROM timezone(:tz, {column})) AS integer)")
    return f"cw_local_day({column}, :tz)", f"cw_local_hour({column}, :tz)"


def writer_lock(session: Session) -> None:
    """Called by an event writer inside its transaction, before inserting (PostgreSQL only)."""
    if _pg(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})


def _safe_max_id(session: Session) -> int:
    if _pg(session):
        session.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        try:
            top = session.scalar(text("SELECT max(id) FROM events"))
        finally:
            session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        return int(top or 0)
    return int(session.scalar(text("SELECT max(id) FROM events")) or 0)


def _lock_state(session: Session, *, wait: bool = True) -> RollupState | None:
    """The state row, locked until the transaction ends; None when another holds it (wait=False)."""
    if _pg(session):
        session.execute(text("INSERT INTO analytics_rollup_state (id, last_event_id) VALUES (:i, 0) "
                             "ON CONFLICT (id) DO NOTHING"), {"i": STATE_ID})
        sql = "SELECT last_event_id, timezone, sums_valid FROM analytics_rollup_state WHERE id = :i FOR UPDATE"
        row = session.execute(text(sql + ("" if wait else " SKIP LOCKED")), {"i": STATE_ID}).first()
        if row is None:
            return None
    else:  # the first write takes SQLite's write lock: refreshes in any process serialise here
        session.execute(text("INSERT INTO analytics_rollup_state (id, last_event_id) VALUES (:i, 0) "
                             "ON CONFLICT (id) DO UPDATE SET id = excluded.id"), {"i": STATE_ID})
        row = session.execute(text("SELECT last_event_id, timezone, sums_valid FROM analytics_rollup_state "
                                   "WHERE id = :i"), {"i": STATE_ID}).one()
    return RollupState(id=STATE_ID, last_event_id=int(row[0]), timezone=row[1], sums_valid=bool(row[2]))


def _save_state(session: Session, last: int, timezone: str | None, sums_valid: bool | None = None) -> None:
    session.execute(text("UPDATE analytics_rollup_state SET last_event_id = :l, timezone = :tz, "
                         "updated_at = :now" + ("" if sums_valid is None else ", sums_valid = :ok") + " WHERE id = :i"),
                    {"l": last, "tz": timezone, "now": dt.datetime.now(dt.UTC), "i": STATE_ID, "ok": sums_valid})


def status(session: Session) -> Status:
    row = session.execute(text("SELECT last_event_id, timezone, sums_valid FROM analytics_rollup_state "
                               "WHERE id = :i"), {"i": STATE_ID}).first()
    top = int(session.scalar(text("SELECT max(id) FROM events")) or 0)
    return Status(int(row[0]) if row else 0, top, row[1] if row else None, bool(row[2]) if row else True)


# -- the aggregation of one id range ---------------------------------------------------------

_CELL_KEYS = "day, attraction_id, type, hour, market, simulated, visitor_id"
_DWELL_KEYS = "day, attraction_id, seconds, visitor_id, simulated"


def _apply(session: Session, timezone: str, where: str, params: dict[str, Any], sign: int,
           sums: bool = True) -> None:
    """Add (sign=1) or subtract (sign=-1) the events ``WHERE <where>`` (alias ``e``)."""
    day, hour = _local(session, "e.occurred_at")
    p = {**params, "tz": timezone}
    # Added events go through a staging table first: the sums' distinct visitors are counted
    # against the cells as they were before the chunk (see _fold_chunk).
    cells = _stage(session) if sign > 0 else "analytics_cells"
    upsert = "" if sign > 0 else f" ON CONFLICT ({_CELL_KEYS}) DO UPDATE SET n = analytics_cells.n + excluded.n"
    session.execute(text(f"""
        INSERT INTO {cells} ({_CELL_KEYS}, n)
        SELECT {day}, coalesce(e.attraction_id, 0), e.type, {hour}, upper(coalesce(e.market, 'unknown')),
               e.simulated, coalesce(e.visitor_id, 0), {sign} * count(*)
        FROM events e WHERE {where}
        GROUP BY 1, 2, 3, 4, 5, 6, 7{upsert}"""), p)
    session.execute(text(f"""
        INSERT INTO analytics_dwell ({_DWELL_KEYS}, n)
        SELECT {day}, coalesce(e.attraction_id, 0), e.dwell_seconds, coalesce(e.visitor_id, 0), e.simulated,
               {sign} * count(*)
        FROM events e WHERE {where} AND e.type = 'virtual_visit' AND e.dwell_seconds >= 0
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT ({_DWELL_KEYS}) DO UPDATE SET n = analytics_dwell.n + excluded.n"""), p)
    # Itineraries: one row per created event (with its planned stops, parsed as the pandas
    # path parses them) and per stop done; planned stops also become itinerary_plan cells.
    created = session.execute(text(f"""
        SELECT e.id, e.itinerary_id, {day}, {hour}, upper(coalesce(e.market, 'unknown')), e.simulated,
               coalesce(e.visitor_id, 0), e.context
        FROM events e WHERE {where} AND e.type = 'itinerary_created'"""), p).all()
    plans: Counter[tuple[Any, ...]] = Counter()
    its, stops = [], []
    # Planned stops count in reports only on attractions that exist (as the pandas path's
    # catalogue join has it); events themselves always name one (foreign key) or none.
    wanted = sorted({a for row in created for a in _stops(_context(row[-1]).get("stops"))})
    known = {int(a) for i in range(0, len(wanted), 5000) for (a,) in session.execute(
        text("SELECT id FROM attractions WHERE id IN (" + ", ".join(str(int(a)) for a in wanted[i:i + 5000]) + ")"))}
    for row_id, itinerary, d, h, market, simulated, visitor, context in created:
        context = _context(context)
        planned = _stops(context.get("stops"))
        days = _days(context.get("days"))
        its.append({"event_row_id": row_id, "itinerary_id": itinerary, "day": _date(d), "visitor_id": visitor,
                    "days": None if days != days else days, "simulated": bool(simulated)})
        for pos, stop in enumerate(planned):
            stops.append({"event_row_id": row_id, "position": pos, "attraction_id": stop})
            if stop in known:
                plans[(_date(d), stop, PLAN, int(h), market, bool(simulated), visitor)] += 1
    if plans:
        session.execute(text(f"""
            INSERT INTO {cells} ({_CELL_KEYS}, n)
            VALUES (:day, :attraction_id, :type, :hour, :market, :simulated, :visitor_id, :n){upsert}"""),
            [dict(zip(("day", "attraction_id", "type", "hour", "market", "simulated", "visitor_id"), k,
                      strict=True), n=sign * c) for k, c in plans.items()])
    if sign > 0:
        _fold_chunk(session, sums)
        if its:
            session.execute(table_of(RollupItinerary).insert(), its)
        if stops:
            session.execute(table_of(RollupItineraryStop).insert(), stops)
        session.execute(text(f"""
            INSERT INTO analytics_stops_done (event_row_id, itinerary_id, attraction_id, day, visitor_id)
            SELECT e.id, e.itinerary_id, coalesce(e.attraction_id, 0), {day}, coalesce(e.visitor_id, 0)
            FROM events e WHERE {where} AND e.type = 'itinerary_stop_done'"""), p)
    else:
        for table in ("analytics_itineraries", "analytics_itinerary_stops", "analytics_stops_done"):
            session.execute(text(f"DELETE FROM {table} WHERE event_row_id IN (SELECT e.id FROM events e "
                                 f"WHERE {where})"), p)
        session.execute(text("DELETE FROM analytics_cells WHERE n <= 0"))
        session.execute(text("DELETE FROM analytics_dwell WHERE n <= 0"))
        rebuild_sums(session)  # visitors may have left a row: count them again from the cells


# -- the sums: cells without the visitor, with each row's distinct visitors ---------------------

STAGE = "cw_rollup_chunk"
GRAINS = ("d", "m")
# Grouping sets of analytics_sums: (attraction, market, hour) expressions over a cells row, and
# how a cells row matches a sums row of the set (beyond type and the bucket's days).
SETS: dict[str, tuple[str, str, str, str]] = {
    "attraction": ("attraction_id", "'*'", "-1", "c.attraction_id = p.att"),
    "all": ("-1", "'*'", "-1", ""),
    "market": ("-1", "market", "-1", "c.market = p.mk"),
    "hour": ("-1", "'*'", "hour", "c.hour = p.hr"),
}
_SUM_KEYS = "grain, bucket, attraction_id, type, market, hour"


def _stage(session: Session) -> str:
    if _pg(session):
        session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (day date, attraction_id integer, "
                             "type varchar(24), hour smallint, market varchar(8), simulated boolean, "
                             "visitor_id integer, n bigint) ON COMMIT DELETE ROWS"))
    else:
        session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (day, attraction_id, type, hour, market, "
                             "simulated, visitor_id, n)"))
    session.execute(text(f"DELETE FROM {STAGE}"))
    return STAGE


def _bucket(session: Session, grain: str, column: str) -> str:
    if grain == "d":
        return column
    return f"CAST(date_trunc('month', {column}) AS date)" if _pg(session) else f"date({column}, 'start of month')"


def _within(session: Session, grain: str, day: str, bucket: str) -> str:
    """SQL: the day ``day`` lies in the bucket starting ``bucket``."""
    if grain == "d":
        return f"{day} = {bucket}"
    end = f"CAST({bucket} + interval '1 month' AS date)" if _pg(session) else f"date({bucket}, '+1 month')"
    return f"{day} >= {bucket} AND {day} < {end}"


def _fold_chunk(session: Session, sums: bool = True) -> None:
    """Staged cells -> sums (values; distinct visitors new to each row, i.e. without a cells row
    in it yet), presence, and then the cells themselves (only these when not ``sums``)."""
    for grain in GRAINS if sums else ():
        b = _bucket(session, grain, "s.day")
        for att, mk, hr, match in SETS.values():
            cols = f"{b} AS b, {att.replace('attraction_id', 's.attraction_id')} AS att, s.type AS type, " \
                   f"{mk.replace('market', 's.market')} AS mk, {hr.replace('hour', 's.hour')} AS hr"
            cond = " AND ".join(x for x in (match, _within(session, grain, "c.day", "p.b")) if x)
            session.execute(text(f"""
                INSERT INTO analytics_sums ({_SUM_KEYS}, n, sim, v)
                SELECT :g, a.b, a.att, a.type, a.mk, a.hr, a.n, a.sim, coalesce(q.c, 0)
                FROM (SELECT b, att, type, mk, hr, sum(n) AS n, sum(sim) AS sim
                      FROM (SELECT {cols}, s.n AS n, CASE WHEN s.simulated THEN s.n ELSE 0 END AS sim
                            FROM {STAGE} s) x
                      GROUP BY b, att, type, mk, hr) a
                LEFT JOIN (SELECT b, att, type, mk, hr, count(*) AS c
                           FROM (SELECT DISTINCT {cols}, s.visitor_id AS visitor_id FROM {STAGE} s
                                 WHERE s.visitor_id <> 0) p
                           WHERE NOT EXISTS (SELECT 1 FROM analytics_cells c WHERE c.visitor_id = p.visitor_id
                                             AND c.type = p.type AND {cond})
                           GROUP BY b, att, type, mk, hr) q
                  ON q.b = a.b AND q.att = a.att AND q.type = a.type AND q.mk = a.mk AND q.hr = a.hr
                WHERE true
                ON CONFLICT ({_SUM_KEYS}) DO UPDATE SET n = analytics_sums.n + excluded.n,
                    sim = analytics_sums.sim + excluded.sim, v = analytics_sums.v + excluded.v"""), {"g": grain})
        session.execute(text(f"""
            INSERT INTO analytics_presence (grain, bucket, visitor_id)
            SELECT DISTINCT :g, {b}, s.visitor_id FROM {STAGE} s WHERE s.visitor_id <> 0
            ON CONFLICT (grain, bucket, visitor_id) DO NOTHING"""), {"g": grain})
    session.execute(text(f"""
        INSERT INTO analytics_cells ({_CELL_KEYS}, n) SELECT {_CELL_KEYS}, n FROM {STAGE} WHERE true
        ON CONFLICT ({_CELL_KEYS}) DO UPDATE SET n = analytics_cells.n + excluded.n"""))
    session.execute(text(f"DELETE FROM {STAGE}"))


def rebuild_sums(session: Session) -> None:
    """The sums and presence recomputed from the cells (after a retraction; and the tests' oracle)."""
    session.execute(text("DELETE FROM analytics_sums"))
    session.execute(text("DELETE FROM analytics_presence"))
    if _pg(session):  # one sort per grouping set over every cells row: in memory rather than on disk
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    for grain in GRAINS:
        b = _bucket(session, grain, "c.day")
        for att, mk, hr, _ in SETS.values():
            keys = f"{b}, {att}, c.type, {mk}, {hr}"
            group = ", ".join(k for k in (b, att, "c.type", mk, hr) if k not in ("-1", "'*'"))
            session.execute(text(f"""
                INSERT INTO analytics_sums ({_SUM_KEYS}, n, sim, v)
                SELECT :g, {keys}, sum(c.n), sum(CASE WHEN c.simulated THEN c.n ELSE 0 END),
                       count(DISTINCT CASE WHEN c.visitor_id <> 0 THEN c.visitor_id END)
                FROM analytics_cells c GROUP BY {group}"""), {"g": grain})
        session.execute(text(f"""
            INSERT INTO analytics_presence (grain, bucket, visitor_id)
            SELECT DISTINCT :g, {b}, c.visitor_id FROM analytics_cells c WHERE c.visitor_id <> 0"""), {"g": grain})


def _forget_in_sums(session: Session, visitor_id: int) -> None:
    """Erasure: every sums row the visitor is counted in loses one visitor; presence goes."""
    rows = session.execute(text("SELECT day, attraction_id, type, market, hour FROM analytics_cells "
                                "WHERE visitor_id = :v"), {"v": visitor_id}).all()
    keys: set[tuple[Any, ...]] = set()
    buckets: set[tuple[str, dt.date]] = set()
    for day, att, typ, market, hour in rows:
        d = _date(day)
        for grain, b in (("d", d), ("m", d.replace(day=1))):
            buckets.add((grain, b))
            keys.update({(grain, b, att, typ, "*", -1), (grain, b, -1, typ, "*", -1),
                         (grain, b, -1, typ, market, -1), (grain, b, -1, typ, "*", int(hour))})
    if keys:
        session.execute(text("UPDATE analytics_sums SET v = v - 1 WHERE grain = :g AND bucket = :b AND "
                             "attraction_id = :a AND type = :t AND market = :m AND hour = :h"),
                        [dict(zip("gbatmh", k, strict=True)) for k in keys])
    if buckets:
        session.execute(text("DELETE FROM analytics_presence WHERE grain = :g AND bucket = :b AND visitor_id = :v"),
                        [{"g": g, "b": b, "v": visitor_id} for g, b in buckets])


def _context(context: Any) -> dict[str, Any]:
    if isinstance(context, str):  # a text() query returns SQLite's JSON undecoded
        context = json.loads(context)
    return context if isinstance(context, dict) else {}


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# -- entry points --------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def refresh(factory: sessionmaker[Session], timezone: str, *, batch: int = DEFAULT_BATCH,
            max_batches: int | None = None, wait: bool = True, progress: Progress | None = None,
            bulk_after: int = BULK_AFTER) -> int:
    """Aggregate the events above the watermark, ``batch`` events per transaction.

    Stops after ``max_batches`` chunks (None: until caught up). With ``wait=False`` it returns
    at once if another refresh holds the state (PostgreSQL). Returns the events aggregated."""
    done = chunks = 0
    while max_batches is None or chunks < max_batches:
        with transaction(factory) as s:
            top = _safe_max_id(s)
            state = _lock_state(s, wait=wait)
            if state is None:
                return done
            if state.timezone not in (None, timezone):
                raise TimezoneMismatch(f"the rollups are in {state.timezone}, the settings say {timezone}: "
                                       "run `causeway analytics backfill --rebuild`")
            lo = state.last_event_id
            hi = s.scalar(text("SELECT max(id) FROM (SELECT id FROM events WHERE id > :lo AND id <= :top "
                               "ORDER BY id LIMIT :b) AS chunk"), {"lo": lo, "top": top, "b": batch})
            if hi is None:
                if state.timezone is None:
                    _save_state(s, lo, timezone)
                if not state.sums_valid:  # caught up after bulk chunks: recount the sums once
                    rebuild_sums(s)
                    _save_state(s, lo, timezone, True)
                if progress:
                    progress(done, done)
                return done
            n = int(s.scalar(text("SELECT count(*) FROM events WHERE id > :lo AND id <= :hi"),
                             {"lo": lo, "hi": hi}) or 0)
            bulk = not state.sums_valid or top - lo > bulk_after
            _apply(s, timezone, "e.id > :lo AND e.id <= :hi", {"lo": lo, "hi": hi}, 1, sums=not bulk)
            _save_state(s, int(hi), timezone, False if bulk else None)
            left = int(s.scalar(text("SELECT count(*) FROM events WHERE id > :hi AND id <= :top"),
                                {"hi": hi, "top": top}) or 0) if progress else 0
        done += n
        chunks += 1
        if progress:
            progress(done, done + left)
    return done


def rebuild(factory: sessionmaker[Session], timezone: str) -> None:
    """Empty the rollups (and set their time zone), for a backfill from scratch."""
    with transaction(factory) as s:
        _lock_state(s)
        for table in TABLES:
            s.execute(table_of(table).delete())
        _save_state(s, 0, timezone, True)


def forget_visitor(session: Session, visitor_id: int) -> None:
    """Erasure: the visitor's rollup rows become visitor 0's (same values, no support)."""
    _lock_state(session)
    _forget_in_sums(session, visitor_id)
    v = {"v": visitor_id, "none": NO_VISITOR}
    for table, keys in (("analytics_cells", _CELL_KEYS), ("analytics_dwell", _DWELL_KEYS)):
        cols = keys.replace("visitor_id", ":none")
        session.execute(text(f"""
            INSERT INTO {table} ({keys}, n) SELECT {cols}, n FROM {table} WHERE visitor_id = :v
            ON CONFLICT ({keys}) DO UPDATE SET n = {table}.n + excluded.n"""), v)
        session.execute(text(f"DELETE FROM {table} WHERE visitor_id = :v"), v)
    for table in ("analytics_itineraries", "analytics_stops_done"):
        session.execute(text(f"UPDATE {table} SET visitor_id = :none WHERE visitor_id = :v"), v)


def retract(session: Session, where: str, params: dict[str, Any] | None = None) -> None:
    """Take the already-aggregated events ``WHERE <where>`` (alias ``e``) out of the rollups;
    the caller deletes them in the same transaction, then calls :func:`after_delete`."""
    state = _lock_state(session)
    assert state is not None
    if state.last_event_id and state.timezone:
        _apply(session, state.timezone, f"e.id <= :wm AND ({where})", {**(params or {}), "wm": state.last_event_id},
               -1)


def after_delete(session: Session) -> None:
    """After deleting events: keep the watermark at or below the largest remaining id (SQLite
    gives a new row the largest id + 1, which may be below a watermark set before)."""
    state = _lock_state(session)
    assert state is not None
    top = int(session.scalar(text("SELECT max(id) FROM events")) or 0)
    if top < state.last_event_id:
        _save_state(session, top, state.timezone)


class Refresher:
    """Runs :func:`refresh` at most every ``interval`` seconds (the worker's loop calls it)."""

    def __init__(self, factory: sessionmaker[Session], timezone: str, interval: float = 1.0,
                 batch: int = DEFAULT_BATCH, max_batches: int | None = 4, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.factory, self.timezone, self.interval = factory, timezone, interval
        self.batch, self.max_batches, self._clock = batch, max_batches, clock
        self._next = 0.0

    def __call__(self, *, force: bool = False) -> int:
        now = self._clock()
        if not force and now < self._next:
            return 0
        self._next = now + self.interval
        try:
            return refresh(self.factory, self.timezone, batch=self.batch, max_batches=self.max_batches)
        except TimezoneMismatch as exc:
            log.error("rollups not refreshed: %s", exc)
            return 0
