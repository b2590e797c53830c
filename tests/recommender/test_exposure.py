"""Amortized exposure: one price on long-tail slots shared by every list."""

import argparse
import json

import numpy as np
import pytest

from causeway.recommender.evaluation import fairness
from causeway.recommender.evaluation import flickr_recsys as fr
from causeway.recommender.exposure import priced_top_k, solve_price, tail_share
from tests.recommender.test_coldstart import write_city

TAIL = np.array([False, False, False, True, True, True])


def test_price_zero_is_plain_top_k_in_score_order():
    scores = np.array([[0.1, 0.9, 0.5, 0.3, 0.7, 0.2], [5.0, 1.0, 3.0, 4.0, 2.0, 0.0]])
    lists = priced_top_k(scores, TAIL, 3, 0.0)
    assert lists.tolist() == [[1, 4, 2], [0, 3, 2]]


def test_the_price_swaps_where_it_is_cheap_and_keeps_the_display_order():
    # List 0: its best tail item (3) is just below its weakest head item (2).
    # List 1: the head is far ahead of the tail.
    scores = np.array([[3.0, 2.0, 1.00, 0.98, 0.1, 0.0],
                       [3.0, 2.0, 1.00, 0.10, 0.0, 0.0]])
    base = priced_top_k(scores, TAIL, 3, 0.0)
    assert tail_share(base, TAIL) == 0.0
    price = solve_price(scores, TAIL, 3, 1 / 6)  # one tail slot among the six
    assert 0.02 <= price < 0.9
    lists = priced_top_k(scores, TAIL, 3, price)
    # only the cheap list swaps, and its swapped-in item is shown last (score order)
    assert lists.tolist() == [[0, 1, 3], [0, 1, 2]]
    # a price high enough to take every slot: the members are shown in display order
    assert priced_top_k(scores, TAIL, 3, 5.0)[0].tolist() == [3, 4, 5]
    assert priced_top_k(scores[0], TAIL, 3, 5.0, display=-np.arange(6.0))[0].tolist() == [3, 4, 5]
    assert priced_top_k(scores[0], TAIL, 3, 5.0, display=np.arange(6.0))[0].tolist() == [5, 4, 3]
    # at 1.5 items 0 and 1 keep their slots and their order, 3 takes the last one
    assert priced_top_k(scores, TAIL, 3, 1.5)[0].tolist() == [0, 1, 3]


def test_solve_price_meets_reachable_targets_and_stops_at_the_maximum():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 6)) + np.array([2.0, 2.0, 2.0, 0.0, 0.0, 0.0])
    base = tail_share(priced_top_k(scores, TAIL, 3, 0.0), TAIL)
    assert solve_price(scores, TAIL, 3, base) == 0.0
    shares = []
    for target in (base + 0.1, base + 0.3, 0.9):
        price = solve_price(scores, TAIL, 3, target)
        shares.append(tail_share(priced_top_k(scores, TAIL, 3, price), TAIL))
        assert shares[-1] >= min(target, 1.0) - 1e-12
        # and the price is the smallest that does (a little less falls short)
        assert tail_share(priced_top_k(scores, TAIL, 3, price * 0.99), TAIL) < target
    assert shares == sorted(shares)
    # a target above what any price reaches: the maximum (here every slot)
    price = solve_price(scores, TAIL, 3, 1.5)
    assert tail_share(priced_top_k(scores, TAIL, 3, price), TAIL) == 1.0
    # no price can add a tail item when every list already shows them all
    assert solve_price(scores, TAIL, 6, 0.9) == 0.0


def test_priced_top_k_rejects_bad_input():
    with pytest.raises(ValueError):
        priced_top_k(np.zeros(6), TAIL, 3, -1.0)
    with pytest.raises(ValueError):
        priced_top_k(np.zeros((2, 6)), TAIL, 3, 1.0, display=np.zeros((1, 6)))
    assert priced_top_k(np.zeros(6), TAIL, 0, 1.0).shape == (1, 0)
    # -inf items (filtered out) come last, never first
    row = np.array([1.0, -np.inf, 0.5, -np.inf, 0.2, 0.1])
    assert priced_top_k(row, TAIL, 4, 10.0)[0].tolist() == [0, 2, 4, 5]
    assert priced_top_k(row, TAIL, 6, 10.0)[0].tolist()[-2:] in ([1, 3], [3, 1])


QUICK = {"no_components": (8,), "epochs": (5,), "learning_rate": (0.05,),
         "user_history": (False,), "weighting": ("log",), "theme_weight": (0.5,),
         "area_weight": (0.5,)}


def test_fairness_protocol_reports_the_curve(tmp_path):
    folder = write_city(tmp_path, n_users=60, n_pois=15)
    report = fairness.evaluate_fairness(folder, seeds=(0, 1), tune_seeds=(100,),
                                        hybrid_grid=QUICK, targets=(0.05, 0.15))
    res = report["results"]
    assert {"hybrid + prior", "quota (today)", "per-list boost 0.01", "amortized +0.05",
            "boost, re-ordered +0.15"} <= set(res)
    base = res["hybrid + prior"]
    assert base["paired_ndcg@10"] == {"diff": 0.0, "se": 0.0}
    for target in (0.05, 0.15):
        row = res[f"amortized +{target:.2f}"]
        # the price is solved per seed, so the batch's share rises by the target
        assert row["paired_long_tail@10"]["diff"] >= target - 1e-9
        assert row["long_tail@10"]["mean"] >= base["long_tail@10"]["mean"] + target - 1e-9
        # the same members in another order: the same long-tail share
        assert res[f"boost, re-ordered +{target:.2f}"]["long_tail@10"] == row["long_tail@10"]
        assert 0.0 <= row["ndcg@10"]["mean"] <= 1.0
    assert set(report["goal_met"]) == set(res) - {"hybrid + prior"}
    json.dumps(report)
    text = fairness.format_fairness(report)
    assert "| amortized +0.15 |" in text and "Prices" in text


def test_cli_runs_the_fairness_protocol(tmp_path, capsys):
    folder = write_city(tmp_path, n_users=45, n_pois=12)
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    args = parser.parse_args(["--flickr", str(folder), "--protocol", "fairness", "--quick",
                              "--seeds", "1", "--json"])
    assert fr.run(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["seeds"] == [0] and "amortized +0.20" in report["results"]
