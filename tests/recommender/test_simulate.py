import numpy as np
import pandas as pd

from causeway.recommender.simulate import SimulationConfig, simulate_visitors


def test_seeded_and_labelled(items):
    cfg = SimulationConfig(n_visitors=40, impressions_per_visitor=10)
    v1, e1 = simulate_visitors(items, cfg, seed=5)
    v2, e2 = simulate_visitors(items, cfg, seed=5)
    _, e3 = simulate_visitors(items, cfg, seed=6)
    pd.testing.assert_frame_equal(e1, e2)
    pd.testing.assert_frame_equal(v1, v2)
    assert not e1.equals(e3)
    assert e1["simulated"].all() and v1["simulated"].all()
    assert set(e1["event_type"]) <= {"impression", "detail_view", "media_play", "save", "visit"}
    assert e1["event_id"].is_unique
    assert e1["timestamp"].is_monotonic_increasing


def test_interests_drive_categories(items):
    visitors, events = simulate_visitors(items, SimulationConfig(n_visitors=150), seed=1)
    cats = dict(zip(items["attraction_id"], items["categories"].map(lambda c: c[0])))
    interests = dict(zip(visitors["visitor_id"], visitors["interests"]))
    visits = events[events["event_type"] == "visit"]
    match = np.mean([cats[a] in interests[v] for v, a in zip(visits["visitor_id"], visits["attraction_id"])])
    # with 4 categories and 1-3 interests, chance would be about 0.5
    assert match > 0.65


def test_distance_decay(items):
    far = items.copy()
    far.loc[:19, "lat"] += 1.0        # half the catalogue ~110 km away
    visitors, events = simulate_visitors(
        far, SimulationConfig(n_visitors=80, impressions_per_visitor=10,
                              reach_km={"foot": 1.5, "transit": 3.0, "car": 5.0}),
        seed=2)
    base_far = visitors["base_lat"] > 55.0
    near_ids = set(far.loc[20:, "attraction_id"])
    ev = events.merge(visitors[["visitor_id"]].assign(far=base_far.to_numpy()), on="visitor_id")
    ev = ev[~ev["far"] & (ev["event_type"] == "visit")]
    assert ev["attraction_id"].isin(near_ids).mean() > 0.9


def test_trains_end_to_end(items):
    from causeway.recommender.model import HybridRecommender
    from causeway.recommender.pipeline import RecommenderPipeline

    visitors, events = simulate_visitors(items, SimulationConfig(n_visitors=60), seed=3)
    pipe = RecommenderPipeline(HybridRecommender(no_components=4, epochs=2)).fit(items, events, visitors)
    assert pipe.model.metadata["simulated_events"] is True
    assert len(pipe.recommend({"interests": ["food"]}, k=5)) == 5
