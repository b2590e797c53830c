"""The 50k simulated accuracy benchmark's truth and protocols, at a tiny scale."""

import json

import numpy as np

from benchmarks import sim_accuracy as sa
from benchmarks.bench_recommender import make_data


def test_truth_is_the_generators_distribution_and_ideal_lists_score_one():
    items, users, events = make_data(300, 200, 4000, seed=0)
    truth = sa.Truth(items, users)
    assert np.allclose(truth.p.sum(axis=1), 1.0)
    # the interest's attractions (by first category) get the 0.7 share
    for c in range(sa.N_CATEGORIES):
        own = truth.first == c
        if own.any():
            assert truth.p[c, own].sum() >= 0.7 - 1e-9
    # events follow it: visitors' events land in their interest's first category ~70%+
    u, i = sa.index_events(events)
    assert np.mean(truth.first[i] == truth.interest[u]) > 0.7
    users_ = np.arange(20)
    ideal = np.argsort(-truth.p[truth.interest[users_]], axis=1, kind="stable")[:, :sa.K]
    assert np.allclose(sa.ndcg_truth(ideal, users_, truth), 1.0)
    worst = np.argsort(truth.p[truth.interest[users_]], axis=1, kind="stable")[:, :sa.K]
    assert (sa.ndcg_truth(worst, users_, truth) < 0.05).all()
    # with candidates the ideal is over the candidates only
    cand = np.arange(0, 300, 3)
    sub = cand[np.argsort(-truth.p[truth.interest[users_]][:, cand], axis=1, kind="stable")[:, :sa.K]]
    assert np.allclose(sa.ndcg_truth(sub, users_, truth, cand), 1.0)


def test_the_three_protocols_run_small(capsys):
    assert sa.main(["--items", "400", "--users-total", "600", "--interactions", "9000",
                    "--folds", "1", "--users", "60", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    ic, uc, fa = report["item-cold"], report["user-cold"], report["fairness"]
    assert {"LightFM hybrid", "random", "theme of history"} <= set(ic["results"])
    assert {"popularity", "popularity + theme match", "LightFM hybrid"} <= set(uc["results"])
    for part in (ic, uc, fa):
        assert all(0.0 <= r["mean"] <= 1.0 + 1e-9 for r in part["results"].values())
    # the amortized rows reach their long-tail targets above the hybrid's share
    base = fa["results"]["LightFM hybrid"]["long_tail@10"]
    assert fa["results"]["amortized +0.20"]["long_tail@10"] >= base + 0.2 - 1e-9
