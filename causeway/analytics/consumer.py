"""The writer: stream entries in, database rows out, acknowledged only once written.

One :class:`Writer` per consumer. ``causeway worker`` runs one in a loop against Redis; in
the embedded default the API process owns one and drains its in-process stream at the end
of each request. Either way:

1. claim entries a dead (or failing) consumer left pending longer than ``claim_idle_ms``,
   else read new ones, up to ``read_count`` entries (POST batches) at a time;
2. write every event of them in one transaction (``INSERT ... ON CONFLICT DO NOTHING``),
   unlinking events of erased visitors, then acknowledge;
3. if that fails for a reason other than the database being unreachable, retry entry by
   entry and then event by event, so one poison event cannot hold back its neighbours;
   an event that still fails is retried on the next delivery, and after ``max_attempts``
   deliveries goes to the dead letters with its error (an undecodable one goes at once);
4. now and then, enforce the retention periods;
5. bring the analytics rollups up to date (the worker every ``analytics_rollup_interval_seconds``,
   the embedded default after each drain): one set-based pass over the events above the
   rollups' watermark, not a write per event (see :mod:`causeway.analytics.rollups`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import rollups, store
from causeway.analytics.intake import decode
from causeway.analytics.stream import Entry, EventStream, StreamUnavailable
from causeway.db import transaction
from causeway.observability import EVENTS_DEAD, EVENTS_STORED

log = logging.getLogger("causeway.worker")
# The database or the stream is unreachable or busy: nothing is wrong with the events.
TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
             sa_exc.TimeoutError, StreamUnavailable)
DAY = 86_400.0


@dataclass(frozen=True)
class WriterConfig:
    read_count: int = 10
    claim_idle_ms: int = 30_000
    max_attempts: int = 3
    retention_days: float = 400.0
    dead_letter_retention_days: float = 30.0
    retention_interval_seconds: float = 3600.0
    tombstone_keep_seconds: float = 3600.0  # at least this long, whatever the stream holds

    @classmethod
    def from_settings(cls, settings) -> WriterConfig:  # type: ignore[no-untyped-def]
        return cls(read_count=settings.event_read_count, claim_idle_ms=settings.event_claim_idle_ms,
                   max_attempts=settings.event_max_attempts,
                   retention_days=settings.event_retention_days,
                   dead_letter_retention_days=settings.event_dead_letter_retention_days,
                   retention_interval_seconds=settings.event_retention_interval_seconds)


@dataclass
class Tally:
    entries: int = 0
    stored: int = 0  # rows inserted
    duplicates: int = 0  # rows already there (redelivery or re-send)
    dead: int = 0  # events sent to the dead letters
    retrying: int = 0  # entries left pending for another attempt

    def add(self, other: Tally) -> None:
        for name in ("entries", "stored", "duplicates", "dead", "retrying"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Work:
    entry: Entry
    rows: list[dict[str, Any]]
    payloads: dict[str, bytes] = field(default_factory=dict)  # row event id -> as published
    failures: list[tuple[str, bytes, str]] = field(default_factory=list)
    undecodable: int = 0


def _describe(exc: Exception) -> str:
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        text = f"{exc.orig.__class__.__name__}: {exc.orig}"
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    return text.strip().splitlines()[0][:500]


class Writer:
    """Writes stream entries to the database as consumer ``consumer``; see the module docstring."""

    def __init__(self, stream: EventStream, factory: sessionmaker[Session], consumer: str,
                 config: WriterConfig | None = None, clock=time.time,  # type: ignore[no-untyped-def]
                 refresher: rollups.Refresher | None = None) -> None:
        self.stream, self.factory, self.consumer = stream, factory, consumer
        self.refresher = refresher  # brings the analytics rollups up to date (issue 16)
        self.config = config or WriterConfig()
        self._clock = clock
        self._next_claim = 0.0
        self._next_retention = 0.0
        self._drain_lock = threading.Lock()

    # -- reading ------------------------------------------------------------------------
    def step(self, block_ms: int = 0) -> Tally:
        """Claim stale entries or read new ones, and write them."""
        entries: list[Entry] = []
        now = self._clock()
        if now >= self._next_claim:
            entries = self.stream.claim_stale(self.consumer, self.config.claim_idle_ms, self.config.read_count)
            if not entries:  # nothing stale: look again in a fraction of the idle time
                self._next_claim = now + self.config.claim_idle_ms / 4000
        if not entries:
            entries = self.stream.read(self.consumer, self.config.read_count, block_ms)
        tally = self.process(entries)
        EVENTS_STORED.inc(tally.stored)
        EVENTS_DEAD.inc(tally.dead)
        return tally

    def drain(self) -> Tally:
        """Write everything queued now (the embedded default calls this after each POST).

        Serialised: a request that returns after ``drain`` knows its events were written,
        by itself or by the drain it waited for."""
        total = Tally()
        with self._drain_lock:
            while True:
                tally = self.step(0)
                total.add(tally)
                if tally.entries == 0:
                    break
            self.maybe_enforce_retention()
            if self.refresher is not None and total.stored:
                self.refresher(force=True)
        return total

    # -- writing ------------------------------------------------------------------------
    def _write(self, session: Session, rows: Sequence[dict[str, Any]]) -> int:
        rollups.writer_lock(session)  # PostgreSQL: the rollup refresh waits for this insert to end
        visitors = {r["visitor_id"] for r in rows if r["visitor_id"] is not None}
        erased = self.stream.erased(visitors) if visitors else {}
        live = store.live_visitors(session, visitors) if visitors else set()
        stored_at = dt.datetime.now(dt.UTC)
        out = []
        for row in rows:
            row = dict(row, stored_at=stored_at)
            v = row["visitor_id"]
            if v is not None and (v not in live or row["received_at"].timestamp() <= erased.get(v, -1.0)):
                row["visitor_id"] = None  # erased: counted, linked to nobody (and never to a reused id)
            out.append(row)
        return len(store.insert_events(session, out))

    def _write_all(self, rows: Sequence[dict[str, Any]]) -> int:
        with transaction(self.factory) as session:
            return self._write(session, rows)

    def process(self, entries: Sequence[Entry]) -> Tally:
        """Write ``entries``; raises a TRANSIENT error (nothing acknowledged) when the database
        or the stream is unreachable."""
        tally = Tally(entries=len(entries))
        if not entries:
            return tally
        work: list[_Work] = []
        for entry in entries:
            w = _Work(entry, [])
            for event_id, payload in entry.events:
                try:
                    row = decode(event_id, payload)
                except ValueError as exc:
                    w.failures.append((event_id, payload, str(exc)))
                    w.undecodable += 1
                else:
                    w.rows.append(row)
                    w.payloads[row["event_id"]] = payload
            work.append(w)
        rows = [r for w in work for r in w.rows]
        try:
            stored = self._write_all(rows)
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001  (some event is poison: find which)
            log.warning("batch of %d entries failed (%s); retrying entry by entry", len(entries), _describe(exc))
            for w in work:
                self._process_alone(w, tally)
            return tally
        tally.stored += stored
        tally.duplicates += len(rows) - stored
        self.stream.ack([w.entry.id for w in work if not w.failures])
        for w in work:
            if w.failures:
                self._settle(w, tally)
        return tally

    def _process_alone(self, w: _Work, tally: Tally) -> None:
        try:
            stored = self._write_all(w.rows)
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001
            stored, failed = 0, 0
            for row in w.rows:
                try:
                    stored += self._write_all([row])
                except TRANSIENT:
                    raise
                except Exception as exc:  # noqa: BLE001
                    failed += 1
                    w.failures.append((row["event_id"], w.payloads[row["event_id"]], _describe(exc)))
            tally.duplicates += len(w.rows) - failed - stored
        else:
            tally.duplicates += len(w.rows) - stored
        tally.stored += stored
        if w.failures:
            self._settle(w, tally)
        else:
            self.stream.ack([w.entry.id])

    def _settle(self, w: _Work, tally: Tally) -> None:
        """Dead-letter the failures, or leave the entry pending for another delivery."""
        only_undecodable = w.undecodable == len(w.failures)
        if only_undecodable or w.entry.deliveries >= self.config.max_attempts:
            self.stream.dead_letter(w.entry, w.failures)
            tally.dead += len(w.failures)
            for event_id, _, error in w.failures:
                log.error("event %s dead-lettered after %d deliveries: %s", event_id, w.entry.deliveries, error)
        else:
            tally.retrying += 1
            log.warning("entry %s: %d event(s) failed on delivery %d of %d; left pending", w.entry.id,
                        len(w.failures), w.entry.deliveries, self.config.max_attempts)

    # -- retention ----------------------------------------------------------------------
    def enforce_retention(self) -> dict[str, int]:
        """Delete raw events past their retention period; trim dead letters and tombstones."""
        now = self._clock()
        self._next_retention = now + self.config.retention_interval_seconds
        out = {"events": 0}
        if self.config.retention_days > 0:
            cutoff = dt.datetime.fromtimestamp(now - self.config.retention_days * DAY, dt.UTC)
            with self.factory() as session:
                out["events"] = store.delete_older_than(session, cutoff)
        out.update(self.stream.trim(
            dead_letters_before=now - self.config.dead_letter_retention_days * DAY,
            tombstones_before=now - self.config.tombstone_keep_seconds))
        if any(out.values()):
            log.info("retention: deleted %(events)d events, %(dead_letters)d dead letters, "
                     "%(tombstones)d erasure tombstones", out)
        return out

    def maybe_enforce_retention(self) -> dict[str, int] | None:
        if self._clock() >= self._next_retention:
            return self.enforce_retention()
        return None
