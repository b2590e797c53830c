"""POST /v1/events on both backends: embedded (SQLite, in-process stream, written before the
answer) and production (PostgreSQL + Redis Streams, written by the worker)."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.consumer import Writer, WriterConfig
from causeway.analytics.models import Event
from causeway.analytics.stream import make_stream
from tests.analytics.events_helpers import add_attractions, event
from tests.conftest import bearer


@pytest.fixture
def places(factory: sessionmaker[Session]) -> list[int]:
    with factory.begin() as s:
        return add_attractions(s)


@pytest.fixture
def visitor(client: TestClient) -> dict[str, str]:
    return bearer(client.post("/v1/visitors").json()["token"])


def _write_queued(settings, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    """Run the worker's writer over what is queued (the embedded path has nothing queued)."""
    stream = make_stream(settings)
    try:
        if not stream.inline:
            Writer(stream, factory, "test-worker", WriterConfig()).step()
    finally:
        stream.close()


def _stored(factory: sessionmaker[Session]) -> dict[str, Event]:
    with factory() as s:
        return {e.event_id: e for e in s.scalars(select(Event))}


def test_per_event_results(client: TestClient, visitor: dict[str, str], places: list[int], settings,  # type: ignore[no-untyped-def]
                           factory: sessionmaker[Session]) -> None:
    ok = [event("impression", attraction_id=places[0], position=1, recommendation_id="r1"),
          event("media_play", attraction_id=places[1], dwell_seconds=42.5),
          event("itinerary_created", itinerary_id="it-1", context={"days": 3}),
          event("visit", attraction_id=places[2], age=dt.timedelta(days=6, hours=23))]  # offline, still in time
    bad = [event("visit", attraction_id=places[0], age=dt.timedelta(days=7, hours=1)),
           event("visit", attraction_id=places[0], age=-dt.timedelta(hours=1)),
           event("impression", attraction_id=places[0], position=1),
           event("visit", attraction_id=999_999),
           event("visit", attraction_id=places[0], position=3),
           event("share"),
           {**event("visit", attraction_id=places[0]), "occurred_at": "2026-07-14T10:00:00"},
           {**event("visit", attraction_id=places[0]), "event_id": "not-a-uuid"},
           {**event("visit", attraction_id=places[0]), "colour": "red"},
           "just a string"]
    r = client.post("/v1/events", json={"events": ok + [ok[0]] + bad}, headers=visitor)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (4, 1, len(bad))
    results = body["results"]
    assert [x["index"] for x in results] == list(range(len(results)))
    assert [x["status"] for x in results[:5]] == ["accepted"] * 4 + ["duplicate"]
    reasons = [x["reason"] for x in results[5:]]
    assert reasons[0] == "occurred_at: older than 7 days"
    assert reasons[1].startswith("occurred_at: in the future")
    assert reasons[2] == "recommendation_id: required for impression events"
    assert reasons[3] == "attraction_id: attraction 999999 does not exist"
    assert reasons[4] == "position: not used by visit events"
    assert reasons[5].startswith("share events need")
    assert reasons[6].startswith("occurred_at:") and reasons[7].startswith("event_id:")
    assert reasons[8].startswith("colour:") and reasons[9] == "an event is a JSON object"
    assert results[5]["event_id"] == bad[0]["event_id"]  # rejected events are named when they can be

    _write_queued(settings, factory)
    stored = _stored(factory)
    assert set(stored) == {e["event_id"] for e in ok}
    imp, play = stored[ok[0]["event_id"]], stored[ok[1]["event_id"]]
    assert (imp.type, imp.position, imp.recommendation_id, imp.attraction_id) == ("impression", 1, "r1", places[0])
    assert play.dwell_seconds == 42.5 and stored[ok[2]["event_id"]].context == {"days": 3}
    assert imp.occurred_at == dt.datetime.fromisoformat(ok[0]["occurred_at"])
    assert imp.received_at >= imp.occurred_at and imp.visitor_id is not None and not imp.simulated


def test_retries_count_once_and_say_duplicate(client: TestClient, visitor: dict[str, str], places: list[int],
                                              settings, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    batch = [event("detail_view", attraction_id=p) for p in places]
    first = client.post("/v1/events", json={"events": batch}, headers=visitor).json()
    assert first["accepted"] == 3
    # The app never saw the answer and re-sends, before and after the worker wrote them.
    again = client.post("/v1/events", json={"events": batch}, headers=visitor).json()
    assert again["duplicate"] == 3
    assert {x["reason"] for x in again["results"]} <= {"already received", "already counted"}
    if settings.redis_url:  # still queued: the receipt names the entry they are in
        assert {x["reason"] for x in again["results"]} == {"already received"}
        assert again["receipt"]["entry"] == first["receipt"]["entry"] and again["receipt"]["stored"] is False
    else:  # embedded: already written
        assert again["receipt"]["stored"] is True
    _write_queued(settings, factory)
    later = client.post("/v1/events", json={"events": batch[:1] + [event("save", attraction_id=places[0])]},
                        headers=visitor).json()
    assert [x["status"] for x in later["results"]] == ["duplicate", "accepted"]
    assert later["results"][0]["reason"] == "already counted"
    _write_queued(settings, factory)
    assert len(_stored(factory)) == 4


def test_receipt_says_when_a_batch_is_written(client: TestClient, visitor: dict[str, str], places: list[int],
                                              settings, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    doc = event("visit", attraction_id=places[0])
    receipt = client.post("/v1/events", json={"events": [doc]}, headers=visitor).json()["receipt"]
    if settings.redis_url is None:  # embedded default: written before the answer leaves
        assert receipt["stored"] is True and receipt["entry"] == receipt["stored_through"]
        assert doc["event_id"] in _stored(factory)
        return
    assert receipt["stored"] is False and doc["event_id"] not in _stored(factory)
    _write_queued(settings, factory)
    later = client.get("/v1/events/receipt", headers=visitor).json()
    assert later["epoch"] == receipt["epoch"]
    assert tuple(map(int, later["stored_through"].split("-"))) >= tuple(map(int, receipt["entry"].split("-")))


def test_market_comes_from_the_profile(client: TestClient, visitor: dict[str, str], places: list[int], settings,  # type: ignore[no-untyped-def]
                                       factory: sessionmaker[Session]) -> None:
    assert client.put("/v1/visitors/me/profile", json={"home_country": "FR"}, headers=visitor).status_code == 200
    doc = event("visit", attraction_id=places[0])
    client.post("/v1/events", json={"events": [doc]}, headers=visitor)
    _write_queued(settings, factory)
    assert _stored(factory)[doc["event_id"]].market == "FR"


def test_malformed_batches_are_problems(client: TestClient, visitor: dict[str, str], places: list[int],
                                        settings, tokens: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    too_many = [event("visit", attraction_id=places[0]) for _ in range(settings.event_batch_max + 1)]
    r = client.post("/v1/events", json={"events": too_many}, headers=visitor)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body.events" and "at most 500" in r.json()["detail"]
    for body in ({"events": []}, {"events": "x"}, {"evts": []}, [1, 2]):
        r = client.post("/v1/events", json=body, headers=visitor)
        assert r.status_code == 422 and r.json()["errors"], body
    r = client.post("/v1/events", content=b"{not json", headers={**visitor, "Content-Type": "application/json"})
    assert r.status_code == 422
    one = {"events": [event("visit", attraction_id=places[0])]}
    assert client.post("/v1/events", json=one).status_code == 401
    assert client.post("/v1/events", json=one, headers=bearer(tokens["board"])).status_code == 403


def test_erasure_unlinks_events_written_and_queued(client: TestClient, places: list[int], settings,  # type: ignore[no-untyped-def]
                                                   factory: sessionmaker[Session]) -> None:
    me = bearer(client.post("/v1/visitors").json()["token"])
    other = bearer(client.post("/v1/visitors").json()["token"])
    written = event("visit", attraction_id=places[0])
    client.post("/v1/events", json={"events": [written]}, headers=me)
    _write_queued(settings, factory)
    queued = event("save", attraction_id=places[1])  # on the Redis path: still in the stream
    client.post("/v1/events", json={"events": [queued]}, headers=me)
    kept = event("save", attraction_id=places[1])
    client.post("/v1/events", json={"events": [kept]}, headers=other)
    assert client.delete("/v1/visitors/me", headers=me).status_code == 204
    _write_queued(settings, factory)
    stored = _stored(factory)
    assert stored[written["event_id"]].visitor_id is None and stored[queued["event_id"]].visitor_id is None
    assert stored[kept["event_id"]].visitor_id is not None  # only the erased visitor's events
    assert client.post("/v1/events", json={"events": [event("visit", attraction_id=places[0])]},
                       headers=me).status_code == 401


@pytest.mark.redis
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_redis_down_is_503_and_a_resend_after_lost_memory_counts_once(
        settings, places: list[int], factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    from causeway.api.app import create_app

    batch = [event("visit", attraction_id=p) for p in places]
    with TestClient(create_app(settings)) as c:
        me = bearer(c.post("/v1/visitors").json()["token"])
        sent = c.post("/v1/events", json={"events": batch}, headers=me).json()["receipt"]
        assert sent["stored"] is False
        # Redis restarts without persistence before the worker ran: the stream is gone.
        redis.Redis.from_url(settings.redis_url).flushdb()
        now = c.get("/v1/events/receipt", headers=me).json()
        assert now["epoch"] != sent["epoch"]  # the app holds the batch, sees the new epoch, re-sends
        resent = c.post("/v1/events", json={"events": batch}, headers=me).json()
        assert resent["accepted"] == 3
    _write_queued(settings, factory)
    assert len(_stored(factory)) == 3
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})  # nothing listens on 9
    with TestClient(create_app(down)) as c:
        r = c.post("/v1/events", json={"events": batch}, headers=me)
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
