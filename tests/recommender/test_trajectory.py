import itertools

import numpy as np
import pytest

from causeway.recommender.evaluation.flickr_traj import Cikm16City, leave_one_out, summarise
from causeway.recommender.trajectory import (
    PopularityTrajectoryRecommender, TrajectoryRecommender, best_order, decode_path,
    haversine_matrix,
)


def _planted_city(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """12 POIs on a 4 x 3 grid (about 1 km apart). POI 0 is by far the most visited (single
    visits), but every trip from A to B goes through a fixed middle POI (planted pairs)."""
    rng = np.random.default_rng(seed)
    lat = 54.60 + 0.009 * np.repeat(np.arange(4), 3)
    lon = -5.93 + 0.015 * np.tile(np.arange(3), 4)
    planted = {(1, 2): 3, (4, 5): 6, (7, 8): 9, (10, 11): 3}
    trajs: list[list[int]] = [[0] for _ in range(60)]
    for (a, b), m in planted.items():
        for _ in range(8):
            trajs.append([a, m, b])
            trajs.append([a, m] if rng.random() < 0.5 else [m, b])
    return lat, lon, trajs


def test_decoder_returns_exactly_length_distinct_pois_from_start_to_end():
    rng = np.random.default_rng(1)
    n = 15
    for length in range(2, n + 1):
        scores = rng.normal(size=n)
        start, end = rng.choice(n, size=2, replace=False)
        path = decode_path(scores, int(start), int(end), length,
                           lambda mid: rng.normal(size=(len(mid), len(mid))))
        assert len(path) == length
        assert len(set(path)) == length
        assert path[0] == start and path[-1] == end
    with pytest.raises(ValueError):
        decode_path(np.zeros(5), 0, 1, 6, lambda mid: np.zeros((4, 4)))
    with pytest.raises(ValueError):
        decode_path(np.zeros(5), 2, 2, 3, lambda mid: np.zeros((1, 1)))


def test_decoder_takes_the_best_scored_middle_pois():
    scores = np.array([0.0, 9.0, 1.0, 5.0, 7.0, 3.0])
    path = decode_path(scores, 0, 1, 4, lambda mid: np.zeros((len(mid), len(mid))))
    assert sorted(path[1:-1]) == [3, 4]  # 1 is the end, so 4 and 3 are the best middles


def test_best_order_is_exact():
    rng = np.random.default_rng(2)
    for k in (2, 3, 5, 7):
        w = rng.normal(size=(k, k))
        np.fill_diagonal(w, 0)

        def value(order, w=w, k=k):
            return sum(w[order[i], order[j]] for i in range(k) for j in range(i + 1, k))

        brute = max(value(p) for p in itertools.permutations(range(k)))
        assert value(list(best_order(w))) == pytest.approx(brute)


def test_recommend_follows_the_planted_pattern_and_popularity_does_not():
    lat, lon, trajs = _planted_city()
    model = TrajectoryRecommender().fit(trajs, lat, lon)
    assert model.recommend(4, 5, 3) == [4, 6, 5]
    assert model.recommend(7, 8, 3) == [7, 9, 8]
    pop = PopularityTrajectoryRecommender().fit(trajs, lat, lon)
    assert pop.recommend(4, 5, 3) == [4, 0, 5]


def test_learner_beats_popularity_leave_one_out():
    lat, lon, trajs = _planted_city(3)
    city = Cikm16City(code="Test", poi_ids=np.arange(100, 112), lat=lat, lon=lon,
                      traj_ids=list(range(len(trajs))),
                      trajectories=[np.array(t) for t in trajs], published=None)
    ours = summarise(leave_one_out(city, TrajectoryRecommender), None)["published_set"]
    pop = summarise(leave_one_out(city, PopularityTrajectoryRecommender), None)["published_set"]
    assert ours["n"] == pop["n"] == 32
    assert ours["f1"] == pytest.approx(1.0)
    assert pop["f1"] == pytest.approx(2 / 3)
    assert ours["pairs_f1"] > pop["pairs_f1"]


def test_order_model_learns_the_observed_direction():
    # long trips always visit 3 before 4 before 5, from 1 to 2
    lat, lon, _ = _planted_city()
    trajs = [[1, 3, 4, 5, 2]] * 10 + [[0]] * 5 + [[1, 5, 2], [1, 4, 2], [1, 3, 2]]
    model = TrajectoryRecommender().fit(trajs, lat, lon)
    assert model.recommend(1, 2, 5) == [1, 3, 4, 5, 2]
    w = model.precedence_log_probs(np.array([3, 5]), 1, 2)
    assert w[0, 1] > w[1, 0]


def test_input_validation():
    lat, lon, trajs = _planted_city()
    with pytest.raises(ValueError, match="twice"):
        TrajectoryRecommender().fit([[1, 2, 1]], lat, lon)
    with pytest.raises(ValueError, match="outside"):
        TrajectoryRecommender().fit([[1, 99]], lat, lon)
    model = TrajectoryRecommender().fit(trajs, lat, lon)
    with pytest.raises(ValueError):
        model.recommend(1, 1, 3)
    with pytest.raises(ValueError):
        model.recommend(1, 2, 13)


def test_haversine():
    d = haversine_matrix(np.array([0.0, 0.0]), np.array([0.0, 1.0]))
    assert d[0, 1] == pytest.approx(111.195, abs=0.01)
    assert d[0, 0] == 0.0
