"""Cold-start protocols: attractions nobody has visited yet, visitors with no history.

``causeway eval recommender --flickr DIR --protocol item-cold`` (issue 17)
---------------------------------------------------------------------------
The question a tourism board asks of a new attraction: will the recommender put it in
front of the visitors who would go? The POIs are split, seeded, into 5 folds of 20%. In
fold ``f`` the POIs of that fold are **cold**: every visit to them is removed from the
training data (other users' and the test users' own), so no method knows anything about
them but their features (theme and location). The split of sequences is the warm
protocol's: each user's last sequence in time is the test sequence. The test users of a
fold are those whose test sequence contains at least one cold POI; each method ranks the
fold's cold POIs for them (the "new this season" list), and the relevant items are the
cold POIs of the test sequence. Every POI is cold in exactly one fold, so the 5 folds
together evaluate every visited POI once.

Methods, all scoring only the cold POIs:

* ``random``: the expected score of a random order (the mean over 50 seeded orders);
* ``theme popularity``: the mean training visits of the warm POIs sharing the POI's theme;
* ``nearest to history``: minus the distance from the POI to the nearest POI of the
  user's training history (users whose history was only cold POIs tie);
* ``theme of history``: the share of the user's training history in the POI's theme
  (content-based; not one of the issue's baselines, reported because it is the obvious
  one);
* ``LightFM hybrid``: trained on the warm POIs with item features (identity of warm POIs,
  theme, 1 km cell and the ``NEAR_K`` nearest warm POIs, each block weighted and the row
  normalised) and user features (identity plus the POIs, themes and cells of the user's
  training history). A cold POI is scored from its feature row without the identity.
  Hyperparameters are chosen on a nested validation split of the fold's training data
  only: 20% of the *warm* POIs made cold the same way, with each user's last training
  sequence as the validation sequence.

Ties are broken by a seeded shuffle of the cold POIs, the same for every method, so a
method that ties (theme popularity within a theme) is not flattered by POI order. The
report gives NDCG@10 (over at most ``~n/5`` candidates, so the whole list) and hit@1,
mean over the 5 folds, and the hybrid's paired per-user differences with standard errors
over all (fold, user) pairs.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from causeway.recommender.evaluation.flickr_data import (
    CityData, interaction_matrix, load_city, split_last_sequence,
)
from causeway.recommender.evaluation.flickr_methods import ndcg_per_user
from causeway.recommender.features import geo_cells
from causeway.recommender.model import HybridRecommender
from causeway.recommender.rerank import haversine_km

#: Nearest warm POIs that give each POI a "near" item feature.
NEAR_K = 3
#: Folds of the POI (and user) split.
N_FOLDS = 5
#: Random orders averaged for the random baseline.
RANDOM_ORDERS = 50

ITEM_COLD_GRID: dict[str, Sequence[Any]] = {
    "no_components": (32,),
    "epochs": (10, 30),
    "learning_rate": (0.05,),
    "item_identity": (True, False),
    "theme_weight": (0.5, 1.0),
    "area_weight": (0.0, 0.5),
    "near_weight": (0.0, 1.0),
}
QUICK_ITEM_COLD_GRID: dict[str, Sequence[Any]] = {
    "no_components": (8,), "epochs": (5,), "learning_rate": (0.05,), "item_identity": (True,),
    "theme_weight": (1.0,), "area_weight": (0.5,), "near_weight": (1.0,),
}


def grid_points(grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*grid.values())]


def _row_normalise(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ m, dtype=np.float32)


def one_hot(labels: Sequence[Any]) -> sp.csr_matrix:
    """[n, n_distinct] one-hot of ``labels`` (distinct values in sorted order)."""
    _, idx = np.unique(np.asarray(labels), return_inverse=True)
    n = len(idx)
    return sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), idx)),
                         shape=(n, int(idx.max()) + 1 if n else 0))


# ------------------------------------------------------------------ the task
@dataclass
class ItemTask:
    """Everything a method may see in one cold-item fold, plus the held-out truth.

    ``inter`` [n_users, n_items] has all-zero columns for the cold POIs; ``cold`` lists them
    in the (shuffled) order methods score them in; ``relevant[r]`` holds positions in
    ``cold`` for test user ``users[r]``.
    """

    inter: sp.csr_matrix
    cold: np.ndarray
    users: np.ndarray
    relevant: list[set[int]]
    item_themes: sp.csr_matrix      # [n_items, n_themes] multi-hot
    item_lat: np.ndarray
    item_lon: np.ndarray

    @property
    def warm(self) -> np.ndarray:
        mask = np.ones(self.inter.shape[1], dtype=bool)
        mask[self.cold] = False
        return np.flatnonzero(mask)

    def relevance(self) -> np.ndarray:
        rel = np.zeros((len(self.users), len(self.cold)))
        for r, items in enumerate(self.relevant):
            rel[r, list(items)] = 1.0
        return rel


def strip_items(seqs: pd.DataFrame, items: np.ndarray) -> pd.DataFrame:
    """Sequences with ``items`` removed; sequences left empty are dropped."""
    drop = {int(i) for i in items}
    kept = seqs["items"].map(lambda t: tuple(i for i in t if i not in drop))
    out = seqs.assign(items=kept)
    return out[out["items"].map(len) > 0]


def flickr_item_task(city: CityData, train: pd.DataFrame, test: pd.DataFrame,
                     cold: np.ndarray, n_users: int, rng: np.random.Generator) -> ItemTask:
    """The task that trains on ``train`` without ``cold`` and evaluates the users of
    ``test`` whose sequence holds a cold POI."""
    cold = np.asarray(cold, dtype=np.int64).copy()
    rng.shuffle(cold)  # the tie-break order, shared by every method
    inter = interaction_matrix(strip_items(train, cold), n_users, city.n_items)
    pos = {int(i): j for j, i in enumerate(cold)}
    users, relevant = [], []
    for u, items in zip(test["user"], test["items"]):
        rel = {pos[i] for i in items if i in pos}
        if rel:
            users.append(int(u))
            relevant.append(rel)
    return ItemTask(inter=inter, cold=cold, users=np.asarray(users, dtype=np.int64),
                    relevant=relevant, item_themes=city.theme_matrix(),
                    item_lat=city.item_lat, item_lon=city.item_lon)


def item_folds(n_items: int, n_folds: int = N_FOLDS, seed: int = 0) -> list[np.ndarray]:
    """A seeded partition of the items into ``n_folds`` folds of (nearly) equal size."""
    order = np.random.default_rng(seed).permutation(n_items)
    return [np.sort(part) for part in np.array_split(order, n_folds)]


# ------------------------------------------------------------------ methods
def random_scores(task: ItemTask, seed: int) -> list[np.ndarray]:
    """``RANDOM_ORDERS`` seeded random score matrices [n_users, n_cold]."""
    rng = np.random.default_rng(seed)
    return [rng.random((len(task.users), len(task.cold))) for _ in range(RANDOM_ORDERS)]


def theme_popularity(task: ItemTask) -> np.ndarray:
    """Mean training visits per warm item of each of the item's themes (the best theme)."""
    pop = np.asarray(task.inter.sum(axis=0), dtype=np.float64).ravel()
    themes = task.item_themes.tocsc()
    warm = np.zeros(task.inter.shape[1], dtype=bool)
    warm[task.warm] = True
    t_warm = themes[warm]
    counts = np.asarray(t_warm.sum(axis=0)).ravel()
    totals = np.asarray(t_warm.T @ pop[warm]).ravel()
    per_theme = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
    cold_themes = task.item_themes[task.cold].toarray() > 0
    item_score = np.where(cold_themes, per_theme[None, :], -np.inf).max(axis=1)
    item_score[~np.isfinite(item_score)] = 0.0
    return np.tile(item_score, (len(task.users), 1))


def nearest_to_history(task: ItemTask) -> np.ndarray:
    """Minus the km from each cold item to the nearest item of the user's history."""
    hist = task.inter[task.users]
    out = np.zeros((len(task.users), len(task.cold)))
    lat_c, lon_c = task.item_lat[task.cold], task.item_lon[task.cold]
    dist = np.stack([haversine_km(float(a), float(b), lat_c, lon_c)
                     for a, b in zip(task.item_lat, task.item_lon)])  # [n_items, n_cold]
    for r in range(len(task.users)):
        items = hist[r].indices
        if items.size:
            out[r] = -dist[items].min(axis=0)
    return out


def theme_of_history(task: ItemTask) -> np.ndarray:
    """Share of the user's training history in each cold item's themes."""
    hist = _row_normalise((task.inter[task.users] > 0).astype(np.float32))
    share = np.asarray((hist @ task.item_themes).todense())          # [n_users, n_themes]
    return share @ task.item_themes[task.cold].T.toarray()


def near_matrix(lat: np.ndarray, lon: np.ndarray, warm: np.ndarray, k: int = NEAR_K
                ) -> sp.csr_matrix:
    """[n_items, n_items]: each item's ``k`` nearest warm items (never itself), weight 1."""
    n = len(lat)
    rows, cols = [], []
    for i in range(n):
        d = haversine_km(float(lat[i]), float(lon[i]), lat[warm], lon[warm]).astype(np.float64)
        d[warm == i] = np.inf
        take = warm[np.argsort(d, kind="stable")[:k]]
        rows.extend([i] * len(take))
        cols.extend(take.tolist())
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))


#: Sizes (km) of the square cells that give a POI its location features: nested scales,
#: so a new POI in a cell no warm POI shares still shares the coarser cells around it.
AREA_SCALES_KM: tuple[float, ...] = (1.0, 2.0, 4.0)


def area_features(lat: np.ndarray, lon: np.ndarray,
                  scales: Sequence[float] = AREA_SCALES_KM) -> sp.csr_matrix:
    """[n_items, n_cells]: one cell per scale, each block row-normalised then averaged."""
    blocks = [one_hot(geo_cells(lat, lon, km)) for km in scales]
    return _row_normalise(sp.hstack(blocks, format="csr"))


def item_features(task: ItemTask, params: dict[str, Any], areas: sp.csr_matrix,
                  near: sp.csr_matrix) -> sp.csr_matrix:
    """[n_items, F]: identity of warm items (optional), theme, area cell and near blocks."""
    n = task.inter.shape[1]
    ident = sp.identity(n, format="csr", dtype=np.float32)
    if params["item_identity"]:
        keep = np.zeros(n, dtype=np.float32)
        keep[task.warm] = 1.0
        ident = sp.csr_matrix(sp.diags(keep) @ ident)
    else:
        ident = sp.csr_matrix((n, n), dtype=np.float32)
    blocks = [ident, params["theme_weight"] * _row_normalise(task.item_themes)]
    blocks.append(params["area_weight"] * areas)
    blocks.append(params["near_weight"] * _row_normalise(near))
    return _row_normalise(sp.hstack(blocks, format="csr"))


def user_features(task: ItemTask, areas: sp.csr_matrix, area_weight: float) -> sp.csr_matrix:
    """[n_users, F]: identity, history POIs, history themes (and cells)."""
    binary = (task.inter > 0).astype(np.float32)
    n_users = binary.shape[0]
    blocks = [sp.identity(n_users, format="csr", dtype=np.float32), _row_normalise(binary),
              _row_normalise(binary @ task.item_themes)]
    if area_weight > 0:
        blocks.append(_row_normalise(binary @ areas))
    return _row_normalise(sp.hstack(blocks, format="csr"))


def hybrid_scores(task: ItemTask, params: dict[str, Any], seed: int,
                  cache: dict[str, sp.csr_matrix] | None = None) -> np.ndarray:
    """Train the hybrid on the warm items, score the cold ones for the task's users."""
    cache = cache if cache is not None else {}
    if "areas" not in cache:
        cache["areas"] = area_features(task.item_lat, task.item_lon)
        cache["near"] = near_matrix(task.item_lat, task.item_lon, task.warm)
    areas, near = cache["areas"], cache["near"]
    itf = item_features(task, params, areas, near)
    uf = user_features(task, areas, params["area_weight"])
    warm = task.warm
    lightfm = {k: params[k] for k in ("no_components", "epochs", "learning_rate")}
    model = HybridRecommender(random_state=seed, **lightfm).fit(
        (task.inter[:, warm] > 0).astype(np.float32), user_features=uf,
        item_features=itf[warm])
    model.set_items(itf[task.cold])
    return np.asarray(model.score(model.known_user_features(task.users)), dtype=np.float64)


def zscore_rows(scores: np.ndarray) -> np.ndarray:
    """Each row standardised (constant rows -> 0)."""
    s = np.asarray(scores, dtype=np.float64)
    sd = s.std(axis=1, keepdims=True)
    return (s - s.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


#: Weights of the geographic prior (``nearest to history``) searched on validation.
GEO_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def with_geo(scores: np.ndarray, geo: np.ndarray, weight: float) -> np.ndarray:
    """``z_u(scores) + weight * z_u(geo)``: a method blended with the geographic prior."""
    return zscore_rows(scores) + weight * zscore_rows(geo)


def tune_hybrid(tasks: Sequence[ItemTask], grid: list[dict[str, Any]],
                seeds: Sequence[int]) -> dict[str, Any]:
    """Validation choices over the tasks' pooled users (mean NDCG@10): the plain hybrid's
    grid point; the (grid point, geo weight) of "hybrid + geo"; and the geo weight of the
    baseline "theme popularity + geo", searched the same way."""
    caches: list[dict[str, sp.csr_matrix]] = [{} for _ in tasks]
    tasks = [t for t in tasks if len(t.users)]
    rels = [t.relevance() for t in tasks]
    geos = [nearest_to_history(t) for t in tasks]
    pops = [theme_popularity(t) for t in tasks]

    def pooled(mats: list[np.ndarray]) -> float:
        values = np.concatenate([ndcg_per_user(m, rel) for m, rel in zip(mats, rels)])
        return float(np.nanmean(values)) if values.size else -np.inf

    plain: list[float] = []
    blended = np.full((len(grid), len(GEO_WEIGHTS)), -np.inf)
    for g, params in enumerate(grid):
        raws = [[hybrid_scores(t, params, s, c) for s in seeds] for t, c in zip(tasks, caches)]
        plain.append(float(np.mean([pooled([r[k] for r in raws]) for k in range(len(seeds))])))
        for w, weight in enumerate(GEO_WEIGHTS):
            blended[g, w] = np.mean([pooled([with_geo(r[k], geo, weight)
                                             for r, geo in zip(raws, geos)])
                                     for k in range(len(seeds))])
    g_plain = int(np.argmax(plain))
    g_geo, w_geo = np.unravel_index(int(np.argmax(blended)), blended.shape)
    pop_geo = [pooled([with_geo(p, geo, weight) for p, geo in zip(pops, geos)])
               for weight in GEO_WEIGHTS]
    w_pop = int(np.argmax(pop_geo))
    return {"params": grid[g_plain], "validation_ndcg@10": plain[g_plain],
            "geo_params": grid[g_geo], "geo_weight": GEO_WEIGHTS[w_geo],
            "geo_validation_ndcg@10": float(blended[g_geo, w_geo]),
            "pop_geo_weight": GEO_WEIGHTS[w_pop], "pop_geo_validation_ndcg@10": pop_geo[w_pop],
            "validation_users": int(sum(len(t.users) for t in tasks))}


# ------------------------------------------------------------------ scoring
def hit_at_1(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """1 when the top item is relevant (ties broken by column index); [n_users]."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, 0]
    return relevant[np.arange(len(top)), top]


def per_user_metrics(scores: np.ndarray | list[np.ndarray], rel: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """NDCG@10 and hit@1 per user; a list of score matrices is averaged (random)."""
    mats = scores if isinstance(scores, list) else [scores]
    return {"ndcg@10": np.mean([ndcg_per_user(m, rel) for m in mats], axis=0),
            "hit@1": np.mean([hit_at_1(m, rel) for m in mats], axis=0)}


def paired(per_user: dict[str, dict[str, list[np.ndarray]]], reference: str,
           metric: str = "ndcg@10") -> dict[str, dict[str, float]]:
    """``reference`` minus each method, per (fold, user): mean and standard error."""
    ref = np.concatenate(per_user[reference][metric])
    out = {}
    for method, values in per_user.items():
        if method == reference:
            continue
        diff = ref - np.concatenate(values[metric])
        out[method] = {"diff": float(diff.mean()),
                       "se": float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0,
                       "n": int(diff.size)}
    return out


ItemMethod = Callable[[ItemTask, int], "np.ndarray | list[np.ndarray]"]
ITEM_BASELINES: dict[str, ItemMethod] = {
    "random": lambda t, s: random_scores(t, s),
    "theme popularity": lambda t, _s: theme_popularity(t),
    "nearest to history": lambda t, _s: nearest_to_history(t),
    "theme of history": lambda t, _s: theme_of_history(t),
}
HYBRID = "LightFM hybrid"
HYBRID_GEO = "LightFM hybrid + geo"
#: Seeded draws of validation-cold POIs per fold (pooled: the smaller cities have few
#: validation users per draw).
VALIDATION_DRAWS = 3


def evaluate_item_cold(folder: Any, *, n_folds: int = N_FOLDS, split_seed: int = 0,
                       grid: dict[str, Sequence[Any]] | None = None,
                       tune_seeds: Sequence[int] = (100,)) -> dict[str, Any]:
    """The item cold-start protocol on one city (see the module docstring)."""
    started = time.perf_counter()
    city = load_city(folder)
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    points = grid_points(grid or ITEM_COLD_GRID)
    per_user: dict[str, dict[str, list[np.ndarray]]] = {}
    folds_out = []
    for f, cold in enumerate(item_folds(city.n_items, n_folds, split_seed)):
        rng = np.random.default_rng(1000 * split_seed + f)
        task = flickr_item_task(city, train, test, cold, n_users, rng)
        # Nested validation: 20% of the warm POIs made cold (VALIDATION_DRAWS seeded draws),
        # each user's last training sequence held out; nothing of the fold's cold POIs.
        warm = np.setdiff1d(np.arange(city.n_items), cold)
        v_train, v_test = split_last_sequence(strip_items(train, cold))
        v_tasks = [flickr_item_task(city, v_train, v_test,
                                    rng.choice(warm, size=max(1, round(0.2 * warm.size)),
                                               replace=False), n_users, rng)
                   for _ in range(VALIDATION_DRAWS)]
        choice = tune_hybrid(v_tasks, points, tune_seeds)
        print(f"  fold {f}: {len(task.users)} test users, {len(cold)} cold POIs; {choice}",
              file=sys.stderr)
        rel = task.relevance()
        methods: dict[str, np.ndarray | list[np.ndarray]] = {
            name: fn(task, f) for name, fn in ITEM_BASELINES.items()}
        geo = methods["nearest to history"]
        assert isinstance(geo, np.ndarray)
        methods["theme popularity + geo"] = with_geo(
            theme_popularity(task), geo, choice["pop_geo_weight"])
        methods[HYBRID] = hybrid_scores(task, choice["params"], f)
        methods[HYBRID_GEO] = with_geo(hybrid_scores(task, choice["geo_params"], f), geo,
                                       choice["geo_weight"])
        for name, scores in methods.items():
            for metric, values in per_user_metrics(scores, rel).items():
                per_user.setdefault(name, {}).setdefault(metric, []).append(values)
        folds_out.append({"fold": f, "cold_items": int(len(cold)),
                          "test_users": int(len(task.users)), **choice})
    results = {
        name: {metric: {"mean": float(np.mean([v.mean() for v in vals if v.size])),
                        "std": float(np.std([v.mean() for v in vals if v.size]))}
               for metric, vals in metrics.items()}
        for name, metrics in per_user.items()}
    return {
        "protocol": "item-cold", "city": city.name, "n_items": city.n_items,
        "n_folds": n_folds, "split_seed": split_seed, "folds": folds_out,
        "n_test_pairs": int(sum(f["test_users"] for f in folds_out)),
        "results": results,
        "paired_ndcg@10": paired(per_user, HYBRID_GEO),
        "paired_hit@1": paired(per_user, HYBRID_GEO, "hit@1"),
        "paired_plain_ndcg@10": paired(per_user, HYBRID),
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_item_cold(report: dict[str, Any]) -> str:
    """Markdown table of an item cold-start report."""
    lines = [f"{report['city']} (item cold start): {report['n_items']} POIs in "
             f"{report['n_folds']} folds, {report['n_test_pairs']} (fold, test user) pairs, "
             f"{report['seconds']} s", "",
             "| method | NDCG@10 | hit@1 | hybrid minus method | hybrid + geo minus method |",
             "|---|---|---|---|---|"]

    def cell(d: dict[str, float] | None) -> str:
        return f"{d['diff']:+.3f} ± {d['se']:.3f}" if d else ""

    for name, res in report["results"].items():
        lines.append(f"| {name} | {res['ndcg@10']['mean']:.3f} ± {res['ndcg@10']['std']:.3f} | "
                     f"{res['hit@1']['mean']:.3f} ± {res['hit@1']['std']:.3f} | "
                     f"{cell(report['paired_plain_ndcg@10'].get(name))} | "
                     f"{cell(report['paired_ndcg@10'].get(name))} |")
    lines += ["", "Mean ± standard deviation over the folds; the differences are NDCG@10 per "
              "(fold, test user), mean ± standard error."]
    lines.append("")
    for f in report["folds"]:
        lines.append(f"- fold {f['fold']}: {f['cold_items']} cold POIs, {f['test_users']} test "
                     f"users; validation ({f['validation_users']} users): hybrid "
                     f"{json.dumps(f['params'])} ({f['validation_ndcg@10']:.3f}); + geo "
                     f"{json.dumps(f['geo_params'])}, weight {f['geo_weight']:g} "
                     f"({f['geo_validation_ndcg@10']:.3f}); theme popularity + geo weight "
                     f"{f['pop_geo_weight']:g} ({f['pop_geo_validation_ndcg@10']:.3f})")
    return "\n".join(lines)


# ================================================================== user cold start
# ``--protocol user-cold``: visitors the model has never seen, known only by a profile.
#
# Users with at least two sequences are split, seeded, into 5 folds. In fold f the fold's
# users are **new**: all their sequences are removed from training. Each new user's profile
# is the themes of their *first* sequence in time (a stand-in for the interests a visitor
# states on arrival); the relevant items are the POIs of all their later sequences, and
# every method ranks all POIs. Methods:
#
# * ``popularity``: training visits;
# * ``theme popularity``: the POIs of the profile's themes first, each group by popularity;
# * ``popularity + theme match``: ``z(log popularity) + w * share of the profile in the
#   POI's theme``, ``w`` chosen on validation (the product's interest blend, tuned);
# * ``LightFM hybrid``: item features identity + theme + cells; user features identity
#   (on/off) + a theme profile, for training users derived the same way (first sequence)
#   or from their whole history (a validation choice). A new user is scored from the row
#   of their profile alone;
# * ``LightFM hybrid + theme match``: the hybrid blended like the baseline.
#
# Choices are made on a nested split of the fold's training users (20%, 3 seeded draws).

USER_COLD_GRID: dict[str, Sequence[Any]] = {
    "no_components": (32,),
    "epochs": (10, 30),
    "learning_rate": (0.05,),
    "user_identity": (True, False),
    "profile": ("first", "history"),
    "theme_weight": (0.5, 1.0),
}
QUICK_USER_COLD_GRID: dict[str, Sequence[Any]] = {
    "no_components": (8,), "epochs": (5,), "learning_rate": (0.05,), "user_identity": (False,),
    "profile": ("first",), "theme_weight": (1.0,),
}
#: Weights of the theme-match term searched on validation.
MATCH_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass
class UserTask:
    """One user cold-start fold: training users' interactions and profiles, new users'
    profiles and held-out truth (item indices)."""

    inter: sp.csr_matrix            # [n_train_users, n_items]
    first_themes: sp.csr_matrix     # [n_train_users, n_themes] themes of the first sequence
    history_themes: sp.csr_matrix   # [n_train_users, n_themes] themes of all sequences
    profiles: sp.csr_matrix         # [n_new_users, n_themes] new users' profiles
    relevant: list[set[int]]
    item_themes: sp.csr_matrix
    item_lat: np.ndarray
    item_lon: np.ndarray

    def relevance(self) -> np.ndarray:
        rel = np.zeros((len(self.relevant), self.inter.shape[1]))
        for r, items in enumerate(self.relevant):
            rel[r, list(items)] = 1.0
        return rel


def _first_sequences(seqs: pd.DataFrame) -> pd.DataFrame:
    return seqs.sort_values(["user", "time", "seq"], kind="stable").groupby("user").head(1)


def flickr_user_task(city: CityData, seqs: pd.DataFrame, new_users: np.ndarray) -> UserTask:
    """The task whose new users are ``new_users`` (all their sequences out of training)."""
    new = {int(u) for u in new_users}
    train = seqs[~seqs["user"].isin(new)]
    train_users = np.sort(train["user"].unique())
    remap = {int(u): j for j, u in enumerate(train_users)}
    n_train = len(train_users)
    train = train.assign(user=train["user"].map(remap))
    themes = city.theme_matrix()
    inter = interaction_matrix(train, n_train, city.n_items)
    first = interaction_matrix(_first_sequences(train), n_train, city.n_items)
    held = seqs[seqs["user"].isin(new)].sort_values(["user", "time", "seq"], kind="stable")
    order = sorted(new)
    rows = {u: j for j, u in enumerate(order)}
    firsts = _first_sequences(held)
    profile_items = interaction_matrix(firsts.assign(user=firsts["user"].map(rows)),
                                       len(order), city.n_items)
    later = held.drop(index=firsts.index)
    relevant: list[set[int]] = [set() for _ in order]
    for u, items in zip(later["user"], later["items"]):
        relevant[rows[int(u)]].update(int(i) for i in items)
    return UserTask(inter=inter, first_themes=_row_normalise((first > 0) @ themes),
                    history_themes=_row_normalise((inter > 0) @ themes),
                    profiles=_row_normalise((profile_items > 0) @ themes),
                    relevant=relevant, item_themes=themes, item_lat=city.item_lat,
                    item_lon=city.item_lon)


def user_folds(seqs: pd.DataFrame, n_folds: int = N_FOLDS, seed: int = 0) -> list[np.ndarray]:
    """Users with >= 2 sequences, split seeded into ``n_folds`` folds."""
    counts = seqs.groupby("user").size()
    eligible = np.sort(counts[counts >= 2].index.to_numpy())
    order = np.random.default_rng(seed).permutation(eligible)
    return [np.sort(part) for part in np.array_split(order, n_folds)]


def user_popularity(task: UserTask) -> np.ndarray:
    pop = np.asarray(task.inter.sum(axis=0), dtype=np.float64).ravel()
    return np.tile(pop, (len(task.relevant), 1))


def theme_match(task: UserTask) -> np.ndarray:
    """[n_new, n_items]: the share of each new user's profile in each POI's themes."""
    return np.asarray((task.profiles @ task.item_themes.T).todense(), dtype=np.float64)


def theme_first_popularity(task: UserTask) -> np.ndarray:
    """The profile's themes first, each group by popularity."""
    pop = user_popularity(task)
    return (theme_match(task) > 0) * (pop.max() + 1.0) + pop


def with_match(scores: np.ndarray, match: np.ndarray, weight: float) -> np.ndarray:
    """``z_u(scores) + weight * match`` (match is a share in [0, 1])."""
    return zscore_rows(scores) + weight * match


def user_hybrid_scores(task: UserTask, params: dict[str, Any], seed: int) -> np.ndarray:
    """Train on the training users; score every POI for the new users from their profile."""
    n_train, n_items = task.inter.shape
    areas = area_features(task.item_lat, task.item_lon)
    itf = _row_normalise(sp.hstack([sp.identity(n_items, format="csr", dtype=np.float32),
                                    params["theme_weight"] * _row_normalise(task.item_themes),
                                    0.5 * areas], format="csr"))
    train_profile = task.first_themes if params["profile"] == "first" else task.history_themes
    ident = sp.identity(n_train, format="csr", dtype=np.float32)
    if not params["user_identity"]:
        ident = sp.csr_matrix((n_train, n_train), dtype=np.float32)
    uf = _row_normalise(sp.hstack([ident, train_profile], format="csr"))
    lightfm = {k: params[k] for k in ("no_components", "epochs", "learning_rate")}
    model = HybridRecommender(random_state=seed, **lightfm).fit(
        (task.inter > 0).astype(np.float32), user_features=uf, item_features=itf)
    new_rows = sp.hstack([sp.csr_matrix((task.profiles.shape[0], n_train), dtype=np.float32),
                          task.profiles], format="csr")
    return np.asarray(model.score(_row_normalise(new_rows)), dtype=np.float64)


def tune_user_hybrid(tasks: Sequence[UserTask], grid: list[dict[str, Any]],
                     seeds: Sequence[int]) -> dict[str, Any]:
    """Validation choices over the tasks' pooled new users (mean NDCG@10)."""
    rels = [t.relevance() for t in tasks]
    matches = [theme_match(t) for t in tasks]
    pops = [np.log1p(user_popularity(t)) for t in tasks]

    def pooled(mats: list[np.ndarray]) -> float:
        values = np.concatenate([ndcg_per_user(m, rel) for m, rel in zip(mats, rels)])
        return float(np.nanmean(values)) if values.size else -np.inf

    plain: list[float] = []
    blended = np.full((len(grid), len(MATCH_WEIGHTS)), -np.inf)
    for g, params in enumerate(grid):
        raws = [[user_hybrid_scores(t, params, s) for s in seeds] for t in tasks]
        plain.append(float(np.mean([pooled([r[k] for r in raws]) for k in range(len(seeds))])))
        for w, weight in enumerate(MATCH_WEIGHTS):
            blended[g, w] = np.mean([pooled([with_match(r[k], m, weight)
                                             for r, m in zip(raws, matches)])
                                     for k in range(len(seeds))])
    g_plain = int(np.argmax(plain))
    g_m, w_m = np.unravel_index(int(np.argmax(blended)), blended.shape)
    pop_match = [pooled([with_match(p, m, weight) for p, m in zip(pops, matches)])
                 for weight in MATCH_WEIGHTS]
    w_pop = int(np.argmax(pop_match))
    return {"params": grid[g_plain], "validation_ndcg@10": plain[g_plain],
            "match_params": grid[g_m], "match_weight": MATCH_WEIGHTS[w_m],
            "match_validation_ndcg@10": float(blended[g_m, w_m]),
            "pop_match_weight": MATCH_WEIGHTS[w_pop],
            "pop_match_validation_ndcg@10": pop_match[w_pop],
            "validation_users": int(sum(len(t.relevant) for t in tasks))}


USER_HYBRID = "LightFM hybrid"
USER_HYBRID_MATCH = "LightFM hybrid + theme match"


def evaluate_user_cold(folder: Any, *, n_folds: int = N_FOLDS, split_seed: int = 0,
                       grid: dict[str, Sequence[Any]] | None = None,
                       tune_seeds: Sequence[int] = (100,)) -> dict[str, Any]:
    """The user cold-start protocol on one city (see above)."""
    started = time.perf_counter()
    city = load_city(folder)
    seqs = city.sequences
    points = grid_points(grid or USER_COLD_GRID)
    per_user: dict[str, dict[str, list[np.ndarray]]] = {}
    folds_out = []
    for f, new_users in enumerate(user_folds(seqs, n_folds, split_seed)):
        rng = np.random.default_rng(1000 * split_seed + f)
        task = flickr_user_task(city, seqs, new_users)
        rest = seqs[~seqs["user"].isin(set(new_users.tolist()))]
        eligible = np.concatenate(list(user_folds(rest, n_folds, split_seed)))
        v_tasks = [flickr_user_task(city, rest, rng.choice(
            eligible, size=max(1, round(0.2 * eligible.size)), replace=False))
            for _ in range(VALIDATION_DRAWS)]
        choice = (tune_user_hybrid(v_tasks, points, tune_seeds))
        print(f"  fold {f}: {len(new_users)} new users; {choice}", file=sys.stderr)
        rel = task.relevance()
        match = theme_match(task)
        pop = user_popularity(task)
        methods: dict[str, np.ndarray] = {
            "popularity": pop,
            "theme popularity": theme_first_popularity(task),
            "popularity + theme match": with_match(np.log1p(pop), match,
                                                   choice["pop_match_weight"]),
            USER_HYBRID: user_hybrid_scores(task, choice["params"], f),
            USER_HYBRID_MATCH: with_match(user_hybrid_scores(task, choice["match_params"], f),
                                          match, choice["match_weight"]),
        }
        for name, scores in methods.items():
            for metric, values in per_user_metrics(scores, rel).items():
                per_user.setdefault(name, {}).setdefault(metric, []).append(values)
        folds_out.append({"fold": f, "test_users": int(len(new_users)), **choice})
    results = {
        name: {metric: {"mean": float(np.mean([v.mean() for v in vals])),
                        "std": float(np.std([v.mean() for v in vals]))}
               for metric, vals in metrics.items()}
        for name, metrics in per_user.items()}
    return {
        "protocol": "user-cold", "city": city.name, "n_items": city.n_items,
        "n_folds": n_folds, "split_seed": split_seed, "folds": folds_out,
        "n_test_pairs": int(sum(f["test_users"] for f in folds_out)),
        "results": results,
        "paired_ndcg@10": paired(per_user, USER_HYBRID_MATCH),
        "paired_plain_ndcg@10": paired(per_user, USER_HYBRID),
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_user_cold(report: dict[str, Any]) -> str:
    """Markdown table of a user cold-start report."""
    lines = [f"{report['city']} (user cold start): {report['n_items']} POIs, "
             f"{report['n_test_pairs']} new users in {report['n_folds']} folds, "
             f"{report['seconds']} s", "",
             "| method | NDCG@10 | hit@1 | hybrid minus method | hybrid + theme match minus method |",
             "|---|---|---|---|---|"]

    def cell(d: dict[str, float] | None) -> str:
        return f"{d['diff']:+.3f} ± {d['se']:.3f}" if d else ""

    for name, res in report["results"].items():
        lines.append(f"| {name} | {res['ndcg@10']['mean']:.3f} ± {res['ndcg@10']['std']:.3f} | "
                     f"{res['hit@1']['mean']:.3f} ± {res['hit@1']['std']:.3f} | "
                     f"{cell(report['paired_plain_ndcg@10'].get(name))} | "
                     f"{cell(report['paired_ndcg@10'].get(name))} |")
    lines += ["", "Mean ± standard deviation over the folds; the differences are NDCG@10 per "
              "new user, mean ± standard error.", ""]
    for f in report["folds"]:
        lines.append(f"- fold {f['fold']}: {f['test_users']} new users; validation "
                     f"({f['validation_users']} users): hybrid {json.dumps(f['params'])} "
                     f"({f['validation_ndcg@10']:.3f}); + theme match {json.dumps(f['match_params'])}, "
                     f"weight {f['match_weight']:g} ({f['match_validation_ndcg@10']:.3f}); "
                     f"popularity + theme match weight {f['pop_match_weight']:g} "
                     f"({f['pop_match_validation_ndcg@10']:.3f})")
    return "\n".join(lines)
