import pytest

from causeway.recommender.evaluation.traj_metrics import f1_points, pairs_f1


def test_one_wrong_poi_of_four():
    truth, pred = [1, 2, 3, 4], [1, 5, 3, 4]
    # 3 of 4 POIs right: precision = recall = 3/4
    assert f1_points(truth, pred) == pytest.approx(0.75)
    # predicted pairs: (1,5) (1,3)+ (1,4)+ (5,3) (5,4) (3,4)+ -> 3 of 6; truth has 6 pairs
    assert pairs_f1(truth, pred) == pytest.approx(0.5)


def test_length_three_wrong_middle():
    # start and end count: F1 = 2/3; only the (start, end) pair is right: 1/3
    assert f1_points([1, 2, 3], [1, 4, 3]) == pytest.approx(2 / 3)
    assert pairs_f1([1, 2, 3], [1, 4, 3]) == pytest.approx(1 / 3)
    assert f1_points([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert pairs_f1([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)


def test_wrong_order_costs_pairs_not_points():
    truth = [1, 2, 3, 4]
    assert f1_points(truth, [1, 3, 2, 4]) == pytest.approx(1.0)
    # 5 of 6 pairs in the true order
    assert pairs_f1(truth, [1, 3, 2, 4]) == pytest.approx(5 / 6)


def test_longer_prediction_with_a_repeat_follows_the_published_definition():
    truth, pred = [1, 2, 3], [1, 3, 2, 4, 3]
    # hits = |{1, 2, 3}| = 3: precision 3/5, recall 1 -> F1 = 2 * 0.6 / 1.6
    assert f1_points(truth, pred) == pytest.approx(0.75)
    # pairs by position: (1,3)+ (1,2)+ (1,4) (1,3)+ (3,2) (3,4) (3,3)skip (2,4) (2,3)+ (4,3)
    # -> 4 correct; precision 4/10, recall 4/3 -> F1 = 2 * 0.4 * 4/3 / (0.4 + 4/3) = 8/13
    assert pairs_f1(truth, pred) == pytest.approx(8 / 13)


def test_nothing_right():
    assert f1_points([1, 2, 3], [4, 5, 6]) == 0.0
    assert pairs_f1([1, 2, 3], [3, 2, 1]) == 0.0


def test_bad_input():
    with pytest.raises(ValueError):
        f1_points([], [1])
    with pytest.raises(ValueError):
        pairs_f1([1, 1, 2], [1, 2])
    with pytest.raises(ValueError):
        pairs_f1([1], [1])
