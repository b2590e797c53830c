"""SQL for events: idempotent inserts, look-ups the intake needs, erasure and retention.

``insert_events`` is ``INSERT ... ON CONFLICT (event_id) DO NOTHING`` on both SQLite and
PostgreSQL: a redelivered or re-sent event is absorbed by the unique client id, which is
what turns at-least-once delivery into an exactly-once count.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from causeway.analytics import rollups
from causeway.analytics.models import Event
from causeway.auth.models import Visitor
from causeway.content.models import Attraction
from causeway.db import rowcount, table_of

LOOKUP_CHUNK = 1000


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# PostgreSQL: one short statement whatever the batch size, the rows as one JSON document
# that the server unpacks (json_to_recordset). A 1,000-row VALUES list costs more to compile
# and to parse in the driver than to run; one array per column costs the driver a quoting
# pass per element. Times travel as integer microseconds since the epoch (exact).
_PG_INSERT = text("""
INSERT INTO events (event_id, type, visitor_id, attraction_id, occurred_at, received_at, stored_at,
                    position, recommendation_id, itinerary_id, dwell_seconds, market, simulated, context)
SELECT r.event_id, r.type, r.visitor_id, r.attraction_id,
       timestamptz 'epoch' + r.occurred * interval '1 microsecond',
       timestamptz 'epoch' + r.received * interval '1 microsecond',
       timestamptz 'epoch' + r.stored * interval '1 microsecond',
       r.position, r.recommendation_id, r.itinerary_id, r.dwell_seconds, r.market, r.simulated,
       coalesce(r.context, '{}'::json)
FROM json_to_recordset(CAST(:rows AS json)) AS r(
    event_id varchar, type varchar, visitor_id integer, attraction_id integer, occurred bigint,
    received bigint, stored bigint, position integer, recommendation_id varchar, itinerary_id varchar,
    dwell_seconds double precision, market varchar, simulated boolean, context json)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id""")
_TIMES = {"occurred_at": "occurred", "received_at": "received", "stored_at": "stored"}


def _micros(t: dt.datetime) -> int:
    return round(t.timestamp() * 1_000_000)


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Insert rows whose ``event_id`` is new; returns the event ids actually inserted."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        doc = [{**{k: v for k, v in r.items() if k not in _TIMES},
                **{short: _micros(r[name]) for name, short in _TIMES.items()}} for r in rows]
        return list(session.scalars(_PG_INSERT, {"rows": json.dumps(doc, separators=(",", ":"))}))
    # SQLite: one compiled statement run as an executemany, which SQLAlchemy batches into
    # multi-row INSERTs ("insertmanyvalues", RETURNING included).
    table = table_of(Event)
    stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.event_id)
    return list(session.connection().scalars(stmt, list(rows)))


def existing_event_ids(session: Session, event_ids: Sequence[str]) -> set[str]:
    if not event_ids:
        return set()
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, not 500 placeholders
        return set(session.scalars(text("SELECT event_id FROM events WHERE event_id = ANY(CAST(:ids AS varchar[]))"),
                                   {"ids": list(event_ids)}))
    found: set[str] = set()
    for chunk in _chunks(list(event_ids), LOOKUP_CHUNK):
        found.update(session.scalars(select(Event.event_id).where(Event.event_id.in_(chunk))))
    return found


def existing_attraction_ids(session: Session, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return set(session.scalars(text("SELECT id FROM attractions WHERE id = ANY(CAST(:ids AS integer[]))"),
                                   {"ids": wanted}))
    found: set[int] = set()
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        found.update(session.scalars(select(Attraction.id).where(Attraction.id.in_(chunk))))
    return found


def live_visitors(session: Session, ids: Iterable[int]) -> set[int]:
    """Visitors among ``ids`` that still exist. On PostgreSQL their rows are share-locked until
    the transaction ends, so an erasure running now waits and then unlinks what we insert."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ids)), LOOKUP_CHUNK):
        stmt = select(Visitor.id).where(Visitor.id.in_(chunk))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(read=True)
        found.update(session.scalars(stmt))
    return found


def unlink_visitor(session: Session, visitor_id: int) -> int:
    """Erasure: the visitor's events stay (aggregates survive) but point to nobody."""
    result = session.execute(update(Event).where(Event.visitor_id == visitor_id).values(visitor_id=None))
    return rowcount(result)


def delete_older_than(session: Session, cutoff: dt.datetime, chunk: int = 10_000) -> int:
    """Retention: delete events that occurred before ``cutoff``, in chunks (short locks);
    each chunk is committed on its own."""
    total = 0
    while True:
        ids = select(Event.id).where(Event.occurred_at < cutoff).limit(chunk)
        deleted = rowcount(session.execute(delete(Event).where(Event.id.in_(ids))))
        session.commit()
        total += deleted
        if deleted < chunk:
            if total:
                rollups.after_delete(session)  # the rollups keep these events' counts
                session.commit()
            return total


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)
