"""Board and venue analytics over HTTP: k-anonymity, no identifiers, venue isolation, CSV, errors."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.frames import FrameCache
from causeway.auth.models import Visitor
from causeway.content.models import Attraction
from tests.analytics import analytics_helpers as h
from tests.conftest import bearer

RANGE = {"from": "2026-06-01", "to": "2026-06-07"}
SECRET_ITINERARY = "itin-SECRET-7f3a"
SECRET_LIST = "rec-SECRET-19c2"
VISITOR_BASE = 7770001


@pytest.fixture
def world(factory: sessionmaker[Session], tokens: dict[str, str]) -> dict:
    """Six attractions over three providers and a week of events with known counts:

    - Castle Keep (castle-venue): 12 visitors see it, view it and visit it; 12 more saw it;
    - Castle Gardens (castle-venue): 11 visitors visit it;
    - Old Mill (other-venue): 3 visitors visit it (below k = 10), so one more cell of the
      attraction breakdown must go too (the Gardens, the smallest other), or the Mill's
      visits would be the total minus the others;
    - City Museum (big-council): 15 impressions; a merged duplicate of the Keep gets 2 visits;
    - one itinerary planning the Keep and the Gardens, with secret ids that must never show.
    """
    with factory.begin() as s:
        ids = h.catalogue(s)
        dup = h.attraction(s, s.get(Attraction, ids["mill"]).provider_id, "Keep (duplicate)", 55.2, -6.5)
        s.execute(update(Attraction).where(Attraction.id == dup).values(merged_into_id=ids["keep"],
                                                                        status="archived"))
        people = list(range(VISITOR_BASE, VISITOR_BASE + 30))
        s.add_all([Visitor(id=v, profile={}) for v in people])
        s.flush()
        twelve, others = people[:12], people[12:24]
        evs = []
        evs += h.each("impression", twelve + others, ids["keep"], h.at(0, 10), position=1,
                      recommendation_id=SECRET_LIST)
        evs += h.each("detail_view", twelve, ids["keep"], h.at(0, 10, 5))
        evs += h.each("visit", twelve, ids["keep"], h.at(1, 14))
        evs += h.each("visit", people[24:27], ids["mill"], h.at(2, 11))
        evs += h.each("visit", people[12:23], ids["gardens"], h.at(2, 13))
        evs += h.each("impression", people[:15], ids["museum"], h.at(3, 9), position=2,
                      recommendation_id=SECRET_LIST)
        evs += h.each("visit", people[:2], dup, h.at(1, 15))
        evs += [{"type": "itinerary_created", "visitor_id": people[0], "attraction_id": None,
                 "occurred_at": h.at(0, 11), "itinerary_id": SECRET_ITINERARY,
                 "context": {"days": 2, "stops": [ids["keep"], ids["gardens"]]}},
                {"type": "itinerary_stop_done", "visitor_id": people[0], "attraction_id": ids["keep"],
                 "occurred_at": h.at(1, 14, 30), "itinerary_id": SECRET_ITINERARY}]
        event_ids = h.events(s, evs)
    return {"ids": ids, "dup": dup, "event_ids": event_ids, "tokens": tokens}


def get(client, path: str, token: str, **params):  # type: ignore[no-untyped-def]
    return client.get(path, params={**RANGE, **params}, headers=bearer(token))


def by_id(rows: list[dict]) -> dict[int, dict]:
    return {r["attraction_id"]: r for r in rows}


def test_board_rollups_suppress_cells_below_k(client, world) -> None:  # type: ignore[no-untyped-def]
    ids, board = world["ids"], world["tokens"]["board"]
    r = get(client, "/v1/board/analytics/rollups", board, by="attraction")
    assert r.status_code == 200, r.text
    doc = r.json()
    rows = by_id(doc["rows"])
    keep, mill = rows[ids["keep"]], rows[ids["mill"]]
    assert keep["visits"] == 14 and keep["impressions"] == 24 and keep["detail_views"] == 12
    assert keep["name"] == "Castle Keep" and keep["provider"] == "castle-venue"
    assert mill["visits"] is None and "visits" in mill["suppressed"]  # 3 visitors < k
    gardens = rows[ids["gardens"]]
    assert gardens["visits"] is None and "visits" in gardens["suppressed"]  # secondary suppression
    assert keep["itinerary_plans"] is None  # one itinerary: one visitor
    assert doc["k"] == 10 and doc["suppressed_cells"] >= 2
    assert r.headers["X-Causeway-Suppressed-Cells"] == str(doc["suppressed_cells"])
    assert doc["simulated"] is False and doc["simulated_share"] == 0.0
    assert ids["museum"] in rows and rows[ids["museum"]]["impressions"] == 15


def test_board_csv_export(client, world) -> None:  # type: ignore[no-untyped-def]
    ids, board = world["ids"], world["tokens"]["board"]
    r = get(client, "/v1/board/analytics/rollups", board, by="attraction", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="causeway-rollups-2026-06-01-2026-06-07.csv"' in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.text)))
    keep = next(t for t in table if t["attraction_id"] == str(ids["keep"]))
    mill = next(t for t in table if t["attraction_id"] == str(ids["mill"]))
    assert keep["visits"] == "14" and mill["visits"] == "" and "visits" in mill["suppressed"].split(";")
    same = client.get("/v1/board/analytics/rollups", params={**RANGE, "by": "attraction"},
                      headers={**bearer(board), "Accept": "text/csv"})
    assert same.text == r.text


def test_overview_funnel_itineraries(client, world) -> None:  # type: ignore[no-untyped-def]
    board = world["tokens"]["board"]
    over = get(client, "/v1/board/analytics/overview", board).json()["rows"][0]
    assert over["impressions"] == 39 and over["visits"] == 28 and over["visitors"] == 27
    assert over["itinerary_plans"] is None and "itinerary_plans" in over["suppressed"]
    funnel = get(client, "/v1/board/analytics/funnel", board).json()["rows"][0]
    assert funnel["impressions"] == 39 and funnel["detail_views"] == 12
    assert funnel["view_rate"] == pytest.approx(12 / 39, abs=1e-6)
    assert funnel["saves_or_plans"] is None and funnel["visit_rate"] is None  # derived from a hidden cell
    it = get(client, "/v1/board/analytics/itineraries", board).json()
    assert it["summary"]["itineraries"] is None and it["suppressed_cells"] >= 3
    series = get(client, "/v1/board/analytics/timeseries", board).json()["rows"]
    assert [r["period"] for r in series] == [f"2026-06-0{d}" for d in range(1, 8)]
    assert series[1]["visits"] == 14  # the 12 visits to the Keep and 2 to its merged duplicate
    assert series[2]["visits"] == 14  # the Mill's 3 and the Gardens' 11: one cell, 14 visitors
    assert series[0]["visits"] == 0 and "visits" not in series[0]["suppressed"]


def test_no_visitor_itinerary_list_or_event_identifier_in_any_output(client, world) -> None:  # type: ignore[no-untyped-def]
    board, venue = world["tokens"]["board"], world["tokens"]["venue"]
    texts = []
    reports = {"overview": {}, "timeseries": {}, "rollups": {"by": "attraction", "interval": "day"},
               "funnel": {"by": "category"}, "dwell": {}, "dispersal": {}, "patterns": {"by": "weekday"},
               "itineraries": {}, "top": {"metric": "impressions"}, "rising": {}}
    for name, params in {**reports, "fairness": {}}.items():
        for fmt in ("json", "csv"):
            r = get(client, f"/v1/board/analytics/{name}", board, format=fmt, **params)
            assert r.status_code == 200, (name, r.text)
            texts.append(r.text)
    for name, params in reports.items():
        r = get(client, f"/v1/providers/castle-venue/analytics/{name}", venue, **params)
        assert r.status_code == 200, (name, r.text)
        texts.append(r.text)
    blob = "\n".join(texts)
    assert "SECRET" not in blob
    assert str(VISITOR_BASE)[:5] not in blob
    assert not any(e in blob for e in world["event_ids"])
    assert '"visitor_id"' not in blob and "itinerary_id" not in blob and "recommendation_id" not in blob


def test_erased_visitors_do_not_count_towards_k(client, factory, world) -> None:  # type: ignore[no-untyped-def]
    client.app.state.analytics_cache = FrameCache(0)
    board, ids = world["tokens"]["board"], world["ids"]
    reg = client.post("/v1/visitors").json()
    with factory.begin() as s:
        h.events(s, h.each("save", [VISITOR_BASE + n for n in range(9)] + [reg["visitor_id"]],
                           ids["gardens"], h.at(4, 12)))

    def gardens() -> dict:
        return by_id(get(client, "/v1/board/analytics/rollups", board).json()["rows"])[ids["gardens"]]

    assert gardens()["saves"] == 10
    assert client.delete("/v1/visitors/me", headers=bearer(reg["token"])).status_code == 204
    after = gardens()
    assert after["saves"] is None and "saves" in after["suppressed"]  # 9 distinct + 1 erased < 10


def test_analytics_need_a_board_token(client, world) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/v1/board/analytics/overview").status_code == 401
    visitor = client.post("/v1/visitors").json()["token"]
    for token in (visitor, world["tokens"]["venue"]):
        r = get(client, "/v1/board/analytics/overview", token)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_venue_sees_only_its_own_attractions(client, world) -> None:  # type: ignore[no-untyped-def]
    ids, venue = world["ids"], world["tokens"]["venue"]
    own = {ids["keep"], ids["gardens"], ids["tower"]}
    base = "/v1/providers/castle-venue/analytics"
    rows = get(client, f"{base}/rollups", venue, by="attraction").json()["rows"]
    assert {r["attraction_id"] for r in rows} <= own and ids["keep"] in {r["attraction_id"] for r in rows}
    # Filters narrow, never widen: a category, a box and a circle around the other venue's places.
    for params in ({"category": "history"}, {"bbox": "-7,54,-5,56"}, {"near": "54.6,-5.93", "radius_km": 5}):
        rows = get(client, f"{base}/rollups", venue, by="attraction", **params).json()["rows"]
        assert {r["attraction_id"] for r in rows} <= own, params
    providers = get(client, f"{base}/rollups", venue, by="provider").json()["rows"]
    assert [r["provider"] for r in providers] == ["castle-venue"]
    over = get(client, f"{base}/overview", venue).json()
    assert over["audience"] == "venue"
    assert over["rows"][0]["impressions"] == 24 and over["rows"][0]["visits"] == 25
    dispersal = get(client, f"{base}/dispersal", venue).json()
    assert {r["attraction_id"] for r in dispersal["rows"]} == own
    # Another provider's ids: refused with the same answer as ids that do not exist.
    r1 = get(client, f"{base}/overview", venue, attraction=str(ids["mill"]))
    r2 = get(client, f"{base}/overview", venue, attraction="999999")
    assert r1.status_code == r2.status_code == 404
    assert r1.json()["detail"].replace(str(ids["mill"]), "X") == r2.json()["detail"].replace("999999", "X")
    # Another provider's path, and the board-only fairness report.
    assert get(client, "/v1/providers/other-venue/analytics/overview", venue).status_code == 403
    assert get(client, "/v1/providers/big-council/analytics/rollups", venue).status_code == 403
    assert get(client, f"{base}/fairness", venue).status_code == 404
    # The board can read any provider's view.
    other = get(client, "/v1/providers/other-venue/analytics/overview", world["tokens"]["board"]).json()
    assert other["rows"][0]["visits"] is None  # 3 visitors of the mill
    assert get(client, "/v1/providers/nobody/analytics/overview", world["tokens"]["board"]).status_code == 404


def test_board_filters(client, world) -> None:  # type: ignore[no-untyped-def]
    ids, board = world["ids"], world["tokens"]["board"]
    rows = get(client, "/v1/board/analytics/rollups", board, category="castle").json()["rows"]
    assert {r["attraction_id"] for r in rows} == {ids["keep"]}
    rows = get(client, "/v1/board/analytics/rollups", board, provider="big-council").json()["rows"]
    assert {r["attraction_id"] for r in rows} == {ids["museum"]}
    rows = get(client, "/v1/board/analytics/rollups", board, bbox="-6.6,55.1,-6.4,55.3").json()["rows"]
    assert {r["attraction_id"] for r in rows} == {ids["keep"], ids["gardens"]}
    fair = get(client, "/v1/board/analytics/fairness", board).json()["rows"]
    assert [r["size_class"] for r in fair] == ["small", "medium", "large"]
    small, large = fair[0], fair[2]
    assert small["attractions"] == 5 and large["attractions"] == 1
    assert small["impressions"] == 24 and large["impressions"] == 15
    assert small["impression_share"] == pytest.approx(24 / 39, abs=1e-6)
    assert small["exposure_ratio"] == pytest.approx((24 / 39) / (5 / 6), abs=1e-5)
    # One day only: the impressions of 1 June.
    one = client.get("/v1/board/analytics/overview", params={"from": "2026-06-01", "to": "2026-06-01"},
                     headers=bearer(board)).json()["rows"][0]
    assert one["impressions"] == 24 and one["visits"] == 0


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-06-07", "to": "2026-06-01"}, "query.from"),
    ({"from": "2020-01-01", "to": "2026-06-01"}, "query.from"),
    ({"category": "castles"}, "query.category"),
    ({"bbox": "1,2,3"}, "query.bbox"),
    ({"near": "95,0"}, "query.near"),
    ({"provider": "nobody"}, "query.provider"),
    ({"attraction": "12,x"}, "query.attraction"),
    ({"format": "xml"}, "query.format"),
])
def test_bad_parameters_are_problems(client, world, params, field) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/v1/board/analytics/overview", params=params, headers=bearer(world["tokens"]["board"]))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]


def test_report_parameters_are_validated(client, world) -> None:  # type: ignore[no-untyped-def]
    board = world["tokens"]["board"]
    assert get(client, "/v1/board/analytics/rollups", board, by="visitor").status_code == 422
    assert get(client, "/v1/board/analytics/top", board, metric="visitor_id").status_code == 422
    assert get(client, "/v1/board/analytics/timeseries", board, interval="hour").status_code == 422


def test_every_report_answers_for_a_range_with_no_events(client, world) -> None:  # type: ignore[no-untyped-def]
    board, venue = world["tokens"]["board"], world["tokens"]["venue"]
    empty = {"from": "2025-01-01", "to": "2025-01-07"}
    for name in ("overview", "timeseries", "rollups", "funnel", "dwell", "dispersal", "fairness", "patterns",
                 "itineraries", "top", "rising"):
        r = client.get(f"/v1/board/analytics/{name}", params=empty, headers=bearer(board))
        assert r.status_code == 200, (name, r.text)
        assert r.json()["suppressed_cells"] == 0 and r.json()["simulated"] is False
    over = client.get("/v1/board/analytics/overview", params=empty, headers=bearer(board)).json()["rows"][0]
    assert over["visits"] == 0 and over["visitors"] == 0
    r = client.get("/v1/providers/castle-venue/analytics/dispersal", params=empty, headers=bearer(venue))
    assert r.status_code == 200 and r.json()["summary"]["gini_visits"] is None
