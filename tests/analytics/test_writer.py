"""The writer on both backends: SQLite with the in-process stream, PostgreSQL with Redis."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import store
from causeway.analytics.consumer import Writer, WriterConfig
from causeway.analytics.erasure import erase_visitor_events
from causeway.analytics.intake import decode
from causeway.analytics.models import Event
from causeway.analytics.redis_stream import RedisEventStream
from causeway.analytics.stream import Entry, EventStream, MemoryEventStream
from causeway.auth.models import Visitor
from causeway.auth.service import register_visitor
from tests.analytics.events_helpers import add_attractions, encoded, event

FAST = WriterConfig(read_count=10, claim_idle_ms=0, max_attempts=3)


@pytest.fixture
def stream(database_url: str, request: pytest.FixtureRequest) -> Iterator[EventStream]:
    if database_url.startswith("sqlite"):
        yield MemoryEventStream()
    else:
        s = RedisEventStream(request.getfixturevalue("redis_url"), key="test:events")
        yield s
        s.close()


@pytest.fixture
def places(factory: sessionmaker[Session]) -> list[int]:
    with factory.begin() as s:
        return add_attractions(s)


def _visitor(factory: sessionmaker[Session]) -> int:
    with factory.begin() as s:
        return register_visitor(s)[0].id


def _rows(factory: sessionmaker[Session]) -> list[Event]:
    with factory() as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


def test_redelivery_and_resend_count_once(stream: EventStream, factory: sessionmaker[Session],
                                          places: list[int]) -> None:
    visitor = _visitor(factory)
    docs = [event("visit", attraction_id=places[0]), event("save", attraction_id=places[1])]
    stream.publish([encoded(d, visitor_id=visitor) for d in docs])
    writer = Writer(stream, factory, "w1", FAST)
    (entry,) = stream.read("w1", 10)
    assert writer.process([entry]).stored == 2
    # The worker died before XACK, or the app re-sent after the stream forgot the ids: the
    # same events arrive again, in the same entry or in a new one. Both are absorbed.
    assert writer.process([entry]).duplicates == 2
    again = Entry("1-0", entry.events, 1)
    assert (writer.process([again]).stored, writer.process([again]).duplicates) == (0, 2)
    rows = _rows(factory)
    assert len(rows) == 2 and {r.event_id for r in rows} == {d["event_id"] for d in docs}
    assert all(r.visitor_id == visitor and r.stored_at >= r.received_at for r in rows)


def test_poison_event_goes_to_dead_letters_after_max_attempts(stream: EventStream, factory: sessionmaker[Session],
                                                              places: list[int]) -> None:
    good = event("visit", attraction_id=places[0])
    # Attraction 999999 does not exist: the foreign key refuses it on every attempt.
    poison = event("visit", attraction_id=999_999)
    stream.publish([encoded(good, visitor_id=None), encoded(poison, visitor_id=None)])
    writer = Writer(stream, factory, "w1", FAST)
    first = writer.step()
    assert (first.stored, first.dead, first.retrying) == (1, 0, 1)  # the good one is not held back
    assert stream.dead_letters() == []
    second = writer.step()  # claimed again (delivery 2)
    assert (second.stored, second.duplicates, second.dead, second.retrying) == (0, 1, 0, 1)
    third = writer.step()  # delivery 3 of 3
    assert third.dead == 1 and stream.pending() == 0
    (dead,) = stream.dead_letters()
    assert dead.event_id == poison["event_id"] and dead.attempts == 3
    assert "foreign key" in dead.error.lower() or "integrity" in dead.error.lower()
    assert [r.event_id for r in _rows(factory)] == [good["event_id"]]


def test_undecodable_event_is_dead_lettered_at_once(stream: EventStream, factory: sessionmaker[Session],
                                                    places: list[int]) -> None:
    good = event("visit", attraction_id=places[0])
    stream.publish([encoded(good, visitor_id=None), ("not-a-uuid", b"{not json")])
    result = Writer(stream, factory, "w1", FAST).step()
    assert (result.stored, result.dead) == (1, 1)
    assert stream.dead_letters()[0].error.startswith("undecodable event")


def test_two_consumers_share_the_group_and_claim_a_stale_entry(stream: EventStream, factory: sessionmaker[Session],
                                                               places: list[int]) -> None:
    # Idle time long enough that a loaded machine's first two steps cannot claim the entry early.
    config = WriterConfig(read_count=1, claim_idle_ms=1000)
    a, b = Writer(stream, factory, "a", config), Writer(stream, factory, "b", config)
    docs = [event("visit", attraction_id=p) for p in places]
    for d in docs:
        stream.publish([encoded(d, visitor_id=None)])
    # Consumer "crashed" reads an entry and dies before writing it.
    (lost,) = stream.read("crashed", 1)
    assert a.step().stored == 1 and b.step().stored == 1  # the others share the rest
    assert stream.pending() == 1 and len(_rows(factory)) == 2
    time.sleep(1.1)  # the crashed consumer's entry is now idle past claim_idle_ms
    taken = b.step()
    assert taken.entries == 1 and taken.stored == 1
    assert stream.pending() == 0
    assert {r.event_id for r in _rows(factory)} == {d["event_id"] for d in docs}
    assert lost.events[0][0] == docs[0]["event_id"]


def test_erasure_unlinks_stored_and_queued_events(stream: EventStream, factory: sessionmaker[Session],
                                                  places: list[int]) -> None:
    visitor, other = _visitor(factory), _visitor(factory)
    writer = Writer(stream, factory, "w1", FAST)
    stored = event("visit", attraction_id=places[0])
    stream.publish([encoded(stored, visitor_id=visitor), encoded(event("save", attraction_id=places[0]),
                                                                 visitor_id=other)])
    writer.step()
    queued = event("save", attraction_id=places[1])
    stream.publish([encoded(queued, visitor_id=visitor)])  # still in the stream at erasure time
    with factory.begin() as s:
        assert erase_visitor_events(s, stream, visitor) == 1
        s.delete(s.get(Visitor, visitor))
    writer.step()
    rows = {r.event_id: r.visitor_id for r in _rows(factory)}
    assert rows[stored["event_id"]] is None and rows[queued["event_id"]] is None
    assert sorted(v for v in rows.values() if v is not None) == [other]  # someone else's stay linked


def test_queued_events_never_link_to_a_reused_visitor_id(stream: EventStream, factory: sessionmaker[Session],
                                                         places: list[int]) -> None:
    visitor = _visitor(factory)
    queued = event("visit", attraction_id=places[0])
    stream.publish([encoded(queued, visitor_id=visitor)])
    with factory.begin() as s:
        erase_visitor_events(s, stream, visitor)
        s.delete(s.get(Visitor, visitor))
    with factory.begin() as s:  # a new visitor, under the same id where the database reuses ids
        s.add(Visitor(id=visitor, profile={}))
    Writer(stream, factory, "w1", FAST).step()
    (row,) = _rows(factory)
    assert row.event_id == queued["event_id"] and row.visitor_id is None


def test_retention_deletes_old_events_and_trims_dead_letters(stream: EventStream, factory: sessionmaker[Session],
                                                             places: list[int]) -> None:
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        rows = []
        for age_days in (1, 10, 500, 900):  # as seen two days on: 3, 12, 502, 902
            _, payload = encoded(event("visit", attraction_id=places[0]), visitor_id=None)
            rows.append({**decode(str(uuid.uuid4()), payload), "stored_at": now,
                         "occurred_at": now - dt.timedelta(days=age_days)})
        store.insert_events(s, rows)
    stream.publish([("bad", b"x")])
    stream.dead_letter(stream.read("w1", 1)[0], [("bad", b"x", "undecodable")])
    writer = Writer(stream, factory, "w1", WriterConfig(retention_days=400, dead_letter_retention_days=1),
                    clock=lambda: time.time() + 2 * 86_400)  # two days on: the dead letter is past 1 day
    out = writer.enforce_retention()
    assert out["events"] == 2 and out["dead_letters"] == 1
    with factory() as s:
        assert store.count(s) == 2
    assert writer.maybe_enforce_retention() is None  # not again before the interval
