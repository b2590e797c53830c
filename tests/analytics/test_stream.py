"""The in-process and the Redis event streams honour the same contract."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from causeway.analytics.redis_stream import RedisEventStream
from causeway.analytics.stream import (
    EventStream,
    MemoryEventStream,
    StreamUnavailable,
    before,
    parse_id,
    stored_through,
)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def stream(request: pytest.FixtureRequest) -> Iterator[EventStream]:
    if request.param == "memory":
        yield MemoryEventStream(seen_ttl_seconds=60)
    else:
        s = RedisEventStream(request.getfixturevalue("redis_url"), key="test:events", seen_ttl_seconds=60)
        yield s
        s.close()


def test_ids_and_watermark() -> None:
    assert parse_id("1700000000000-3") == (1700000000000, 3)
    assert before("5-3") == "5-2" and parse_id(before("5-0")) == (4, 2**64 - 1) and before("0-0") == "0-0"
    assert stored_through("9-0", None) == "9-0"
    assert stored_through("9-0", "7-1") == "7-0"


def test_publish_remembers_ids_and_reads_once(stream: EventStream) -> None:
    first = stream.publish([("a", b"1"), ("b", b"2")])
    assert first.fresh == [True, True] and first.entry is not None
    again = stream.publish([("b", b"2"), ("c", b"3")])
    assert again.fresh == [False, True]
    assert again.known == [first.entry, None]  # a duplicate says where it was queued
    assert again.last_entry == again.entry and parse_id(again.entry) > parse_id(first.entry)
    assert stream.publish([("a", b"1")]).last_entry == first.entry
    assert stream.publish([("a", b"1")]).entry is None  # nothing new: no entry at all
    entries = stream.read("w1", count=10)
    assert [e.events for e in entries] == [[("a", b"1"), ("b", b"2")], [("c", b"3")]]
    assert all(e.deliveries == 1 for e in entries)
    assert stream.read("w2", count=10) == []  # delivered to the group once
    assert stream.pending() == 2


def test_receipt_tracks_what_is_acknowledged(stream: EventStream) -> None:
    one = stream.publish([("a", b"1")]).entry
    two = stream.publish([("b", b"2")]).entry
    assert one and two
    assert not stream.receipt().covers(one, stream.receipt().epoch)
    a, b = stream.read("w1", count=10)
    stream.ack([b.id])  # the later entry is written, the earlier one is not yet
    receipt = stream.receipt()
    assert not receipt.covers(one, receipt.epoch) and not receipt.covers(two, receipt.epoch)
    stream.ack([a.id])
    receipt = stream.receipt()
    assert receipt.covers(one, receipt.epoch) and receipt.covers(two, receipt.epoch)
    assert not receipt.covers(one, "another-epoch")
    assert stream.backlog() == 0 and stream.pending() == 0


def test_a_second_consumer_claims_what_a_dead_one_left(stream: EventStream) -> None:
    stream.publish([("a", b"1")])
    (taken,) = stream.read("dies", count=10)
    assert stream.claim_stale("lives", min_idle_ms=60_000, count=10) == []  # not stale yet
    time.sleep(0.05)
    (claimed,) = stream.claim_stale("lives", min_idle_ms=20, count=10)
    assert claimed.id == taken.id and claimed.events == taken.events and claimed.deliveries == 2
    stream.ack([claimed.id])
    assert stream.pending() == 0


def test_dead_letters_keep_the_error_and_acknowledge(stream: EventStream) -> None:
    stream.publish([("a", b"1"), ("b", b"2")])
    (entry,) = stream.read("w1", count=10)
    stream.dead_letter(entry, [("b", b"2", "IntegrityError: boom")])
    (dead,) = stream.dead_letters()
    assert (dead.entry, dead.event_id, dead.payload, dead.error) == (entry.id, "b", b"2", "IntegrityError: boom")
    assert stream.pending() == 0
    assert stream.trim(dead_letters_before=time.time() - 3600, tombstones_before=0)["dead_letters"] == 0
    assert stream.trim(dead_letters_before=time.time() + 1, tombstones_before=0)["dead_letters"] == 1
    assert stream.dead_letters() == []


def test_tombstones_live_while_an_older_entry_is_queued(stream: EventStream) -> None:
    stream.forget_visitor(7, 1000.0)
    stream.forget_visitor(8, time.time() + 60)
    assert stream.erased([7, 8, 9]) == {7: 1000.0, 8: pytest.approx(time.time() + 60, abs=5)}
    stream.publish([("a", b"1")])
    # A queued entry newer than tombstone 7 but older than 8: only 7 can go.
    assert stream.trim(dead_letters_before=0, tombstones_before=time.time() + 3600)["tombstones"] == 1
    assert set(stream.erased([7, 8])) == {8}
    (entry,) = stream.read("w1", count=1)
    stream.ack([entry.id])
    assert stream.trim(dead_letters_before=0, tombstones_before=time.time() + 3600)["tombstones"] == 1


@pytest.mark.redis
def test_redis_lost_memory_means_a_new_epoch(redis_url: str) -> None:
    import redis

    s = RedisEventStream(redis_url, key="test:events")
    try:
        epoch = s.publish([("a", b"1")]).receipt.epoch
        redis.Redis.from_url(redis_url).flushdb()  # what a restart without persistence does
        after = s.publish([("a", b"1")])
        assert after.fresh == [True] and after.receipt.epoch != epoch
        assert s.read("w1", count=10)[0].events == [("a", b"1")]  # the group is recreated
    finally:
        s.close()


def test_unreachable_redis_is_stream_unavailable() -> None:
    s = RedisEventStream("redis://127.0.0.1:9/0")  # the discard port: nothing listens there
    with pytest.raises(StreamUnavailable):
        s.publish([("a", b"1")])
    s.close()
