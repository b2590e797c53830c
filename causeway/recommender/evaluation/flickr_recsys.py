"""Evaluate the recommender on real tourist visits (Flickr user-POI data, ``lim/`` format).

``causeway eval recommender --flickr DIR [--json] [--seeds 5]`` where DIR is one city
folder (or its ``lim/`` subfolder) with ``POI-<C>.csv`` and ``userVisits-<C>-allPOI.csv``.

Protocol (issue 3)
------------------
* A *sequence* is one ``seqID`` (a user's consecutive photos with gaps under 8 h); its
  time is its first photo. For every user with at least two sequences, the last sequence
  in time is the test sequence; everything else (including every sequence of users with
  a single sequence) is training data. The relevant items are the POIs of the test
  sequence; every method ranks all POIs.
* Items the user already visited in training are **not** excluded: tourists revisit
  (about 45% of held-out POIs were already in the user's training history in every city),
  so excluding them would make most of the truth unreachable.
* Hyperparameters of every tuned method are chosen on a validation split carved from the
  training data the same way (each evaluated user's last *training* sequence, for users
  with at least two), by mean NDCG@10 over two seeds; the test sequences are never used
  for choices. The chosen model is then retrained on the full training data with each of
  the reported seeds.
* Interactions are user x POI, weighted by the number of training sequences containing
  the POI. "Small providers" for the fairness re-ranking are the long-tail POIs (outside
  the top 20% by training visits), the same definition as the long-tail metric.

Methods: popularity; item-kNN (cosine); ALS (if ``implicit`` is installed); LightFM
collaborative (identity features only); LightFM hybrid (POI theme as item feature; user
features from the themes and POIs of the user's training history); the hybrid with
diversity, with fairness, and with both re-rankings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from causeway.recommender.baselines import (
    ALSRecommender, ItemKNNRecommender, PopularityRecommender, als_available,
)
from causeway.recommender.evaluation.metrics import (
    coverage_at_k, exposure_gini, long_tail_mask, long_tail_share, map_at_k, ndcg_at_k,
    precision_at_k, recall_at_k,
)
from causeway.recommender.model import HybridRecommender, top_k
from causeway.recommender.rerank import RerankConfig, rerank

METRICS = ("precision@5", "recall@5", "ndcg@10", "map@10", "coverage@10",
           "long_tail@10", "exposure_gini@10")


# ---------------------------------------------------------------------- data
@dataclass
class CityData:
    """One city's POIs and sequences (user and POI ids are positions, not raw ids)."""

    name: str
    n_items: int
    themes: list[str]
    item_theme: np.ndarray          # [n_items] theme index
    sequences: pd.DataFrame         # user, seq, time, items (tuple of item positions)


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=";", skipinitialspace=True)
    frame.columns = [str(c).strip().strip('"') for c in frame.columns]
    return frame


def load_city(folder: str | Path) -> CityData:
    """Read a ``lim/`` folder (or a city folder containing one)."""
    root = Path(folder)
    if (root / "lim").is_dir():
        root = root / "lim"
    pois = sorted(root.glob("POI-*.csv"))
    visits = sorted(root.glob("userVisits-*-allPOI.csv"))
    if not pois or not visits:
        raise FileNotFoundError(f"{root} has no POI-*.csv / userVisits-*-allPOI.csv (lim format).")
    poi = _read_csv(pois[0])
    vis = _read_csv(visits[0])
    poi_ids = sorted(int(p) for p in poi["poiID"])
    pos = {p: j for j, p in enumerate(poi_ids)}
    theme_of = {int(p): str(t).strip() for p, t in zip(poi["poiID"], poi["theme"])}
    themes = sorted(set(theme_of.values()))
    item_theme = np.array([themes.index(theme_of[p]) for p in poi_ids], dtype=np.int64)
    vis = vis[vis["poiID"].astype(int).isin(pos)]
    users = {u: j for j, u in enumerate(sorted(vis["userID"].astype(str).unique()))}
    frame = pd.DataFrame({
        "user": vis["userID"].astype(str).map(users).to_numpy(),
        "seq": vis["seqID"].astype(int).to_numpy(),
        "time": vis["dateTaken"].astype(np.int64).to_numpy(),
        "item": vis["poiID"].astype(int).map(pos).to_numpy(),
    })
    seqs = (frame.groupby(["user", "seq"], sort=True)
            .agg(time=("time", "min"), items=("item", lambda s: tuple(sorted(set(s)))))
            .reset_index())
    name = pois[0].stem.split("-", 1)[1]
    return CityData(name=name, n_items=len(poi_ids), themes=themes, item_theme=item_theme,
                    sequences=seqs)


def split_last_sequence(seqs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): test = last sequence in time of each user with >= 2 sequences."""
    ordered = seqs.sort_values(["user", "time", "seq"], kind="stable")
    counts = ordered.groupby("user")["seq"].transform("size")
    last = ordered.groupby("user").cumcount(ascending=False) == 0
    test_mask = last & (counts >= 2)
    return ordered[~test_mask], ordered[test_mask]


def interaction_matrix(train: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """[n_users, n_items] number of training sequences containing each POI."""
    rows = np.repeat(train["user"].to_numpy(), train["items"].map(len).to_numpy())
    cols = np.fromiter(itertools.chain.from_iterable(train["items"]), dtype=np.int64)
    m = sp.csr_matrix((np.ones(cols.size, np.float32), (rows, cols)), shape=(n_users, n_items))
    m.sum_duplicates()
    return m


# ------------------------------------------------------------------ methods
Scorer = Callable[[np.ndarray], np.ndarray]  # user indices [n] -> scores [n, n_items]


def _theme_matrix(city: CityData) -> sp.csr_matrix:
    n = city.n_items
    return sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), city.item_theme)),
                         shape=(n, len(city.themes)))


def lightfm_features(city: CityData, inter: sp.csr_matrix, *, hybrid: bool,
                     user_history: bool, theme_weight: float = 1.0,
                     ) -> tuple[sp.csr_matrix | None, sp.csr_matrix | None]:
    """(user_features, item_features) for the LightFM variants; None = identity.

    Item features: identity + ``theme_weight`` * theme (hybrid). User features: identity, plus (with
    ``user_history``) the themes and POIs of the user's training visits, each block
    row-normalised, the way a stated-interest profile enters the product model.
    """
    n_users, n_items = inter.shape
    item_f = None
    if hybrid:
        item_f = sp.hstack([sp.identity(n_items, format="csr", dtype=np.float32),
                            theme_weight * _theme_matrix(city)], format="csr")
        item_f = _row_normalise(item_f)
    user_f = None
    if user_history:
        binary = (inter > 0).astype(np.float32)
        blocks = [sp.identity(n_users, format="csr", dtype=np.float32),
                  _row_normalise(binary)]
        if hybrid:
            blocks.append(_row_normalise(binary @ _theme_matrix(city)))
        user_f = _row_normalise(sp.hstack(blocks, format="csr"))
    return user_f, item_f


def _row_normalise(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ m, dtype=np.float32)


def fit_lightfm(city: CityData, inter: sp.csr_matrix, params: dict[str, Any], seed: int,
                *, hybrid: bool) -> Scorer:
    """Train a LightFM variant and return its scorer."""
    p = dict(params)
    user_history = bool(p.pop("user_history", False))
    weighting = p.pop("weighting", "binary")
    theme_weight = float(p.pop("theme_weight", 1.0))
    uf, itf = lightfm_features(city, inter, hybrid=hybrid, user_history=user_history,
                               theme_weight=theme_weight)
    binary = (inter > 0).astype(np.float32).tocoo()
    weight = None
    if weighting == "log":
        w = inter.tocoo()
        weight = sp.coo_matrix((1.0 + np.log(w.data), (w.row, w.col)), shape=w.shape)
    model = HybridRecommender(random_state=seed, **p).fit(
        binary, user_features=uf, item_features=itf, sample_weight=weight)
    return lambda users: model.score(model.known_user_features(users))


LIGHTFM_GRID: dict[str, Sequence[Any]] = {
    "no_components": (16, 32),
    "epochs": (20, 60),
    "learning_rate": (0.05, 0.1),
    "user_history": (False, True),
    "weighting": ("binary", "log"),
}
HYBRID_GRID: dict[str, Sequence[Any]] = {**LIGHTFM_GRID, "theme_weight": (0.25, 0.5, 1.0)}
KNN_GRID: dict[str, Sequence[Any]] = {"neighbours": (5, 10, None), "shrinkage": (0.0, 5.0),
                                      "include_self": (True, False)}
ALS_GRID: dict[str, Sequence[Any]] = {"factors": (8, 16, 32), "regularization": (0.01, 0.1),
                                      "alpha": (1.0, 10.0)}


def _grid(grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*grid.values())]


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


@dataclass
class Fold:
    """Training interactions and held-out truth for one split.

    With ``exclude_seen`` the POIs a user visited in training are removed from both their
    ranking and their relevant set (the discovery task), and users left with no relevant
    POI are dropped.
    """

    inter: sp.csr_matrix
    users: np.ndarray
    relevant: list[set[int]]
    tail: np.ndarray
    exclude_seen: bool = False

    def scores(self, scorer: Scorer) -> np.ndarray:
        """Scores [n_test_users, n_items] with seen POIs at -inf under ``exclude_seen``."""
        out = np.asarray(scorer(self.users), dtype=np.float64)
        if self.exclude_seen:
            seen = self.inter[self.users]
            out[seen.nonzero()] = -np.inf
        return out


def make_fold(city: CityData, train: pd.DataFrame, test: pd.DataFrame, n_users: int,
              exclude_seen: bool = False) -> Fold:
    inter = interaction_matrix(train, n_users, city.n_items)
    counts = np.asarray(inter.sum(axis=0)).ravel()
    users = test["user"].to_numpy()
    relevant = [set(items) for items in test["items"]]
    if exclude_seen:
        relevant = [rel - set(inter[u].indices.tolist()) for u, rel in zip(users, relevant)]
        keep = np.array([bool(r) for r in relevant], dtype=bool)
        users = users[keep]
        relevant = [r for r in relevant if r]
    return Fold(inter=inter, users=users, relevant=relevant, tail=long_tail_mask(counts),
                exclude_seen=exclude_seen)


def _ndcg(fold: Fold, scorer: Scorer, k: int = 10) -> float:
    return ndcg_at_k(rank_all(fold.scores(scorer), k), fold.relevant, k)


def tune(name: str, fold: Fold, grid: list[dict[str, Any]],
         build: Callable[[dict[str, Any], int], Scorer], seeds: Sequence[int]) -> dict[str, Any]:
    """Pick the grid point with the best mean validation NDCG@10 over ``seeds``."""
    best: tuple[float, dict[str, Any]] = (-1.0, grid[0])
    for params in grid:
        score = float(np.mean([_ndcg(fold, build(params, s)) for s in seeds]))
        if score > best[0]:
            best = (score, params)
    print(f"  tuned {name}: validation NDCG@10 {best[0]:.4f} with {best[1]}", file=sys.stderr)
    return {"params": best[1], "validation_ndcg@10": best[0]}


RERANKS: dict[str, RerankConfig] = {
    "diversity": RerankConfig(diversity=0.3, small_provider_boost=0.0, min_small_share=0.0),
    "fairness": RerankConfig(diversity=0.0, small_provider_boost=0.05, min_small_share=0.2),
    "rerank": RerankConfig(diversity=0.3, small_provider_boost=0.05, min_small_share=0.2),
}


def evaluate_city(folder: str | Path, seeds: Sequence[int] = (0, 1, 2, 3, 4),
                  tune_seeds: Sequence[int] = (100, 101),
                  lightfm_grid: dict[str, Sequence[Any]] | None = None,
                  hybrid_grid: dict[str, Sequence[Any]] | None = None,
                  exclude_seen: bool = False) -> dict[str, Any]:
    """Run the whole protocol on one city; returns a JSON-serialisable report.

    ``exclude_seen=True`` evaluates the discovery task instead (see :class:`Fold`).
    """
    started = time.perf_counter()
    city = load_city(folder)
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    revisit_fold = make_fold(city, train, test, n_users)
    fold = make_fold(city, train, test, n_users, exclude_seen=exclude_seen)
    # Validation split inside the training data, for the evaluated users only.
    eval_users = set(fold.users.tolist())
    v_train, v_test = split_last_sequence(train)
    v_test = v_test[v_test["user"].isin(eval_users)]
    v_train = pd.concat([v_train, train[~train.index.isin(v_test.index) &
                                        ~train.index.isin(v_train.index)]])
    vfold = make_fold(city, v_train, v_test, n_users, exclude_seen=exclude_seen)

    seen = revisit_fold.inter
    revisit = float(np.mean([len(rel & set(seen[u].indices.tolist())) / len(rel)
                             for u, rel in zip(revisit_fold.users, revisit_fold.relevant)]))
    theme_items = _theme_matrix(city)

    def knn(params: dict[str, Any], _seed: int, f: Fold = vfold) -> Scorer:
        return ItemKNNRecommender(**params).fit(f.inter).score

    def als(params: dict[str, Any], seed: int, f: Fold = vfold) -> Scorer:
        return ALSRecommender(random_state=seed, iterations=15, **params).fit(f.inter).score

    grid = _grid(lightfm_grid or LIGHTFM_GRID)
    tuned: dict[str, Any] = {
        "item-kNN": tune("item-kNN", vfold, _grid(KNN_GRID), knn, (0,)),
        "LightFM CF": tune("LightFM CF", vfold, grid,
                           lambda p, s: fit_lightfm(city, vfold.inter, p, s, hybrid=False),
                           tune_seeds),
        "LightFM hybrid": tune("LightFM hybrid", vfold, _grid(hybrid_grid or HYBRID_GRID),
                               lambda p, s: fit_lightfm(city, vfold.inter, p, s, hybrid=True),
                               tune_seeds),
    }
    if als_available():
        tuned["ALS"] = tune("ALS", vfold, _grid(ALS_GRID), als, tune_seeds)

    per_seed: dict[str, list[dict[str, float]]] = {}

    def record(method: str, rankings: list[np.ndarray]) -> None:
        per_seed.setdefault(method, []).append(
            evaluate_rankings(rankings, fold.relevant, city.n_items, fold.tail))

    for seed in seeds:
        record("popularity", rank_all(fold.scores(PopularityRecommender().fit(fold.inter).score), 10))
        record("item-kNN", rank_all(fold.scores(knn(tuned["item-kNN"]["params"], seed, fold)), 10))
        if "ALS" in tuned:
            record("ALS", rank_all(fold.scores(als(tuned["ALS"]["params"], seed, fold)), 10))
        cf = fit_lightfm(city, fold.inter, tuned["LightFM CF"]["params"], seed, hybrid=False)
        record("LightFM CF", rank_all(fold.scores(cf), 10))
        hy = fit_lightfm(city, fold.inter, tuned["LightFM hybrid"]["params"], seed, hybrid=True)
        scores = fold.scores(hy)
        record("LightFM hybrid", rank_all(scores, 10))
        for label, cfg in RERANKS.items():
            ranked = [rerank(row, 10, item_categories=theme_items, small_provider=fold.tail,
                             config=cfg) for row in scores]
            record(f"hybrid + {label}", ranked)

    summary = {
        method: {m: {"mean": float(np.mean([r[m] for r in runs])),
                     "std": float(np.std([r[m] for r in runs]))} for m in METRICS}
        for method, runs in per_seed.items()
    }
    return {
        "city": city.name, "folder": str(folder), "n_items": city.n_items,
        "n_users": n_users, "n_test_users": int(len(fold.users)),
        "n_validation_users": int(len(vfold.users)),
        "train_sequences": int(len(train)), "test_sequences": int(len(test)),
        "held_out_already_visited_share": revisit, "exclude_seen": exclude_seen,
        "seeds": list(seeds), "tuned": tuned, "rerank_configs": {
            k: vars(v) for k, v in RERANKS.items()},
        "results": summary, "seconds": round(time.perf_counter() - started, 1),
    }


# ---------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``causeway eval recommender``."""
    parser.add_argument("--flickr", required=True, type=Path, metavar="DIR",
                        help="one city folder of the Flickr POI data (or its lim/ folder)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--exclude-seen", action="store_true",
                        help="discovery task: drop POIs the user visited in training from "
                             "rankings and truth (default: keep them; tourists revisit)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny tuning grids (smoke tests only; not for reported figures)")


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
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Entry point: evaluate one city and print the table (or JSON)."""
    try:
        quick = {"no_components": (8,), "epochs": (5,), "learning_rate": (0.05,)}
        report = evaluate_city(
            args.flickr, seeds=tuple(range(args.seeds)), exclude_seen=args.exclude_seen,
            lightfm_grid=quick if args.quick else None,
            hybrid_grid={**quick, "theme_weight": (0.5,)} if args.quick else None,
            tune_seeds=(100,) if args.quick else (100, 101))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    sys.exit(run(p.parse_args()))
