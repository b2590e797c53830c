"""Accuracy at 50k attractions with the simulator's ground truth: the issue-17 protocols.

Run: ``python -m benchmarks.sim_accuracy [--folds 5] [--users 2000] [--json]``
(``make bench-sim-accuracy``).

The data is the speed benchmark's (:func:`benchmarks.bench_recommender.make_data`,
seeded): 50,000 attractions, 100,000 visitors each with one stated interest, 1,000,000
events. Its generator is explicit, so the probability that visitor ``u``'s next event is
attraction ``i`` is known exactly::

    p_u(i) = 0.7 * [first category of i == interest of u] * pop(i) / Z(interest of u)
           + 0.3 * pop(i) / Z,        pop(i) = 1 / (i + 1) ** 0.8

Every list is scored by NDCG@10 with ``p_u(i)`` as the graded gain, against the ideal
order of the same candidates: no held-out sample, no sampling noise in the truth. The
differences are paired per evaluated visitor (mean ± standard error over visitor-fold
pairs); tables give the mean ± standard deviation over folds.

Protocols (as on the Flickr cities, ``causeway eval recommender --protocol ...``):

* **item-cold**: 20% of the attractions (5 seeded folds) lose every event; a model is
  trained on the rest (the warm catalogue only, so cold attractions get no identity
  feature) and every method ranks the fold's 10,000 cold attractions for a sample of
  visitors. Methods: random; theme popularity (mean training events of the warm
  attractions sharing a category); theme of history (share of the visitor's training
  events in the attraction's categories); nearest to history (distance to the closest
  attraction of the visitor's history; the generator ignores place, so this is a check);
  the LightFM hybrid scoring cold attractions from their features.
* **user-cold**: 20% of the visitors (5 seeded folds) lose every event and are known only
  by their stated interest; every method ranks all 50,000 attractions. Methods:
  popularity; theme popularity (the interest's attractions first, by popularity);
  popularity + theme match (``z(log pop) + w * match``, ``w`` chosen on the ground truth of
  training visitors); the hybrid from the profile row.
* **fairness** (warm): one model on every event; the hybrid's lists (scores standardised
  per visitor, a scale shared by all) re-ranked by today's per-list quota and by the
  amortized exposure price at several long-tail targets (long tail: outside the top 20% by
  training events), with long-tail share and exposure Gini.

LightFM runs with the training job's defaults (k=32, 10 epochs, max_sampled 5) on 2
threads; at this scale there is no nested tuning.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from benchmarks.bench_recommender import N_CATEGORIES, make_data
from causeway.recommender.blend import popularity_prior, standardise_rows
from causeway.recommender.evaluation.metrics import exposure_gini, long_tail_mask
from causeway.recommender.exposure import priced_top_k, solve_price
from causeway.recommender.model import TRAINING_DEFAULTS, HybridRecommender
from causeway.recommender.pipeline import RecommenderPipeline
from causeway.recommender.rerank import RerankConfig, haversine_km, rerank

K = 10
BATCH = 250
TARGETS = (0.05, 0.10, 0.20, 0.30, 0.40)
QUOTA = RerankConfig(diversity=0.0, small_provider_boost=0.05, min_small_share=0.2)


# ------------------------------------------------------------------ the truth
class Truth:
    """The generator's next-event probabilities, one row per interest category."""

    def __init__(self, items: pd.DataFrame, users: pd.DataFrame) -> None:
        n = len(items)
        self.first = np.array([int(c[0][1:]) for c in items["categories"]])
        self.cats = [[int(x[1:]) for x in c] for c in items["categories"]]
        pop = 1.0 / np.arange(1, n + 1) ** 0.8
        rows = np.empty((N_CATEGORIES, n))
        for c in range(N_CATEGORIES):
            own = np.where(self.first == c, pop, 0.0)
            rows[c] = 0.7 * own / own.sum() + 0.3 * pop / pop.sum()
        self.p = rows
        self.interest = np.array([int(i[0][1:]) for i in users["interests"]])


def ndcg_truth(lists: np.ndarray, users: np.ndarray, truth: Truth,
               candidates: np.ndarray | None = None) -> np.ndarray:
    """NDCG@K of lists [n, K] (item indices) for ``users`` [n], the generator's
    probabilities as gains; the ideal is the best K of ``candidates`` (all items when
    None). Gains depend on the visitor's interest only, so the ideal is one per interest."""
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    interest = truth.interest[users]
    dcg = (truth.p[interest[:, None], lists] * disc[: lists.shape[1]]).sum(axis=1)
    g = truth.p if candidates is None else truth.p[:, candidates]
    best = -np.sort(-g, axis=1)[:, :K]
    ideal = (best * disc[: best.shape[1]]).sum(axis=1)
    return dcg / ideal[interest]


def top(scores: np.ndarray, k: int = K) -> np.ndarray:
    """Top-k columns of each row, best first (ties by index)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


# ---------------------------------------------------------------- helpers
def fit(items: pd.DataFrame, events: pd.DataFrame, users: pd.DataFrame, seed: int
        ) -> tuple[RecommenderPipeline, float]:
    model = HybridRecommender(no_components=TRAINING_DEFAULTS["no_components"],
                              epochs=TRAINING_DEFAULTS["epochs"],
                              max_sampled=TRAINING_DEFAULTS["max_sampled"], num_threads=2,
                              random_state=seed)
    t0 = time.perf_counter()
    pipe = RecommenderPipeline(model).fit(items, events, users)
    return pipe, time.perf_counter() - t0


def index_events(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(user index, item index) of each event (ids are ``u<n>`` and ``a<n>``)."""
    u = events["visitor_id"].str.slice(1).astype(np.int64).to_numpy()
    i = events["attraction_id"].str.slice(1).astype(np.int64).to_numpy()
    return u, i


def paired(per_user: dict[str, list[np.ndarray]], ref: str) -> dict[str, dict[str, float]]:
    r = np.concatenate(per_user[ref])
    out = {}
    for name, vals in per_user.items():
        if name == ref:
            continue
        d = r - np.concatenate(vals)
        out[name] = {"diff": float(d.mean()), "se": float(d.std(ddof=1) / np.sqrt(d.size))}
    return out


def summary(per_user: dict[str, list[np.ndarray]]) -> dict[str, dict[str, float]]:
    return {name: {"mean": float(np.mean([v.mean() for v in vals])),
                   "std": float(np.std([v.mean() for v in vals]))}
            for name, vals in per_user.items()}


# ---------------------------------------------------------------- protocols
def category_matrix(truth: Truth, n_items: int) -> sp.csr_matrix:
    """[n_items, N_CATEGORIES] 1 for each of an attraction's categories."""
    lens = [len(c) for c in truth.cats]
    return sp.csr_matrix((np.ones(sum(lens)), (np.repeat(np.arange(n_items), lens),
                                                np.concatenate(truth.cats))),
                         shape=(n_items, N_CATEGORIES))


def item_cold(items, users, events, truth: Truth, folds: int, n_eval: int) -> dict[str, Any]:
    n_items = len(items)
    fold_of = np.random.default_rng(0).permutation(n_items) % 5
    u_all, i_all = index_events(events)
    lat, lon = items["lat"].to_numpy(), items["lon"].to_numpy()
    cat_mat = category_matrix(truth, n_items)
    per_user: dict[str, list[np.ndarray]] = {}
    seconds = []
    for f in range(folds):
        cold = np.flatnonzero(fold_of == f)
        warm_mask = fold_of != f
        keep = warm_mask[i_all]
        pipe, secs = fit(items[warm_mask].reset_index(drop=True), events[keep], users, seed=f)
        seconds.append(secs)
        pipe.set_catalogue(items)  # cold attractions: features only, no identity
        u_tr, i_tr = u_all[keep], i_all[keep]
        hist = sp.csr_matrix((np.ones(u_tr.size), (u_tr, i_tr)), shape=(len(users), n_items))
        pop = np.asarray(hist.sum(axis=0)).ravel()
        warm_cat = cat_mat[warm_mask]
        theme_pop = (warm_cat.T @ pop[warm_mask]) / np.maximum(
            np.asarray(warm_cat.sum(axis=0)).ravel(), 1)
        item_theme_pop = (cat_mat @ theme_pop) / np.asarray(cat_mat.sum(axis=1)).ravel()
        eligible = np.flatnonzero(np.asarray(hist.sum(axis=1)).ravel() > 0)
        evald = np.sort(np.random.default_rng(100 + f).choice(eligible, n_eval, replace=False))
        pos = pipe.users_encoder.id_index()
        rows = np.array([pos[f"u{u}"] for u in evald])
        tie = np.empty(cold.size)
        tie[np.random.default_rng(200 + f).permutation(cold.size)] = np.arange(cold.size)
        tie /= cold.size  # one seeded order of the cold attractions breaks every method's ties
        first_match = (truth.first[cold][None, :] == truth.interest[evald][:, None])
        res: dict[str, list[np.ndarray]] = {}

        def add(name: str, scores: np.ndarray, lo: int, cold: np.ndarray = cold,
                tie: np.ndarray = tie, res: dict[str, list[np.ndarray]] = res,
                evald: np.ndarray = evald) -> None:
            spread = float(np.abs(scores[np.isfinite(scores)]).max()) or 1.0
            lists = cold[top(scores + 1e-9 * spread * tie[None, :])]
            res.setdefault(name, []).append(ndcg_truth(lists, evald[lo:lo + len(scores)], truth,
                                                       cold))

        for lo in range(0, evald.size, BATCH):
            sl = slice(lo, lo + BATCH)
            with threadpool_limits(1):
                hyb = pipe.model.score(pipe.model.known_user_features(rows[sl]))[:, cold]
            add("LightFM hybrid", hyb, lo)
            n = hyb.shape[0]
            add("theme popularity", np.tile(item_theme_pop[cold], (n, 1)), lo)
            h = hist[evald[sl]]
            share = (h @ cat_mat).toarray()
            share /= np.maximum(share.sum(axis=1, keepdims=True), 1)
            add("theme of history", share @ cat_mat[cold].T.toarray(), lo)
            near = np.empty((n, cold.size))
            for r in range(n):
                d = np.full(cold.size, np.inf)
                for j in h[r].indices[:10]:
                    d = np.minimum(d, haversine_km(lat[j], lon[j], lat[cold], lon[cold]))
                near[r] = -d
            add("nearest to history", near, lo)
            rnd = [ndcg_truth(cold[top(np.random.default_rng(300 + 50 * f + k + lo).random(
                (n, cold.size)))], evald[sl], truth, cold) for k in range(5)]
            res.setdefault("random", []).append(np.mean(rnd, axis=0))
            # the best a features-only ranking can do here: the interest's attractions
            # first (the generator's popularity of a cold attraction is not observable)
            add("reference: interest match", first_match[sl].astype(float), lo)
        for name, parts in res.items():
            per_user.setdefault(name, []).append(np.concatenate(parts))
        print(f"  item-cold fold {f}: fit {secs:.0f} s, hybrid "
              f"{per_user['LightFM hybrid'][-1].mean():.3f}", file=sys.stderr)
    return {"results": summary(per_user), "paired_vs_hybrid": paired(per_user, "LightFM hybrid"),
            "fit_seconds": seconds, "candidates": int((fold_of == 0).sum()), "users": n_eval}


def user_cold(items, users, events, truth: Truth, folds: int, n_eval: int) -> dict[str, Any]:
    n_items = len(items)
    fold_of = np.random.default_rng(1).permutation(len(users)) % 5
    u_all, i_all = index_events(events)
    match_rows = category_matrix(truth, n_items).T.toarray()  # [N_CATEGORIES, n_items]
    per_user: dict[str, list[np.ndarray]] = {}
    seconds, weights = [], []
    for f in range(folds):
        new = np.flatnonzero(fold_of == f)
        keep = fold_of[u_all] != f
        train_users = users[fold_of != f].reset_index(drop=True)
        pipe, secs = fit(items, events[keep], train_users, seed=f)
        seconds.append(secs)
        pop = np.bincount(i_all[keep], minlength=n_items).astype(float)
        zpop = popularity_prior(pop)
        # w of popularity + theme match: the best on 2,000 *training* visitors' truth
        pool_users = np.flatnonzero(fold_of != f)
        tr = np.random.default_rng(400 + f).choice(pool_users, min(2000, pool_users.size),
                                                   replace=False)
        trial = {w: float(ndcg_truth(top(zpop[None, :] + w * match_rows[truth.interest[tr]]),
                                     tr, truth).mean())
                 for w in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)}
        best_w = max(trial, key=trial.get)
        weights.append(best_w)
        evald = np.sort(np.random.default_rng(500 + f).choice(new, n_eval, replace=False))
        pop_list = np.tile(top((pop - 1e-9 * np.arange(n_items))[None, :])[0], (evald.size, 1))
        res: dict[str, list[np.ndarray]] = {"popularity": [ndcg_truth(pop_list, evald, truth)]}
        for lo in range(0, evald.size, BATCH):
            sl = evald[lo:lo + BATCH]
            match = match_rows[truth.interest[sl]]
            res.setdefault("theme popularity", []).append(
                ndcg_truth(top(match * 1e7 + pop[None, :]), sl, truth))
            res.setdefault("popularity + theme match", []).append(
                ndcg_truth(top(zpop[None, :] + best_w * match), sl, truth))
            profiles = [{"interests": list(users.at[int(u), "interests"]),
                         "stay_days": int(users.at[int(u), "stay_days"]),
                         "travel_mode": str(users.at[int(u), "travel_mode"])} for u in sl]
            with threadpool_limits(1):
                hyb = pipe.model.score(pipe.users_encoder.transform_records(profiles))
            res.setdefault("LightFM hybrid", []).append(ndcg_truth(top(hyb), sl, truth))
        for name, parts in res.items():
            per_user.setdefault(name, []).append(np.concatenate(parts))
        print(f"  user-cold fold {f}: fit {secs:.0f} s, hybrid "
              f"{per_user['LightFM hybrid'][-1].mean():.3f}, w {best_w:g}", file=sys.stderr)
    return {"results": summary(per_user), "paired_vs_hybrid": paired(per_user, "LightFM hybrid"),
            "fit_seconds": seconds, "match_weights": weights, "users": n_eval}


def fairness(items, users, events, truth: Truth, n_eval: int) -> dict[str, Any]:
    n_items = len(items)
    _, i_all = index_events(events)
    pipe, secs = fit(items, events, users, seed=0)
    pop = np.bincount(i_all, minlength=n_items).astype(float)
    tail = long_tail_mask(pop)
    evald = np.sort(np.random.default_rng(600).choice(len(users), n_eval, replace=False))
    pos = pipe.users_encoder.id_index()
    rows = np.array([pos[f"u{u}"] for u in evald])
    pools, pool_scores, quota = [], [], []
    for lo in range(0, rows.size, BATCH):
        with threadpool_limits(1):
            # standardised per visitor: a scale shared by all lists
            scores = standardise_rows(pipe.model.score(pipe.model.known_user_features(
                rows[lo:lo + BATCH])))
        # every top 10 below comes from each visitor's best 500
        pool = top(scores, min(500, n_items))
        pools.append(pool)
        pool_scores.append(np.take_along_axis(scores, pool, axis=1))
        quota.extend(rerank(row, K, small_provider=tail, config=QUOTA) for row in scores)
    pool = np.concatenate(pools)
    pscores = np.concatenate(pool_scores)
    ptail = tail[pool]
    base = np.take_along_axis(pool, priced_top_k(pscores, ptail, K, 0.0), axis=1)
    lists: dict[str, np.ndarray] = {
        "popularity": np.tile(top(pop[None, :])[0], (evald.size, 1)),
        "LightFM hybrid": base, "quota (today)": np.array(quota)}
    share0 = float(tail[base].mean())
    prices = {}
    for target in TARGETS:
        price = solve_price(pscores, ptail, K, share0 + target)
        prices[f"+{target:.2f}"] = price
        lists[f"amortized +{target:.2f}"] = np.take_along_axis(
            pool, priced_top_k(pscores, ptail, K, price), axis=1)
    per_user = {name: [ndcg_truth(lst, evald, truth)] for name, lst in lists.items()}
    res = summary(per_user)
    for name, lst in lists.items():
        res[name]["long_tail@10"] = float(tail[lst].mean())
        res[name]["exposure_gini@10"] = exposure_gini(list(lst), n_items, K)
    return {"results": res, "paired_vs_hybrid": paired(per_user, "LightFM hybrid"),
            "prices": prices, "fit_seconds": [secs], "users": n_eval}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--users-total", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--folds", type=int, default=5, help="cold-start folds to run (of 5)")
    ap.add_argument("--users", type=int, default=2000, help="visitors evaluated per fold")
    ap.add_argument("--protocol", choices=("all", "item-cold", "user-cold", "fairness"),
                    default="all")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not 1 <= args.folds <= 5:
        ap.error("--folds must be 1-5")
    t0 = time.perf_counter()
    items, users, events = make_data(args.items, args.users_total, args.interactions)
    truth = Truth(items, users)
    report: dict[str, Any] = {"data": {"items": args.items, "users": args.users_total,
                                       "events": args.interactions},
                              "folds": args.folds, "users_per_fold": args.users}
    if args.protocol in ("all", "item-cold"):
        report["item-cold"] = item_cold(items, users, events, truth, args.folds, args.users)
    if args.protocol in ("all", "user-cold"):
        report["user-cold"] = user_cold(items, users, events, truth, args.folds, args.users)
    if args.protocol in ("all", "fairness"):
        report["fairness"] = fairness(items, users, events, truth, args.users)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for proto in ("item-cold", "user-cold", "fairness"):
        if proto not in report:
            continue
        r = report[proto]
        print(f"\n{proto} (NDCG@10 with the simulator's probabilities as gains; "
              f"{r['users']} visitors a fold):")
        for name, v in r["results"].items():
            extra = ""
            if "long_tail@10" in v:
                extra = f"  long tail {v['long_tail@10']:.3f}  Gini {v['exposure_gini@10']:.3f}"
            d = r["paired_vs_hybrid"].get(name)
            diff = f"  hybrid - this {d['diff']:+.4f} ± {d['se']:.4f}" if d else ""
            print(f"  {name:28s} {v['mean']:.3f} ± {v['std']:.3f}{extra}{diff}")
        print(f"  fit seconds: {', '.join(f'{s:.0f}' for s in r['fit_seconds'])}")
    print(f"\ntotal {report['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
