"""Demo events: seeded, labelled simulated, shaped like real events, idempotent, never touching real data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics import simulate
from causeway.analytics.intake import RULES, TYPED
from causeway.analytics.models import Event
from causeway.auth.models import ApiToken, Visitor
from causeway.auth.profile import Profile
from causeway.auth.service import register_visitor
from causeway.cli import main
from causeway.settings import get_settings
from tests.analytics import analytics_helpers as h

TZ = "Europe/London"
NOW = dt.datetime(2026, 6, 20, 15, 0, tzinfo=dt.UTC)
SMALL = simulate.DemoConfig(visitors=120, days=14, campaign_days=4, campaign_attractions=2)


def _count(s: Session, simulated: bool | None = None) -> int:
    stmt = select(func.count()).select_from(Event)
    if simulated is not None:
        stmt = stmt.where(Event.simulated.is_(simulated))
    return s.scalar(stmt) or 0


def test_generation_is_seeded_and_pure(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        h.catalogue(s)
        cat = simulate._catalogue(s)
    a = simulate.generate(cat, SMALL, today=NOW.date(), now=NOW, timezone=TZ)
    b = simulate.generate(cat, SMALL, today=NOW.date(), now=NOW, timezone=TZ)
    pd.testing.assert_frame_equal(a.events, b.events)
    other = simulate.generate(cat, simulate.DemoConfig(visitors=120, days=14, campaign_days=4,
                                                       campaign_attractions=2, seed=7),
                              today=NOW.date(), now=NOW, timezone=TZ)
    assert other.fingerprint != a.fingerprint and not other.events["type"].equals(a.events["type"])


def test_load_writes_events_shaped_like_the_apps(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        h.catalogue(s)
    with factory.begin() as s:
        result = simulate.load(s, SMALL, timezone=TZ, now=NOW)
    assert result.status == "created" and result.events > 1000
    with factory() as s:
        rows = s.scalars(select(Event)).all()
        visitors = s.scalars(select(Visitor)).all()
    assert len(rows) == result.events and len(visitors) == result.visitors
    start = dt.datetime(2026, 6, 7, 0, 0, tzinfo=dt.UTC) - dt.timedelta(hours=1)  # 7 June, local midnight
    types = set()
    for e in rows:
        types.add(e.type)
        assert e.simulated and e.visitor_id is not None
        assert start <= e.occurred_at <= NOW and e.received_at >= e.occurred_at
        needs, may = RULES[e.type]
        for name in TYPED:  # the same rules POST /v1/events applies to an app's events
            given = getattr(e, name) is not None
            assert not (name in needs and not given), (e.type, name)
            assert not (given and name not in needs and name not in may), (e.type, name)
        if e.type == "itinerary_created":
            stops = e.context.get("stops") if "simulation" not in e.context else None
            assert stops is None or (len(stops) >= 2 and e.context["days"] >= 1)
        assert e.market in {m for m, _ in simulate.MARKETS}
    assert types == {"impression", "detail_view", "media_play", "virtual_visit", "save", "share",
                     "itinerary_created", "itinerary_stop_done", "visit"}
    for v in visitors:  # profiles are valid for the visitor API, and nobody can sign in as them
        Profile.model_validate(v.profile)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_load_is_idempotent_and_replaces_only_simulated_data(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        ids = h.catalogue(s)
        real_visitor, _ = register_visitor(s)
        h.events(s, h.each("visit", [real_visitor.id], ids["keep"], NOW - dt.timedelta(hours=2)))
    with factory.begin() as s:
        first = simulate.load(s, SMALL, timezone=TZ, now=NOW)
    with factory.begin() as s:
        again = simulate.load(s, SMALL, timezone=TZ, now=NOW + dt.timedelta(hours=1))
        assert again.status == "unchanged" and again.events == first.events
        assert _count(s, True) == first.events
    with factory.begin() as s:  # the next day: a fresh window replaces the old one
        later = simulate.load(s, SMALL, timezone=TZ, now=NOW + dt.timedelta(days=1))
    assert later.status == "replaced" and later.removed_events == first.events
    with factory() as s:
        assert _count(s, True) == later.events
        assert _count(s, False) == 1  # the real event is untouched
        assert s.scalar(select(func.count()).select_from(Visitor)) == later.visitors + 1
        assert s.get(Visitor, real_visitor.id) is not None


def test_empty_catalogue_is_an_error(factory: sessionmaker[Session]) -> None:
    with factory() as s, pytest.raises(simulate.SimulationError, match="causeway demo load"):
        simulate.load(s, SMALL, timezone=TZ, now=NOW)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="campaign_days"):
        simulate.DemoConfig(days=10, campaign_days=10)
    with pytest.raises(ValueError, match="visitors"):
        simulate.DemoConfig(visitors=0)


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CAUSEWAY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_cli_demo_events(cli_env: str, factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "events", "--visitors", "50", "--days", "7"]) == 1
    assert "causeway demo load" in capsys.readouterr().err
    with factory.begin() as s:
        h.catalogue(s)
    assert main(["demo", "events", "--visitors", "50", "--days", "7", "--seed", "3"]) == 0
    assert "simulated" in capsys.readouterr().out
    with factory() as s:
        n = _count(s, True)
    assert n > 0
    assert main(["demo", "events", "--visitors", "50", "--days", "7", "--seed", "3"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    with factory() as s:
        assert _count(s, True) == n


def test_editorial_tiers_make_the_flagships_far_more_visited_than_a_rath(factory: sessionmaker[Session]) -> None:
    """Over the shipped demo catalogue: the Giant's Causeway and Titanic Belfast (tier 1) get
    far more simulated visits than an untiered open-data site (a rath, a demesne)."""
    from causeway import demo

    with factory.begin() as s:
        demo.load(s)
        cat = simulate._catalogue(s)
    assert set(cat["popularity_tier"]) == {0, 1, 2, 3, 4}
    gen = simulate.generate(cat, simulate.DemoConfig(visitors=1500, days=14, campaign_days=0),
                            today=NOW.date(), now=NOW, timezone=TZ)
    visits = gen.events[gen.events["type"] == "visit"].groupby("attraction_id").size()
    by_name = dict(zip(cat["name"], cat["attraction_id"], strict=False))
    tier = dict(zip(cat["attraction_id"], cat["popularity_tier"], strict=True))
    flagships = [visits.get(by_name[n], 0) for n in ("Giant's Causeway", "Titanic Belfast")]
    untiered = [visits.get(a, 0) for a in cat["attraction_id"] if tier[a] == 0]
    mean = {t: sum(visits.get(a, 0) for a in cat["attraction_id"] if tier[a] == t)
               / sum(1 for a in cat["attraction_id"] if tier[a] == t) for t in (1, 2, 3, 4)}
    typical = sorted(untiered)[len(untiered) // 2]
    assert min(flagships) > 5 * typical and min(flagships) > 4 * sum(untiered) / len(untiered), (flagships, typical)
    assert mean[1] > mean[2] > mean[3] > mean[4], mean


def test_small_providers_get_a_share_of_the_simulated_attention(factory: sessionmaker[Session]) -> None:
    """The demo's small providers are seen by enough simulated visitors to pass k-anonymity
    (k = 10), so the board's fairness figures for them are not 0/0."""
    from causeway import demo

    with factory.begin() as s:
        demo.load(s)
        cat = simulate._catalogue(s)
    gen = simulate.generate(cat, simulate.DemoConfig(visitors=1500, days=14, campaign_days=0),
                            today=NOW.date(), now=NOW, timezone=TZ)
    small = set(cat.loc[cat["size_class"] == "small", "attraction_id"])
    assert len(small) >= 8
    seen = gen.events[gen.events["attraction_id"].isin(small) & (gen.events["type"] == "impression")]
    assert seen["visitor_key"].nunique() >= 10
    assert len(seen) / (gen.events["type"] == "impression").sum() > 0.01
