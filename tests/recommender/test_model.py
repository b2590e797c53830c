import numpy as np
import pandas as pd
import scipy.sparse as sp

from causeway.recommender.model import HybridRecommender, top_k
from causeway.recommender.pipeline import RecommenderPipeline

from .builders import category_of


def _share(recs, cats, wanted):
    return np.mean([cats[r.attraction_id] == wanted for r in recs])


def test_known_users_get_their_category(trained, items):
    cats = category_of(items)
    for u, wanted in (("u0", "history"), ("u1", "food"), ("u2", "art")):
        recs = trained.recommend(visitor_id=u, k=5, rerank_config=None, explain_top=0)
        assert _share(recs, cats, wanted) == 1.0


def test_cold_start_visitor_from_interests_only(trained, items):
    cats = category_of(items)
    for wanted in ("history", "nature"):
        recs = trained.recommend({"interests": [wanted], "stay_days": 2,
                                  "travel_mode": "foot"}, k=5, rerank_config=None)
        assert _share(recs, cats, wanted) == 1.0


def test_cold_start_attraction_from_features(trained, items, tmp_path):
    new = pd.DataFrame([
        {"attraction_id": "new-food", "categories": ["food"], "area": "area0",
         "provider_size": "small", "lat": 54.6, "lon": -5.93},
        {"attraction_id": "new-art", "categories": ["art"], "area": "area0",
         "provider_size": "small", "lat": 54.6, "lon": -5.93},
    ])
    pipe = RecommenderPipeline.load(trained.save(tmp_path / "artifact"))
    pipe.set_catalogue(pd.concat([items, new], ignore_index=True))
    n = len(items)
    scores = pipe.model.score(pipe.visitor_features(visitor_id="u1"))[0]  # u1 loves food
    rank_food = int((scores > scores[n]).sum())
    rank_art = int((scores > scores[n + 1]).sum())
    n_food = int((items["categories"].map(lambda c: c[0]) == "food").sum())
    assert rank_food <= n_food          # ranks among the food items, above all others
    assert rank_art > n_food            # the art newcomer ranks below every food item
    recs = pipe.recommend({"interests": ["food"]}, k=n_food + 1, rerank_config=None)
    assert "new-food" in {r.attraction_id for r in recs}


def test_deterministic_under_seed(items, users_events):
    users, events = users_events
    a = RecommenderPipeline(HybridRecommender(no_components=4, epochs=3, random_state=3)).fit(items, events, users)
    b = RecommenderPipeline(HybridRecommender(no_components=4, epochs=3, random_state=3)).fit(items, events, users)
    c = RecommenderPipeline(HybridRecommender(no_components=4, epochs=3, random_state=4)).fit(items, events, users)
    np.testing.assert_array_equal(a.model.item_vectors_, b.model.item_vectors_)
    assert not np.array_equal(a.model.item_vectors_, c.model.item_vectors_)


def test_save_load_roundtrip(trained, tmp_path):
    out = trained.save(tmp_path / "v1", metadata={"source": "test"}, metrics={"ndcg@10": 0.5})
    assert (out / "arrays.npz").exists() and (out / "meta.json").exists()
    again = RecommenderPipeline.load(out)
    assert again.model.metadata["source"] == "test"
    assert again.model.metrics == {"ndcg@10": 0.5}
    assert again.model.metadata["n_items"] == 40
    for kwargs in ({"visitor_id": "u3"}, {"profile": {"interests": ["art"]}}):
        r1 = trained.recommend(k=8, base=(54.6, -5.93), **kwargs)
        r2 = again.recommend(k=8, base=(54.6, -5.93), **kwargs)
        assert r1 == r2


def test_load_rejects_other_artifacts(tmp_path):
    (tmp_path / "meta.json").write_text('{"format": "other", "version": 9}')
    try:
        HybridRecommender.load(tmp_path)
    except ValueError as exc:
        assert "not a causeway-hybrid" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_matrix_api_pure_collaborative():
    inter = sp.coo_matrix(np.kron(np.eye(2), np.ones((5, 5))))  # two blocks
    m = HybridRecommender(no_components=4, epochs=30, random_state=0).fit(inter)
    scores = m.score(m.known_user_features([0, 9]))
    assert scores.shape == (2, 10)
    assert scores[0, :5].min() > scores[0, 5:].max()
    assert scores[1, 5:].min() > scores[1, :5].max()
    idx, vals = m.recommend(m.known_user_features([0]), k=3, exclude=np.array([0, 1]))
    assert set(idx) <= {2, 3, 4} and len(idx) == 3 and np.all(np.diff(vals) <= 0)


def test_top_k_skips_masked_and_orders():
    s = np.array([0.1, 5.0, -np.inf, 3.0, 3.0])
    np.testing.assert_array_equal(top_k(s, 3), [1, 3, 4])
    np.testing.assert_array_equal(top_k(s, 10), [1, 3, 4, 0])


def test_hard_filters_in_pipeline(trained, items):
    open_mask = np.ones(len(items), bool)
    open_mask[:5] = False
    recs = trained.recommend({"interests": ["history"]}, k=10, base=(54.6, -5.93),
                             max_km=3.0, open_during_stay=open_mask)
    ids = {r.attraction_id for r in recs}
    assert not ids & {f"a{i}" for i in range(5)}
    assert all(r.distance_km is not None and r.distance_km <= 3.0 for r in recs)


def test_a_new_visitor_is_served_from_the_area_of_their_base() -> None:
    """Visitors based in Derry go to Derry's places and Belfast's to Belfast's; a new
    visitor who states only a base in Derry gets Derry's places first."""
    import numpy as np
    import pandas as pd

    from causeway.recommender.features import base_area
    from causeway.recommender.model import HybridRecommender
    from causeway.recommender.pipeline import RecommenderPipeline

    rng = np.random.default_rng(0)
    towns = {"belfast": (54.597, -5.930), "derry": (54.997, -7.309)}
    items = pd.DataFrame([{"attraction_id": f"{t}{j}", "categories": ["history"], "area": t,
                           "lat": lat + rng.normal(0, 0.01), "lon": lon + rng.normal(0, 0.01)}
                          for t, (lat, lon) in towns.items() for j in range(10)])
    users, events = [], []
    for u in range(80):
        town = ("belfast", "derry")[u % 2]
        lat, lon = towns[town]
        users.append({"visitor_id": f"u{u}", "base_area": base_area(lat - 0.01, lon + 0.01)})
        for j in rng.choice(10, size=4, replace=False):
            events.append({"visitor_id": f"u{u}", "attraction_id": f"{town}{j}",
                           "event_type": "visit", "timestamp": 1.7e9 + u})
    pipe = RecommenderPipeline(HybridRecommender(no_components=8, epochs=30, random_state=0))
    pipe.fit(items, pd.DataFrame(events), pd.DataFrame(users))
    assert base_area(*towns["derry"]) == base_area(towns["derry"][0] - 0.01, towns["derry"][1] + 0.01)
    recs = pipe.recommend({"base_area": base_area(*towns["derry"])}, k=5, rerank_config=None)
    assert [r.attraction_id[:5] for r in recs] == ["derry"] * 5
    recs = pipe.recommend({"base_area": base_area(*towns["belfast"])}, k=5, rerank_config=None)
    assert all(r.attraction_id.startswith("belfast") for r in recs)
    assert base_area(None, -6.0) is None and base_area(float("nan"), -6.0) is None
