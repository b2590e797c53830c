"""Fair exposure on real visits: the trade-off curve of amortized exposure beside the quota.

``causeway eval recommender --flickr DIR --protocol fairness [--set KEY=V ...] [--json]``

The lists are those of "LightFM hybrid + prior" in the warm protocol of
:mod:`causeway.recommender.evaluation.flickr_recsys` (last sequence held out, seen POIs
kept, hybrid and prior weights chosen on the same validation folds, 5 seeds). Long-tail
POIs (outside the top 20% by training visits) stand in for small providers. Re-rankings:

* **quota** (today's ``fairness``): +0.05 on min-max normalised relevance and 20% of the
  slots reserved for the long tail, in every list;
* **per-list boost b**: the same re-ranker with boost ``b`` (0.005-0.02) and the same quota,
  today's method at milder settings, so its curve can be read beside the new one;
* **amortized** (:mod:`causeway.recommender.exposure`): one price on long-tail slots for all
  test users, on the blend's score (already on a scale shared by all users: visit counts
  and standardised popularity), solved from the scores alone so that the share of
  long-tail slots rises by the target; each list's 10 are shown in score order;
* **boost, re-ordered**: the same price applied to the display order as well (the plain
  Lagrangian list), to show what keeping the order buys.

For each target (+0.05 ... +0.40 long-tail share) the report gives NDCG@10, long-tail
share and exposure Gini (top 10, every POI counted, unexposed ones as 0), and the
difference from the unranked lists per test user (NDCG@10 and long-tail share, mean over
seeds, mean ± standard error over users).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causeway.recommender.evaluation.flickr_data import (
    load_city, make_fold, split_last_sequence, validation_folds,
)
from causeway.recommender.evaluation.flickr_methods import (
    HYBRID_GRID, apply_blend, grid_points, lightfm_builder, ndcg_per_user, prior_grid,
    relevance_matrix, tune,
)
from causeway.recommender.evaluation.metrics import exposure_gini
from causeway.recommender.exposure import priced_top_k, solve_price
from causeway.recommender.rerank import RerankConfig, rerank

#: Long-tail share uplifts the price is solved for.
TARGETS = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40)
QUOTA = RerankConfig(diversity=0.0, small_provider_boost=0.05, min_small_share=0.2)
#: Milder boosts of today's per-list re-ranker (same 20% quota).
PER_LIST_BOOSTS = (0.005, 0.01, 0.02)
K = 10
#: The goal of issue 17: at least this much more long-tail share ...
GOAL_TAIL = 0.20
#: ... for at most this NDCG@10.
GOAL_NDCG = 0.01


def _scores_from_lists(lists: np.ndarray, n_items: int) -> np.ndarray:
    """A score matrix whose top-``k`` are exactly ``lists`` (for ``ndcg_per_user``)."""
    out = np.full((lists.shape[0], n_items), -np.inf)
    rows = np.arange(lists.shape[0])[:, None]
    out[rows, lists] = lists.shape[1] - np.arange(lists.shape[1])[None, :]
    return out


def list_metrics(lists: np.ndarray, rel: np.ndarray, tail: np.ndarray) -> dict[str, Any]:
    """Per-user NDCG@10 and long-tail share, plus the lists' exposure Gini."""
    n_items = rel.shape[1]
    return {"ndcg": ndcg_per_user(_scores_from_lists(lists, n_items), rel, K),
            "tail": tail[lists].mean(axis=1),
            "gini": exposure_gini(list(lists), n_items, K)}


def evaluate_fairness(folder: str | Path, seeds: Sequence[int] = (0, 1, 2, 3, 4),
                      tune_seeds: Sequence[int] = (100, 101),
                      hybrid_grid: dict[str, Sequence[Any]] | None = None,
                      targets: Sequence[float] = TARGETS) -> dict[str, Any]:
    """The fairness curves of one city; a JSON-serialisable report."""
    started = time.perf_counter()
    city = load_city(folder)
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    fold = make_fold(city, train, test, n_users)
    vfolds = validation_folds(city, train, set(fold.users.tolist()), n_users, n_folds=2)
    grid = grid_points(hybrid_grid or HYBRID_GRID)
    tuned = tune("LightFM hybrid", vfolds, city.n_items, grid,
                 [lightfm_builder(city, f, hybrid=True) for f in vfolds], tune_seeds,
                 prior_grid(model=True))

    rel = relevance_matrix(fold, city.n_items)
    tail = fold.tail
    theme_items = city.theme_matrix()
    build = lightfm_builder(city, fold, hybrid=True)
    runs: dict[str, list[dict[str, Any]]] = {}
    prices: dict[str, list[float]] = {}

    def record(name: str, lists: np.ndarray) -> None:
        runs.setdefault(name, []).append(list_metrics(lists, rel, tail))

    for seed in seeds:
        raw = np.asarray(build(tuned.prior_params, seed)(fold.users), dtype=np.float64)
        scores = apply_blend(fold, raw, tuned.prior_blend)
        base = priced_top_k(scores, tail, K, 0.0)
        record("hybrid + prior", base)
        base_share = float(tail[base].mean())
        record("quota (today)", np.array([
            rerank(row, K, item_categories=theme_items, small_provider=tail, config=QUOTA)
            for row in scores]))
        for boost in PER_LIST_BOOSTS:
            cfg = RerankConfig(diversity=0.0, small_provider_boost=boost, min_small_share=0.2)
            record(f"per-list boost {boost:g}", np.array([
                rerank(row, K, item_categories=theme_items, small_provider=tail, config=cfg)
                for row in scores]))
        for target in targets:
            price = solve_price(scores, tail, K, base_share + target)
            record(f"amortized +{target:.2f}", priced_top_k(scores, tail, K, price))
            record(f"boost, re-ordered +{target:.2f}",
                   priced_top_k(scores + price * tail, tail, K, 0.0))
            prices.setdefault(f"+{target:.2f}", []).append(price)

    ref_ndcg = np.mean([r["ndcg"] for r in runs["hybrid + prior"]], axis=0)
    ref_tail = np.mean([r["tail"] for r in runs["hybrid + prior"]], axis=0)
    valid = np.isfinite(ref_ndcg)
    results: dict[str, dict[str, Any]] = {}
    for name, rs in runs.items():
        nd = np.array([np.nanmean(r["ndcg"]) for r in rs])
        tl = np.array([r["tail"].mean() for r in rs])
        gi = np.array([r["gini"] for r in rs])
        d_nd = (np.mean([r["ndcg"] for r in rs], axis=0) - ref_ndcg)[valid]
        d_tl = np.mean([r["tail"] for r in rs], axis=0) - ref_tail
        results[name] = {
            "ndcg@10": {"mean": float(nd.mean()), "std": float(nd.std())},
            "long_tail@10": {"mean": float(tl.mean()), "std": float(tl.std())},
            "exposure_gini@10": {"mean": float(gi.mean()), "std": float(gi.std())},
            "paired_ndcg@10": {"diff": float(d_nd.mean()),
                               "se": float(d_nd.std(ddof=1) / np.sqrt(d_nd.size))},
            "paired_long_tail@10": {"diff": float(d_tl.mean()),
                                    "se": float(d_tl.std(ddof=1) / np.sqrt(d_tl.size))},
        }
    goal = {name: (r["paired_long_tail@10"]["diff"] >= GOAL_TAIL - 1e-9
                   and r["paired_ndcg@10"]["diff"] >= -GOAL_NDCG)
            for name, r in results.items() if name != "hybrid + prior"}
    return {
        "city": city.name, "folder": str(folder), "n_items": city.n_items,
        "n_test_users": int(len(fold.users)), "seeds": list(seeds),
        "tuned": tuned.to_dict(), "targets": list(targets),
        "prices": {k: float(np.mean(v)) for k, v in prices.items()},
        "results": results, "goal_met": goal,
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_fairness(report: dict[str, Any]) -> str:
    """Markdown table of the curves."""
    lines = [f"{report['city']}: {report['n_test_users']} test users, {report['n_items']} POIs, "
             f"{len(report['seeds'])} seeds, {report['seconds']} s", "",
             "| method | NDCG@10 | long-tail share | exposure Gini | ΔNDCG@10 (paired ± s.e.) "
             "| Δlong-tail (paired ± s.e.) | goal |",
             "|---|---|---|---|---|---|---|"]
    for name, r in report["results"].items():
        met = report["goal_met"].get(name)
        lines.append(
            f"| {name} | {r['ndcg@10']['mean']:.3f} ± {r['ndcg@10']['std']:.3f} "
            f"| {r['long_tail@10']['mean']:.3f} | {r['exposure_gini@10']['mean']:.3f} "
            f"| {r['paired_ndcg@10']['diff']:+.4f} ± {r['paired_ndcg@10']['se']:.4f} "
            f"| {r['paired_long_tail@10']['diff']:+.3f} ± {r['paired_long_tail@10']['se']:.3f} "
            f"| {'' if met is None else ('yes' if met else 'no')} |")
    lines.append("")
    lines.append("Prices (mean over seeds): " + ", ".join(
        f"{k} {v:.4g}" for k, v in report["prices"].items()))
    t = report["tuned"]
    lines.append(f"Hybrid + prior: {t['prior']['params']}, blend {t['prior']['blend']} "
                 f"(validation NDCG@10 {t['prior']['validation_ndcg@10']:.3f})")
    return "\n".join(lines)
