"""Issue 12, items 3-6 and 9: every input range is checked at the schema (422 problem+json,
never a 500), an event answered `accepted` is stored, and a new visitor token works at once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.models import Event
from causeway.bounds import MAX_ID, TooDeep, json_depth, loads
from tests.analytics.events_helpers import add_attractions, event
from tests.api.test_events import _write_queued
from tests.conftest import bearer

HUGE = 2**70


def _problem(response, status: int = 422) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture
def visitor(client: TestClient) -> dict[str, str]:
    return bearer(client.post("/v1/visitors").json()["token"])


def test_json_depth_without_recursion() -> None:
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == 100_001
    with pytest.raises(TooDeep):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TooDeep):
        loads("[" * 65 + "]" * 65)
    assert loads("[" * 64 + "]" * 64) is not None


@pytest.mark.parametrize("path", [
    f"/v1/attractions/{HUGE}", f"/v1/attractions/{MAX_ID + 1}", "/v1/attractions/0",
    f"/v1/attractions/{HUGE}/media", f"/v1/attractions/1/media/{HUGE}",
    f"/v1/attractions/{HUGE}/virtual-visit", f"/v1/itineraries/{HUGE}",
    f"/v1/providers/castle-venue/imports/{HUGE}",
])
def test_huge_path_ids_are_422(client: TestClient, tokens: dict[str, str], visitor: dict[str, str],
                               path: str) -> None:
    headers = visitor if "itineraries" in path else bearer(tokens["board"])
    doc = _problem(client.get(path, headers=headers))
    assert doc["errors"][0]["field"].startswith("path.")


def test_huge_ids_in_bodies_and_queries_are_422(client: TestClient, tokens: dict[str, str],
                                                visitor: dict[str, str]) -> None:
    board = bearer(tokens["board"])
    _problem(client.post(f"/v1/board/duplicates/{HUGE}/merge", json={"keep": 1}, headers=board))
    _problem(client.post("/v1/board/duplicates/1/merge", json={"keep": HUGE}, headers=board))
    _problem(client.get(f"/v1/board/analytics/overview?attraction={HUGE}", headers=board))
    _problem(client.post("/v1/itineraries", json={"must_see": [HUGE]}, headers=visitor))
    _problem(client.get(f"/v1/itineraries/1?version={HUGE}", headers=visitor))


def test_year_9999_is_422(client: TestClient, tokens: dict[str, str], visitor: dict[str, str]) -> None:
    board = bearer(tokens["board"])
    for query in ("from=9999-01-01&to=9999-12-31", "to=9999-12-31", "from=1900-01-01"):
        doc = _problem(client.get(f"/v1/board/analytics/overview?{query}", headers=board))
        assert "between 2000-01-01" in doc["detail"]
    _problem(client.post("/v1/itineraries", json={"days": [{"date": "9999-12-31"}]}, headers=visitor))
    _problem(client.put("/v1/visitors/me/profile", json={"stay": {"start": "9999-12-30", "end": "9999-12-31"}},
                        headers=visitor))
    soon = dt.date.today() + dt.timedelta(days=30)
    ok = client.put("/v1/visitors/me/profile", json={"stay": {"start": soon.isoformat(), "end": soon.isoformat()}},
                    headers=visitor)
    assert ok.status_code == 200, ok.text


def test_deep_json_feed_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    for depth in (100, 50_000):
        body = ('{"@context": "https://schema.org", "x": ' + "[" * depth + "]" * depth + "}").encode()
        doc = _problem(client.post("/v1/providers/castle-venue/imports?format=jsonld", content=body,
                                   headers={**bearer(tokens["venue"]), "Content-Type": "application/ld+json"}))
        assert "levels deep" in doc["detail"]


def test_deep_json_body_is_422(client: TestClient, visitor: dict[str, str]) -> None:
    body = '{"events": ' + "[" * 50_000 + "]" * 50_000 + "}"
    doc = _problem(client.post("/v1/events", content=body,
                               headers={**visitor, "Content-Type": "application/json"}))
    assert "levels deep" in doc["detail"]


def test_accepted_means_stored(client: TestClient, visitor: dict[str, str], factory: sessionmaker[Session],
                               settings) -> None:  # type: ignore[no-untyped-def]
    with factory.begin() as s:
        places = add_attractions(s)
    deep: dict = {}
    for _ in range(40):
        deep = {"a": deep}
    bad = [event("impression", attraction_id=places[0], position=HUGE, recommendation_id="r1"),
           event("visit", attraction_id=HUGE),
           event("impression", attraction_id=places[0], position=1, recommendation_id="r\x00"),
           event("media_play", attraction_id=places[0], dwell_seconds=float("inf")),
           event("itinerary_created", itinerary_id="it-1", context={"x": float("nan")}),
           event("itinerary_created", itinerary_id="it-1", context={"x": "a\x00b"}),
           event("itinerary_created", itinerary_id="it-1", context=deep)]
    good = [event("impression", attraction_id=places[0], position=3, recommendation_id="r1")]
    body = json.dumps({"events": bad + good})  # allow_nan: Python's JSON parser reads NaN/Infinity
    answer = client.post("/v1/events", content=body, headers={**visitor, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    statuses = [r["status"] for r in doc["results"]]
    assert statuses == ["rejected"] * len(bad) + ["accepted"], doc["results"]
    _write_queued(settings, factory)
    with factory() as s:
        stored = set(s.scalars(select(Event.event_id)))
    assert stored == {good[0]["event_id"]}


def test_new_visitor_token_works_at_once(client: TestClient) -> None:
    for _ in range(30):
        token = client.post("/v1/visitors").json()["token"]
        assert client.get("/v1/visitors/me", headers=bearer(token)).status_code == 200


def test_nul_in_text_parameters_is_not_a_500(client: TestClient, tokens: dict[str, str]) -> None:
    board = bearer(tokens["board"])
    for path in ("/v1/attractions?q=ab%00cd", "/v1/attractions?provider=a%00b",
                 "/v1/providers/a%00b/imports/1", "/v1/providers/a%00b/analytics/overview",
                 "/v1/board/analytics/overview?town=a%00b"):
        response = client.get(path, headers=board)
        assert response.status_code in (200, 404, 422), (path, response.status_code, response.text)
        if response.status_code == 422:
            assert response.headers["content-type"].startswith("application/problem+json")
