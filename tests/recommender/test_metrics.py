import numpy as np
import pytest

from causeway.recommender.evaluation.metrics import (
    coverage_at_k, exposure_gini, gini, long_tail_mask, long_tail_share, map_at_k, ndcg_at_k,
    precision_at_k, recall_at_k,
)

RANKINGS = [np.array([3, 1, 4, 0, 2]), np.array([0, 1, 2, 3, 4])]
RELEVANT = [{1, 2}, {4}]


def test_hand_computed_values():
    # user 0: hits at positions 2 and 5; user 1: hit at position 5
    assert precision_at_k(RANKINGS, RELEVANT, 5) == pytest.approx((2 / 5 + 1 / 5) / 2)
    assert recall_at_k(RANKINGS, RELEVANT, 5) == pytest.approx((1.0 + 1.0) / 2)
    assert precision_at_k(RANKINGS, RELEVANT, 2) == pytest.approx((1 / 2 + 0) / 2)
    ap0 = (1 / 2 + 2 / 5) / 2
    ap1 = (1 / 5) / 1
    assert map_at_k(RANKINGS, RELEVANT, 5) == pytest.approx((ap0 + ap1) / 2)
    ndcg0 = (1 / np.log2(3) + 1 / np.log2(6)) / (1 + 1 / np.log2(3))
    ndcg1 = (1 / np.log2(6)) / 1
    assert ndcg_at_k(RANKINGS, RELEVANT, 5) == pytest.approx((ndcg0 + ndcg1) / 2)


def test_ndcg_matches_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    n_items, k = 30, 10
    rankings, relevant, ours = [], [], []
    for _ in range(50):
        scores = rng.permutation(n_items).astype(float)
        rel = set(rng.choice(n_items, size=int(rng.integers(1, 6)), replace=False).tolist())
        truth = np.zeros(n_items)
        truth[list(rel)] = 1
        rankings.append(np.argsort(-scores))
        relevant.append(rel)
        ours.append(sklearn_metrics.ndcg_score(truth[None], scores[None], k=k))
    assert ndcg_at_k(rankings, relevant, k) == pytest.approx(np.mean(ours))


def test_map_matches_sklearn_average_precision_when_k_covers_all():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    n = 12
    vals = []
    rankings, relevant = [], []
    for _ in range(20):
        scores = rng.permutation(n).astype(float)
        rel = set(rng.choice(n, size=3, replace=False).tolist())
        truth = np.isin(np.arange(n), list(rel)).astype(int)
        vals.append(sklearn_metrics.average_precision_score(truth, scores))
        rankings.append(np.argsort(-scores))
        relevant.append(rel)
    assert map_at_k(rankings, relevant, n) == pytest.approx(np.mean(vals))


def test_coverage_long_tail_and_gini():
    assert coverage_at_k(RANKINGS, 10, 2) == pytest.approx(3 / 10)
    tail = long_tail_mask(np.array([100, 50, 1, 1, 0]), head_share=0.2)
    np.testing.assert_array_equal(tail, [False, True, True, True, True])
    assert long_tail_share([np.array([0, 1]), np.array([0, 2])], tail, 2) == pytest.approx(0.5)
    assert gini(np.ones(5)) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)
    # everyone gets the same two items out of four -> exposure [2, 2, 0, 0]
    assert exposure_gini([np.array([0, 1])] * 2, 4, 2) == pytest.approx(0.5)


def test_users_without_relevant_items_are_skipped_and_bad_k():
    assert precision_at_k([np.array([1]), np.array([2])], [{1}, set()], 1) == 1.0
    with pytest.raises(ValueError):
        ndcg_at_k(RANKINGS, RELEVANT, 0)
