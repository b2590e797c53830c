"""Itinerary scores: the recommender when there is one, else interests and popularity."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.models import Event
from causeway.api.scoring import FLOOR, INTEREST, POPULARITY, score_attractions
from causeway.cache import make_cache
from causeway.content import providers
from causeway.content.models import Attraction, AttractionCategory
from causeway.itineraries.candidates import MUST_SEE_SCORE, apply_wishes


@pytest.fixture
def three(factory: sessionmaker[Session]) -> list[int]:
    """A castle, a museum and a garden."""
    with factory.begin() as s:
        p = providers.create(s, slug="scoring", name="Scoring", size_class="small")
        ids = []
        for k, cat in enumerate(["castle", "museum", "garden"]):
            a = Attraction(provider_id=p.id, external_id=str(k), source="test", name={"en": cat},
                           sort_name=cat, lat=54.6, lon=-5.9, status="published",
                           content_hash=hashlib.sha256(cat.encode()).hexdigest())
            a.category_rows = [AttractionCategory(category=cat)]
            s.add(a)
            s.flush()
            ids.append(a.id)
        return ids


def add_events(factory: sessionmaker[Session], counts: dict[int, int], kind: str = "visit") -> None:
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        for aid, n in counts.items():
            for _ in range(n):
                s.add(Event(event_id=str(uuid.uuid4()), type=kind, attraction_id=aid,
                            occurred_at=now, received_at=now))


def test_equal_priors_without_events_or_interests(session: Session, three: list[int]) -> None:
    state = SimpleNamespace()
    scores = score_attractions(state, session, visitor_id=None, profile={}, attraction_ids=three)
    assert scores == {i: pytest.approx(FLOOR + INTEREST * 0.5 + POPULARITY * 0.5) for i in three}


def test_interests_and_popularity(factory: sessionmaker[Session], session: Session,
                                  three: list[int]) -> None:
    castle, museum, garden = three
    add_events(factory, {castle: 3, museum: 8})
    add_events(factory, {garden: 1}, kind="save")
    add_events(factory, {garden: 50}, kind="impression")  # not a sign of interest
    scores = score_attractions(SimpleNamespace(), session, visitor_id=None,
                               profile={"interests": ["garden"]}, attraction_ids=three)
    pop = {castle: math.log1p(3) / math.log1p(8), museum: 1.0, garden: math.log1p(1) / math.log1p(8)}
    assert scores[garden] == pytest.approx(FLOOR + INTEREST + POPULARITY * pop[garden])
    assert scores[museum] == pytest.approx(FLOOR + POPULARITY)
    assert scores[castle] == pytest.approx(FLOOR + POPULARITY * pop[castle])
    assert scores[garden] > scores[museum] > scores[castle]


def test_popularity_is_cached(factory: sessionmaker[Session], session: Session, three: list[int],
                              settings) -> None:  # type: ignore[no-untyped-def]
    castle, museum, _ = three
    add_events(factory, {castle: 2})
    state = SimpleNamespace(cache=make_cache(settings.redis_url), settings=settings)
    try:
        first = score_attractions(state, session, visitor_id=None, profile={}, attraction_ids=three)
        add_events(factory, {museum: 5})
        assert score_attractions(state, session, visitor_id=None, profile={},
                                 attraction_ids=three) == first
        state.cache.delete("scoring:popularity:v1")
        fresh = score_attractions(state, session, visitor_id=None, profile={}, attraction_ids=three)
        assert fresh[museum] > fresh[castle]
    finally:
        state.cache.close()


class Model:
    """Stands in for the trained recommender (``app.state.recommender``)."""

    def __init__(self, known: dict[int, float] | None) -> None:
        self.known = known
        self.calls: list[dict] = []

    def score(self, *, profile: dict, visitor_id: int | None, attraction_ids: list[int]) -> dict[int, float]:
        self.calls.append({"profile": profile, "visitor_id": visitor_id, "ids": list(attraction_ids)})
        if self.known is None:
            raise RuntimeError("no recommender model has been trained yet")
        return {i: s for i, s in self.known.items() if i in attraction_ids}


def test_the_recommender_answers_when_there_is_one(session: Session, three: list[int]) -> None:
    castle, museum, garden = three
    model = Model({castle: 0.9, museum: 0.2})
    scores = score_attractions(SimpleNamespace(recommender=model), session, visitor_id=7,
                               profile={"interests": ["garden"]}, attraction_ids=three)
    assert model.calls == [{"profile": {"interests": ["garden"]}, "visitor_id": 7, "ids": three}]
    assert scores[castle] == 0.9 and scores[museum] == 0.2
    assert scores[garden] == pytest.approx(FLOOR + INTEREST + POPULARITY * 0.5)  # unknown to the model
    # No model trained yet: the fallback answers for everything.
    fallback = score_attractions(SimpleNamespace(recommender=Model(None)), session, visitor_id=7,
                                 profile={}, attraction_ids=three)
    assert set(fallback) == set(three)


def test_wishes() -> None:
    out = apply_wishes({1: 0.0, 2: 0.4, 3: 0.9}, must_see=[1], exclude=[3])
    assert out == {1: MUST_SEE_SCORE, 2: 0.4}
    assert apply_wishes({5: 0.0}, must_see=[], exclude=[]) == {5: 0.01}
