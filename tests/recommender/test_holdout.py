"""The held-out check the training job records in every artifact."""

from __future__ import annotations

import pandas as pd
import pytest

from causeway.recommender.evaluation.holdout import hold_out, holdout_metrics
from causeway.recommender.model import HybridRecommender
from causeway.recommender.pipeline import RecommenderPipeline

from .builders import make_events, make_items


def test_hold_out_moves_every_event_of_one_pair_per_visitor() -> None:
    events = pd.DataFrame({"visitor_id": ["u1", "u1", "u1", "u2", "u3", "u3"],
                           "attraction_id": ["a", "a", "b", "a", "c", "d"]})
    train, held = hold_out(events, 10, seed=1)
    # u2 engaged with one attraction only: never held out (it would lose all its history).
    assert sorted(held["visitor_id"]) == ["u1", "u3"]
    for vid, aid in zip(held["visitor_id"], held["attraction_id"]):
        assert not ((train["visitor_id"] == vid) & (train["attraction_id"] == aid)).any()
        assert (train["visitor_id"] == vid).any()
    assert len(train) + sum(((events["visitor_id"] == v) & (events["attraction_id"] == a)).sum()
                            for v, a in zip(held["visitor_id"], held["attraction_id"])) == len(events)
    assert hold_out(events, 10, seed=1)[1].equals(held)          # seeded
    assert hold_out(events, 0)[0] is events and hold_out(events, 0)[1].empty
    # Only engagement is held out: u3's "d" was merely shown.
    typed = events.assign(event_type=["visit", "impression", "save", "visit", "visit", "impression"])
    _, engaged = hold_out(typed, 10, seed=1, engaged_types={"visit", "save"})
    assert set(zip(engaged["visitor_id"], engaged["attraction_id"])) <= {
        ("u1", "a"), ("u1", "b"), ("u3", "c")} and len(engaged) == 2
    with pytest.raises(ValueError, match="n_users"):
        hold_out(events, -1)


def test_the_model_beats_popularity_where_tastes_differ() -> None:
    # Each visitor loves one of four categories: popularity cannot tell them apart.
    items = make_items()
    users, events = make_events(items, n_users=120, per_user=6)
    train, held = hold_out(events, 60, seed=3)
    pipe = RecommenderPipeline(HybridRecommender(no_components=8, epochs=30, random_state=0))
    pipe.fit(items, train, users)
    m = holdout_metrics(pipe, train, held, k=5)
    assert m["users"] == 60 and m["items"] == len(items) and m["k"] == 5
    assert m["model_hit@5"] >= 0.5 and m["model_hit@5"] > m["popularity_hit@5"] + 0.2
    assert 0 < m["model_ndcg@5"] <= m["model_hit@5"]
