"""Evaluate the recommender on real tourist visits (Flickr user-POI data, ``lim/`` format).

``causeway eval recommender --flickr DIR [--json] [--seeds 5]`` where DIR is one city
folder (or its ``lim/`` subfolder) with ``POI-<C>.csv`` and ``userVisits-<C>-allPOI.csv``.
``--protocol item-cold`` or ``user-cold`` runs a cold-start protocol of
:mod:`causeway.recommender.evaluation.coldstart` instead of the one below;
``--protocol fairness`` the fair-exposure curves of
:mod:`causeway.recommender.evaluation.fairness` on this protocol's lists.

Protocol (issue 3)
------------------
* A *sequence* is one ``seqID`` (a user's consecutive photos with gaps under 8 h); its
  time is its first photo. For every user with at least two sequences, the last sequence
  in time is the test sequence; everything else (including every sequence of users with
  a single sequence) is training data. The relevant items are the POIs of the test
  sequence; every method ranks all POIs.
* Items the user already visited in training are **not** excluded: tourists revisit
  (about 45% of held-out POIs were already in the user's training history in every city),
  so excluding them would make most of the truth unreachable. ``--exclude-seen`` runs
  the discovery task instead (seen POIs removed from rankings and truth).
* Hyperparameters of every tuned method are chosen on validation splits carved from the
  training data the same way: each evaluated user's last *training* sequence, and in a
  second rolling-origin fold the sequence before it (training on what precedes), by
  NDCG@10 pooled over both folds' users and two seeds; the test sequences are never used
  for choices. The chosen model is then retrained on the full training data with each of
  the reported seeds.
* Interactions are user x POI, weighted by the number of training sequences containing
  the POI. "Small providers" for the fairness re-ranking are the long-tail POIs (outside
  the top 20% by training visits), the same definition as the long-tail metric.

Methods: popularity; item-kNN (cosine); ALS (if ``implicit`` is installed); LightFM
collaborative (identity features only); LightFM hybrid (POI theme and 1 km area cell as
item features; user features from the themes, areas and POIs of the user's training
history). Each is reported plain and "+ prior": blended with the same revisit and
popularity prior (:mod:`causeway.recommender.blend`), its weights searched on validation
per method from the same grid. On top of "LightFM hybrid + prior": diversity, fairness,
both re-rankings, and a reach filter (POIs within ``REACH_KM`` of the user's latest
training sequence), each reported for its accuracy cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causeway.recommender.baselines import als_available
from causeway.recommender.evaluation.flickr_data import (
    CityData, Fold, interaction_matrix, load_city, make_fold, split_last_sequence,
    validation_fold, validation_folds,
)
from causeway.recommender.evaluation.flickr_methods import (
    ALS_GRID, HYBRID_GRID, KNN_GRID, LIGHTFM_GRID, Builder, Tuned, als_builder, apply_blend,
    grid_points, knn_builder, lightfm_builder, lightfm_features, popularity_builder,
    prior_grid, tune,
)
from causeway.recommender.evaluation.metrics import (
    coverage_at_k, exposure_gini, long_tail_share, map_at_k, ndcg_at_k, precision_at_k,
    recall_at_k,
)
from causeway.recommender.model import top_k
from causeway.recommender.rerank import NO_RERANK, RerankConfig, haversine_km, rerank

__all__ = [  # the names tests and other harnesses use
    "reach_masks", "validation_fold", "validation_folds",
    "CityData", "Fold", "METRICS", "add_arguments", "evaluate_city", "format_table",
    "interaction_matrix", "lightfm_features", "load_city", "make_fold", "run",
    "split_last_sequence",
]

METRICS = ("precision@5", "recall@5", "ndcg@10", "map@10", "coverage@10",
           "long_tail@10", "exposure_gini@10")
#: Radius of the reach filter around the user's latest training sequence.
REACH_KM = 3.0

RERANKS: dict[str, RerankConfig] = {
    "diversity": RerankConfig(diversity=0.3, small_provider_boost=0.0, min_small_share=0.0),
    "fairness": RerankConfig(diversity=0.0, small_provider_boost=0.05, min_small_share=0.2),
    "rerank": RerankConfig(diversity=0.3, small_provider_boost=0.05, min_small_share=0.2),
}
HYBRID = "LightFM hybrid + prior"


def rank_all(scores: np.ndarray, k: int) -> list[np.ndarray]:
    """Top-``k`` item indices per row of a score matrix [n_users, n_items]."""
    return [top_k(row.astype(np.float64), k) for row in scores]


def evaluate_rankings(rankings: list[np.ndarray], relevant: list[set[int]], n_items: int,
                      tail: np.ndarray) -> dict[str, float]:
    """All reported metrics for one set of rankings."""
    return {
        "precision@5": precision_at_k(rankings, relevant, 5),
        "recall@5": recall_at_k(rankings, relevant, 5),
        "ndcg@10": ndcg_at_k(rankings, relevant, 10),
        "map@10": map_at_k(rankings, relevant, 10),
        "coverage@10": coverage_at_k(rankings, n_items, 10),
        "long_tail@10": long_tail_share(rankings, tail, 10),
        "exposure_gini@10": exposure_gini(rankings, n_items, 10),
    }


def ndcg_per_list(rankings: list[np.ndarray], relevant: list[set[int]], k: int = 10) -> np.ndarray:
    """NDCG@k of each ranking (the per-user terms of ``metrics.ndcg_at_k``); [n_users]."""
    return np.array([ndcg_at_k([r], [rel], k) for r, rel in zip(rankings, relevant)])


def paired_differences(per_user: dict[str, np.ndarray], reference: str) -> dict[str, dict[str, float]]:
    """``reference`` minus every other method, per user (NDCG@10 averaged over seeds): the
    mean difference and its standard error over users, so a gap can be told from noise."""
    ref = per_user[reference]
    out = {}
    for method, values in per_user.items():
        if method == reference:
            continue
        diff = ref - values
        out[method] = {"diff": float(diff.mean()),
                       "se": float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0}
    return out


def reach_masks(city: CityData, fold: Fold, max_km: float = REACH_KM) -> np.ndarray:
    """Bool [n_users, n_items]: POIs within ``max_km`` of the mean position of each user's
    latest training sequence (all POIs for a user without one)."""
    assert fold.recent is not None
    recent = fold.recent[fold.users]
    out = np.ones((len(fold.users), city.n_items), dtype=bool)
    for r in range(len(fold.users)):
        items = recent[r].indices
        if items.size:
            lat, lon = float(city.item_lat[items].mean()), float(city.item_lon[items].mean())
            out[r] = haversine_km(lat, lon, city.item_lat, city.item_lon) <= max_km
    return out


def evaluate_city(folder: str | Path, seeds: Sequence[int] = (0, 1, 2, 3, 4),
                  tune_seeds: Sequence[int] = (100, 101),
                  lightfm_grid: dict[str, Sequence[Any]] | None = None,
                  hybrid_grid: dict[str, Sequence[Any]] | None = None,
                  exclude_seen: bool = False, validation_rounds: int = 2) -> dict[str, Any]:
    """Run the whole protocol on one city; returns a JSON-serialisable report.

    ``validation_rounds``: rolling-origin validation folds (see
    :func:`~causeway.recommender.evaluation.flickr_data.validation_folds`).

    ``exclude_seen=True`` evaluates the discovery task instead (see :class:`Fold`).
    """
    started = time.perf_counter()
    city = load_city(folder)
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    revisit_fold = make_fold(city, train, test, n_users)
    fold = make_fold(city, train, test, n_users, exclude_seen=exclude_seen)
    vfolds = validation_folds(city, train, set(fold.users.tolist()), n_users,
                              n_folds=validation_rounds, exclude_seen=exclude_seen)

    seen = revisit_fold.inter
    revisit = float(np.mean([len(rel & set(seen[u].indices.tolist())) / len(rel)
                             for u, rel in zip(revisit_fold.users, revisit_fold.relevant)]))

    def builders(f: Fold) -> dict[str, Builder]:
        out = {"popularity": popularity_builder(f), "item-kNN": knn_builder(f)}
        if als_available():
            out["ALS"] = als_builder(f)
        out["LightFM CF"] = lightfm_builder(city, f, hybrid=False)
        out["LightFM hybrid"] = lightfm_builder(city, f, hybrid=True)
        return out

    grids: dict[str, list[dict[str, Any]]] = {
             "popularity": [{}], "item-kNN": grid_points(KNN_GRID), "ALS": grid_points(ALS_GRID),
             "LightFM CF": grid_points(lightfm_grid or LIGHTFM_GRID),
             "LightFM hybrid": grid_points(hybrid_grid or HYBRID_GRID)}
    deterministic = {"popularity", "item-kNN"}
    tuned: dict[str, Tuned] = {}
    timings: dict[str, float] = {}
    fold_builders = [builders(f) for f in vfolds]
    for name in fold_builders[0]:
        t0 = time.perf_counter()
        tuned[name] = tune(name, vfolds, city.n_items, grids[name],
                           [b[name] for b in fold_builders],
                           (0,) if name in deterministic else tune_seeds,
                           prior_grid(model=name != "popularity"))
        timings[f"tune {name}"] = round(time.perf_counter() - t0, 1)

    per_seed: dict[str, list[dict[str, float]]] = {}
    per_user: dict[str, list[np.ndarray]] = {}

    def record(method: str, rankings: list[np.ndarray]) -> None:
        per_seed.setdefault(method, []).append(
            evaluate_rankings(rankings, fold.relevant, city.n_items, fold.tail))
        per_user.setdefault(method, []).append(ndcg_per_list(rankings, fold.relevant))

    test_builders = builders(fold)
    theme_items = city.theme_matrix()
    reach = reach_masks(city, fold)
    t0 = time.perf_counter()
    for seed in seeds:
        blended: dict[str, np.ndarray] = {}
        for name, build in test_builders.items():
            choice = tuned[name]
            raw = np.asarray(build(choice.params, seed)(fold.users), dtype=np.float64)
            record(name, rank_all(fold.mask_seen(raw), 10))
            if choice.prior_params != choice.params:
                raw = np.asarray(build(choice.prior_params, seed)(fold.users), dtype=np.float64)
            blended[name] = apply_blend(fold, raw, choice.prior_blend)
        for name, scores in blended.items():
            record(f"{name} + prior", rank_all(scores, 10))
        scores = blended["LightFM hybrid"]
        for label, cfg in RERANKS.items():
            record(f"{HYBRID} + {label}", [
                rerank(row, 10, item_categories=theme_items, small_provider=fold.tail,
                       config=cfg) for row in scores])
        record(f"{HYBRID} + reach {REACH_KM:g} km", [
            rerank(row, 10, mask=m, config=NO_RERANK) for row, m in zip(scores, reach)])
    timings["test (all seeds)"] = round(time.perf_counter() - t0, 1)

    order: list[str] = [m for m in ("popularity", "item-kNN", "ALS", "LightFM CF", "LightFM hybrid")
             if m in per_seed]
    order += [f"{m} + prior" for m in order] + [m for m in per_seed if m.startswith(HYBRID + " + ")]
    summary = {
        method: {m: {"mean": float(np.mean([r[m] for r in per_seed[method]])),
                     "std": float(np.std([r[m] for r in per_seed[method]]))} for m in METRICS}
        for method in order
    }
    return {
        "city": city.name, "folder": str(folder), "n_items": city.n_items,
        "n_users": n_users, "n_test_users": int(len(fold.users)),
        "n_validation_users": [int(len(f.users)) for f in vfolds],
        "train_sequences": int(len(train)), "test_sequences": int(len(test)),
        "held_out_already_visited_share": revisit, "exclude_seen": exclude_seen,
        "seeds": list(seeds), "tuned": {k: v.to_dict() for k, v in tuned.items()},
        "rerank_configs": {k: vars(v) for k, v in RERANKS.items()}, "reach_km": REACH_KM,
        "results": summary, "timings_s": timings,
        "paired_ndcg@10": paired_differences(
            {m: np.mean(per_user[m], axis=0) for m in order}, HYBRID),
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``causeway eval recommender``."""
    parser.add_argument("--flickr", required=True, type=Path, metavar="DIR",
                        help="one city folder of the Flickr POI data (or its lim/ folder)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--protocol", choices=("warm", "item-cold", "user-cold", "fairness"),
                        default="warm",
                        help="warm: the last-sequence protocol above (default); item-cold: 20%% "
                             "of POIs held out of training in 5 seeded folds, ranked from their "
                             "features; user-cold: 20%% of users (5 folds) known only by the themes of their first "
                             "sequence (causeway.recommender.evaluation.coldstart); fairness: "
                             "amortized long-tail exposure against the per-list quota on the "
                             "warm lists (causeway.recommender.evaluation.fairness; --set "
                             "restricts the hybrid grid)")
    parser.add_argument("--split-seed", type=int, default=0,
                        help="seed of the cold-start protocols' fold split (default 0)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--exclude-seen", action="store_true",
                        help="discovery task: drop POIs the user visited in training from "
                             "rankings and truth (default: keep them; tourists revisit)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny tuning grids (smoke tests only; not for reported figures)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=V1[,V2...]",
                        dest="grid_overrides",
                        help="fix or replace one axis of both LightFM tuning grids, e.g. "
                             "--set no_components=64 --set epochs=10 (repeatable); keys: "
                             + ", ".join(sorted(GRID_KEYS)))


GRID_KEYS = frozenset(HYBRID_GRID) | frozenset(LIGHTFM_GRID) | {
    "loss", "item_alpha", "user_alpha", "max_sampled", "recent_features"}


def parse_overrides(items: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """``["epochs=10,20", "loss=bpr"]`` -> ``{"epochs": (10, 20), "loss": ("bpr",)}``."""
    out: dict[str, tuple[Any, ...]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not values.strip():
            raise ValueError(f"--set {item!r}: expected KEY=V1[,V2...].")
        if key not in GRID_KEYS:
            raise ValueError(f"--set {item!r}: unknown key {key!r} (one of "
                             f"{', '.join(sorted(GRID_KEYS))}).")
        out[key] = tuple(_parse_value(v.strip()) for v in values.split(","))
    return out


def _parse_value(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def format_table(report: dict[str, Any]) -> str:
    """Markdown table: mean ± std over seeds per method and metric."""
    head = "| method | " + " | ".join(METRICS) + " |"
    lines = [f"{report['city']}: {report['n_test_users']} test users, {report['n_items']} POIs, "
             f"{len(report['seeds'])} seeds, "
             f"{'seen POIs excluded (discovery task)' if report['exclude_seen'] else 'seen POIs kept'}"
             f" (held-out POIs already visited in training: "
             f"{report['held_out_already_visited_share']:.0%})", "",
             head, "|" + "---|" * (len(METRICS) + 1)]
    for method, res in report["results"].items():
        cells = [f"{res[m]['mean']:.3f} ± {res[m]['std']:.3f}" for m in METRICS]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines.append("")
    paired = report.get("paired_ndcg@10", {})
    if paired:
        lines.append(f"{HYBRID} minus each method, NDCG@10 per test user (mean over seeds), "
                     "mean ± standard error: " + "; ".join(
                         f"{m} {d['diff']:+.3f} ± {d['se']:.3f}" for m, d in paired.items()
                         if not m.startswith(HYBRID)))
        lines.append("")
    for method, choice in report["tuned"].items():
        prior = choice["prior"]
        blend = ", ".join(f"{k} {v:g}" for k, v in prior["blend"].items())
        lines.append(f"- {method}: {json.dumps(choice['params'])} (validation NDCG@10 "
                     f"{choice['validation_ndcg@10']:.3f}); + prior: "
                     f"{json.dumps(prior['params'])}, blend {blend} "
                     f"(validation {prior['validation_ndcg@10']:.3f})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Entry point: evaluate one city and print the table (or JSON)."""
    protocol = getattr(args, "protocol", "warm")
    if protocol == "fairness":
        return run_fairness(args)
    if protocol != "warm":
        return run_cold(args, protocol)
    try:
        overrides = parse_overrides(args.grid_overrides)
        quick: dict[str, Sequence[Any]] = (
            {"no_components": (8,), "epochs": (5,), "learning_rate": (0.05,)} if args.quick
            else {})
        hybrid_only = {"theme_weight", "area_weight", "recent_features"}
        lightfm_grid = {**LIGHTFM_GRID, **quick,
                        **{k: v for k, v in overrides.items() if k not in hybrid_only}}
        hybrid_grid = {**HYBRID_GRID, **quick, **overrides}
        if args.quick:
            hybrid_grid.update(theme_weight=(0.5,), area_weight=(0.5,))
        report = evaluate_city(
            args.flickr, seeds=tuple(range(args.seeds)), exclude_seen=args.exclude_seen,
            lightfm_grid=lightfm_grid, hybrid_grid=hybrid_grid,
            tune_seeds=(100,) if args.quick else (100, 101))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def run_fairness(args: argparse.Namespace) -> int:
    """The fair-exposure curves (:mod:`causeway.recommender.evaluation.fairness`)."""
    from causeway.recommender.evaluation import fairness

    try:
        overrides = parse_overrides(args.grid_overrides)
        grid: dict[str, Sequence[Any]] = {**HYBRID_GRID, **overrides}
        if args.quick:
            grid.update(no_components=(8,), epochs=(5,), learning_rate=(0.05,),
                        theme_weight=(0.5,), area_weight=(0.5,), user_history=(False,))
        report = fairness.evaluate_fairness(
            args.flickr, seeds=tuple(range(args.seeds)), hybrid_grid=grid,
            tune_seeds=(100,) if args.quick else (100, 101))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else fairness.format_fairness(report))
    return 0


def run_cold(args: argparse.Namespace, protocol: str) -> int:
    """The cold-start protocols (:mod:`causeway.recommender.evaluation.coldstart`)."""
    from causeway.recommender.evaluation import coldstart

    try:
        if protocol == "item-cold":
            report = coldstart.evaluate_item_cold(
                args.flickr, split_seed=args.split_seed,
                grid=coldstart.QUICK_ITEM_COLD_GRID if args.quick else None)
            text = coldstart.format_item_cold(report)
        else:
            report = coldstart.evaluate_user_cold(
                args.flickr, split_seed=args.split_seed,
                grid=coldstart.QUICK_USER_COLD_GRID if args.quick else None)
            text = coldstart.format_user_cold(report)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    sys.exit(run(p.parse_args()))
