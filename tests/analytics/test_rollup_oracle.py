"""Every report, from the rollups, returns the same document as the pandas path over raw events.

The data: the demo simulation over the test catalogue (itineraries, dwell, markets,
campaigns), real-looking events on top (a merged duplicate, below-k cells, an erased
visitor, a late event), on both backends. The reports run over the board's whole
catalogue and over narrowed scopes (a venue, a category, a box, two attractions), over a
fortnight, one day and an empty week, with every parameter the API takes.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import rollups, service, simulate, store
from causeway.analytics.frames import FrameCache, Scope
from causeway.content.models import Attraction
from tests.analytics import analytics_helpers as h

TZ = "Europe/London"
NOW = dt.datetime(2026, 6, 14, 15, 0, tzinfo=dt.UTC)
SMALL = simulate.DemoConfig(visitors=400, days=14, campaign_days=4, campaign_attractions=2)

PARAMS: list[tuple[str, dict]] = [
    ("overview", {}), ("dwell", {}), ("dwell", {"limit": 2}), ("dispersal", {}), ("fairness", {}),
    ("itineraries", {}),
    *[("timeseries", {"interval": i}) for i in ("day", "week", "month")],
    *[("rollups", {"by": b, "interval": i}) for b, i in itertools.product(service.ROLLUP_BY,
                                                                           ("total", "day", "week", "month"))],
    ("funnel", {}), *[("funnel", {"by": b}) for b in service.FUNNEL_BY],
    *[("patterns", {"by": b}) for b in ("hour", "weekday", "month")],
    *[("top", {"metric": m}) for m in service.RANKED_METRICS], ("top", {"metric": "visits", "limit": 2}),
    *[("rising", {"metric": m}) for m in service.RANKED_METRICS],
]


@pytest.fixture
def data(factory: sessionmaker[Session]) -> dict:
    with factory.begin() as s:
        ids = h.catalogue(s)
    with factory.begin() as s:
        simulate.load(s, SMALL, timezone=TZ, now=NOW)
    with factory.begin() as s:
        castle = s.get(Attraction, ids["keep"]).provider_id
        dup = h.attraction(s, castle, "Keep (duplicate)", 55.2, -6.5, ("castle",))
        people = h.visitors(s, 30)
        evs = []
        evs += h.each("visit", people[:12], dup, h.at(3, 14))  # then merged into the Keep
        evs += h.each("visit", people[12:15], ids["mill"], h.at(4, 11))  # 3 visitors: below k
        evs += h.each("save", people[:11], ids["quay"], h.at(5, 9), market="ie")
        evs += h.each("virtual_visit", people[:10], ids["museum"], h.at(6, 20), dwell_seconds=95.5)
        evs += [{"type": "itinerary_created", "visitor_id": people[20], "attraction_id": None,
                 "occurred_at": h.at(2, 8), "itinerary_id": "it-oracle",
                 "context": {"days": 3, "stops": [dup, ids["gardens"], {"attraction_id": ids["quay"]}, "999999"]}},
                {"type": "itinerary_stop_done", "visitor_id": people[20], "attraction_id": dup,
                 "occurred_at": h.at(3, 9), "itinerary_id": "it-oracle"},
                {"type": "itinerary_stop_done", "visitor_id": people[20], "attraction_id": ids["keep"],
                 "occurred_at": h.at(3, 10), "itinerary_id": "it-oracle"}]
        h.events(s, evs)
        s.execute(update(Attraction).where(Attraction.id == dup).values(merged_into_id=ids["keep"],
                                                                        status="archived"))
    rollups.refresh(factory, TZ, batch=1500)
    with factory.begin() as s:  # erasure after aggregation: the rows move to nobody
        rollups.forget_visitor(s, people[0])
        store.unlink_visitor(s, people[0])
    with factory.begin() as s:  # a late event, aggregated by the next refresh
        h.events(s, h.each("visit", people[1:2], ids["quay"], h.at(0, 10)))
    with factory.begin() as s:
        castle_id = s.get(Attraction, ids["keep"]).provider_id
    return {"ids": ids, "dup": dup, "castle": castle_id}


def _scopes(data: dict) -> list[Scope]:
    ids = data["ids"]
    fortnight = (dt.date(2026, 6, 1), dt.date(2026, 6, 14))
    return [
        Scope(*fortnight, TZ),
        Scope(dt.date(2026, 6, 4), dt.date(2026, 6, 4), TZ),
        Scope(dt.date(2025, 1, 1), dt.date(2025, 1, 7), TZ),
        Scope(*fortnight, TZ, provider_ids=(data["castle"],)),
        Scope(*fortnight, TZ, categories=("history",)),
        Scope(*fortnight, TZ, bbox=(-6.6, 55.1, -6.4, 55.3)),
        Scope(*fortnight, TZ, attraction_ids=(ids["keep"], ids["quay"])),
    ]


def test_every_report_from_the_rollups_equals_the_pandas_report(factory, data) -> None:  # type: ignore[no-untyped-def]
    rollups.refresh(factory, TZ)
    checked = 0
    with factory() as s:
        for scope in _scopes(data):
            for report, params in PARAMS:
                if report == "fairness" and scope.provider_ids is not None:
                    continue
                docs = [service.build(s, report, scope, k=10, cache=FrameCache(0), source=src, **params)
                        for src in ("events", "rollups")]
                assert docs[1] == docs[0], (report, params, scope)
                checked += 1
        # The data is rich enough that the comparison means something.
        big = service.build(s, "rollups", _scopes(data)[0], k=10, source="rollups", by="attraction")
        assert big["suppressed_cells"] > 0 and any(r["visits"] for r in big["rows"])
        it = service.build(s, "itineraries", _scopes(data)[0], k=2, source="rollups")
        assert it["summary"]["stops_done"] and it["summary"]["itineraries"]
        dwell = service.build(s, "dwell", _scopes(data)[0], k=2, source="rollups")
        assert dwell["summary"]["median_seconds"] and dwell["summary"]["attractions"]
    assert checked > 250


def test_suppression_decisions_match_at_several_k(factory, data) -> None:  # type: ignore[no-untyped-def]
    rollups.refresh(factory, TZ)
    scope = _scopes(data)[0]
    with factory() as s:
        for k in (2, 5, 10, 25):
            for report, params in (("rollups", {"by": "attraction", "interval": "day"}),
                                   ("rollups", {"by": "market"}), ("funnel", {"by": "category"}),
                                   ("patterns", {"by": "hour"})):
                a, b = (service.build(s, report, scope, k=k, source=src, **params) for src in ("events", "rollups"))
                assert [r["suppressed"] for r in a["rows"]] == [r["suppressed"] for r in b["rows"]]
                assert a["suppressed_cells"] == b["suppressed_cells"]


def test_auto_reads_events_until_the_rollups_catch_up(factory, data) -> None:  # type: ignore[no-untyped-def]
    with factory() as s:
        lag = rollups.status(s).lag
        assert lag > 0
        assert service.choose_source(s, "auto", TZ, refresh_max=0) == "events"
        assert service.choose_source(s, "rollups", TZ, refresh_max=0) == "rollups"
        assert service.choose_source(s, "events", TZ, refresh_max=10**6) == "events"
        assert service.choose_source(s, "auto", "UTC", refresh_max=10**6) == "events"  # another time zone
        assert service.choose_source(s, "auto", TZ, refresh_max=10**6) == "rollups"  # caught up on the way
        assert rollups.status(s).lag == 0
