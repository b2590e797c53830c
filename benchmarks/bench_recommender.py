"""Recommender speed: training on 1M interactions x 50k attractions, single-visitor latency.

Run: ``python -m benchmarks.bench_recommender [--items 50000 --interactions 1000000]``.
Synthetic data (seeded): attractions with 1-2 of 20 categories, 200 areas, 5,000
providers, price band and indoor flags; visitors with 1-3 stated interests; interactions
drawn with Zipf-like popularity and a preference for the visitor's interests. Prints
training time and latency (median, p99) of: bare scoring (dot + top-20), a new visitor
from a stated profile (feature encoding included), and the full
``RecommenderPipeline.recommend`` with distance filter, re-ranking and explanations.
BLAS is pinned to one thread, as an API worker should be.

``--holdout-users N`` also measures what a faster training setting costs in accuracy at
this scale: one engaged attraction of each of N visitors (all their events on it) is held
out of training, and the report gives the held-out hit rate and NDCG at 20 over all 50k
attractions (the visitor's training attractions excluded), beside popularity's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from causeway.recommender.evaluation.holdout import hold_out, holdout_metrics
from causeway.recommender.model import TRAINING_DEFAULTS, HybridRecommender, top_k
from causeway.recommender.pipeline import RecommenderPipeline
from causeway.recommender.rerank import RerankConfig

N_CATEGORIES = 20


def make_data(n_items: int, n_users: int, n_interactions: int, seed: int = 0
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cats = [f"c{j}" for j in range(N_CATEGORIES)]
    first = rng.integers(0, N_CATEGORIES, n_items)
    second = rng.integers(0, N_CATEGORIES, n_items)
    items = pd.DataFrame({
        "attraction_id": [f"a{i}" for i in range(n_items)],
        "categories": [[cats[a]] if rng.random() < 0.5 else [cats[a], cats[b]]
                       for a, b in zip(first, second)],
        "area": [f"area{j}" for j in rng.integers(0, 200, n_items)],
        "provider_id": [f"p{j}" for j in rng.integers(0, 5000, n_items)],
        "provider_size": rng.choice(["small", "medium", "large"], n_items, p=[0.6, 0.3, 0.1]),
        "price_band": rng.choice(["free", "low", "mid", "high"], n_items),
        "indoor": rng.random(n_items) < 0.5,
        "lat": 54.6 + rng.normal(0, 0.3, n_items), "lon": -6.0 + rng.normal(0, 0.5, n_items),
    })
    interests = rng.integers(0, N_CATEGORIES, n_users)
    users = pd.DataFrame({
        "visitor_id": [f"u{u}" for u in range(n_users)],
        "interests": [[cats[c]] for c in interests],
        "stay_days": rng.integers(1, 10, n_users),
        "travel_mode": rng.choice(["foot", "transit", "car"], n_users),
    })
    # Items by primary category, popularity Zipf-like within each.
    by_cat = [np.flatnonzero(first == c) for c in range(N_CATEGORIES)]
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.8
    u = rng.integers(0, n_users, n_interactions)
    own = rng.random(n_interactions) < 0.7
    item = np.empty(n_interactions, dtype=np.int64)
    glob = rng.choice(n_items, size=n_interactions, p=pop / pop.sum())
    item[:] = glob
    for c in range(N_CATEGORIES):
        sel = own & (interests[u] == c)
        cand = by_cat[c]
        p = pop[cand] / pop[cand].sum()
        item[sel] = rng.choice(cand, size=int(sel.sum()), p=p)
    events = pd.DataFrame({
        "visitor_id": np.char.add("u", u.astype(str)),
        "attraction_id": np.char.add("a", item.astype(str)),
        "event_type": rng.choice(["visit", "save", "detail_view"], n_interactions, p=[.3, .2, .5]),
        "timestamp": 1.7e9 + rng.uniform(0, 180 * 86400, n_interactions),
    })
    return items, users, events


def latency(fn, n: int) -> dict[str, float]:
    for _ in range(min(50, n)):
        fn(0)
    times = np.empty(n)
    for r in range(n):
        t = time.perf_counter()
        fn(r)
        times[r] = time.perf_counter() - t
    ms = times * 1e3
    return {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "mean_ms": float(ms.mean()), "n": n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    # Defaults: the training job's (``causeway train``).
    ap.add_argument("--components", type=int, default=TRAINING_DEFAULTS["no_components"])
    ap.add_argument("--epochs", type=int, default=TRAINING_DEFAULTS["epochs"])
    ap.add_argument("--max-sampled", type=int, default=TRAINING_DEFAULTS["max_sampled"],
                    help="WARP negatives tried per positive (LightFM max_sampled)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--holdout-users", type=int, default=0, metavar="N",
                    help="hold one attraction of N visitors out of training and report the "
                         "held-out hit rate and NDCG@20 (accuracy cost of a setting)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    items, users, events = make_data(args.items, args.users, args.interactions)
    held = None
    if args.holdout_users:
        events, held = hold_out(events, args.holdout_users)
    t_data = time.perf_counter() - t0
    model = HybridRecommender(no_components=args.components, epochs=args.epochs,
                              max_sampled=args.max_sampled, num_threads=args.threads,
                              random_state=0)
    pipe = RecommenderPipeline(model)
    t0, c0 = time.perf_counter(), time.process_time()
    pipe.fit(items, events, users)
    t_total, c_total = time.perf_counter() - t0, time.process_time() - c0
    load_after_fit = os.getloadavg()[0]
    with threadpool_limits(1):
        accuracy = holdout_metrics(pipe, events, held) if held is not None else None
    meta = model.metadata
    rng = np.random.default_rng(1)
    cats = [f"c{j}" for j in range(N_CATEGORIES)]
    profiles = [{"interests": [cats[c]], "stay_days": 3, "travel_mode": "foot"}
                for c in rng.integers(0, N_CATEGORIES, 64)]
    uvecs = model.user_vectors(pipe.users_encoder.transform_records(profiles))
    base = (54.6, -6.0)
    with threadpool_limits(1):
        bare = latency(lambda r: top_k(model.score_vector(uvecs[r % 64]), 20), args.requests)
        profile = latency(lambda r: top_k(model.score_vector(model.user_vectors(
            pipe.visitor_features(profiles[r % 64]))[0]), 20), args.requests)
        full = latency(lambda r: pipe.recommend(profiles[r % 64], k=20, base=base, max_km=50.0,
                                                rerank_config=RerankConfig()), args.requests // 4)
        known = latency(lambda r: pipe.recommend(visitor_id=f"u{r}", k=20, base=base,
                                                 max_km=50.0), args.requests // 4)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine(),
                    # other jobs on the box inflate wall times; CPU times are less affected
                    "load_average_1min": {"before": round(load_before, 2),
                                          "after_fit": round(load_after_fit, 2)}},
        "data": {"items": args.items, "users": args.users, "events": args.interactions,
                 "distinct_interactions": meta["n_interactions"],
                 "item_features": meta["n_item_features"], "user_features": meta["n_user_features"],
                 "generate_s": round(t_data, 1)},
        "training": {"components": args.components, "epochs": args.epochs,
                     "max_sampled": args.max_sampled, "threads": args.threads,
                     "lightfm_fit_s": meta["train_seconds"],
                     "lightfm_fit_cpu_s": meta["train_cpu_seconds"],
                     "pipeline_fit_s": round(t_total, 1), "pipeline_fit_cpu_s": round(c_total, 1)},
        "latency_50k_items": {"bare_dot_top20": bare, "new_visitor_profile_top20": profile,
                              "recommend_filter_rerank_explain": full,
                              "known_visitor_recommend_full": known},
    }
    if accuracy is not None:
        report["holdout"] = accuracy
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        d, t = report["data"], report["training"]
        print(f"data: {d['items']} items, {d['users']} users, {d['events']} events "
              f"({d['distinct_interactions']} distinct pairs)")
        load = report["machine"]["load_average_1min"]
        print(f"training: LightFM WARP k={t['components']} x {t['epochs']} epochs "
              f"(max_sampled {t['max_sampled']}) on {t['threads']} threads: "
              f"{t['lightfm_fit_s']:.1f} s wall, {t['lightfm_fit_cpu_s']:.1f} s CPU "
              f"(whole pipeline fit incl. encoding: {t['pipeline_fit_s']:.1f} s wall, "
              f"{t['pipeline_fit_cpu_s']:.1f} s CPU; load average {load['before']:.1f} before, "
              f"{load['after_fit']:.1f} after)")
        if accuracy is not None:
            print(f"held-out ({accuracy['users']} visitors, one attraction each, ranked among "
                  f"{args.items}): model hit@20 {accuracy['model_hit@20']:.3f}, NDCG@20 "
                  f"{accuracy['model_ndcg@20']:.3f}; popularity hit@20 "
                  f"{accuracy['popularity_hit@20']:.3f}, NDCG@20 {accuracy['popularity_ndcg@20']:.3f}")
        for name, res in report["latency_50k_items"].items():
            print(f"{name:34s} median {res['median_ms']:.3f} ms  p99 {res['p99_ms']:.3f} ms"
                  f"  (n={res['n']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
