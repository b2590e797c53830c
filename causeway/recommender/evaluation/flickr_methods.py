"""Methods and tuning for the Flickr evaluation: baselines, LightFM variants, prior blends.

Every method is a builder ``(params, seed) -> Scorer`` on one fold's training data. Tuning
evaluates each grid point on the validation fold twice: as it is (the plain row) and
through every :class:`~causeway.recommender.blend.PriorBlend` of a small grid (the
"+ prior" row), so the hybrid and the baselines get exactly the same prior and the same
search over its weights.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from causeway.recommender.baselines import ALSRecommender, ItemKNNRecommender
from causeway.recommender.blend import BlendTerms, PriorBlend
from causeway.recommender.evaluation.flickr_data import CityData, Fold
from causeway.recommender.features import geo_cells
from causeway.recommender.model import HybridRecommender

Scorer = Callable[[np.ndarray], np.ndarray]  # user indices [n] -> scores [n, n_items]
Builder = Callable[[dict[str, Any], int], Scorer]

# ------------------------------------------------------------------ LightFM
#: Size of the square geographic cells that give POIs an area feature.
AREA_CELL_KM = 1.0


def _row_normalise(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ m, dtype=np.float32)


def area_matrix(city: CityData, cell_km: float = AREA_CELL_KM) -> sp.csr_matrix:
    """One-hot geographic cell of each POI, [n_items, n_cells] float32."""
    cells = geo_cells(city.item_lat, city.item_lon, cell_km)
    _, idx = np.unique(cells, return_inverse=True)
    n = city.n_items
    return sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), idx)),
                         shape=(n, int(idx.max()) + 1 if n else 0))


def lightfm_features(city: CityData, inter: sp.csr_matrix, *, hybrid: bool,
                     user_history: bool, theme_weight: float = 1.0, area_weight: float = 0.0,
                     recent: sp.csr_matrix | None = None,
                     ) -> tuple[sp.csr_matrix | None, sp.csr_matrix | None]:
    """(user_features, item_features) for the LightFM variants; None = identity.

    Item features (hybrid): identity + ``theme_weight`` * theme + ``area_weight`` * area
    cell, row-normalised. User features (``user_history``): identity, the POIs of the
    user's training visits and, for the hybrid, their themes and (with ``area_weight``)
    areas, each block row-normalised, the way a stated-interest profile enters the product
    model. With ``recent`` ([n_users, n_items], the POIs of each user's latest training
    sequence) the user features also carry those POIs and (with ``area_weight``) areas:
    where the visitor was last.
    """
    n_users, n_items = inter.shape
    themes = city.theme_matrix()
    areas = area_matrix(city) if hybrid and area_weight > 0 else None
    item_f = None
    if hybrid:
        blocks = [sp.identity(n_items, format="csr", dtype=np.float32), theme_weight * themes]
        if areas is not None:
            blocks.append(area_weight * areas)
        item_f = _row_normalise(sp.hstack(blocks, format="csr"))
    user_f = None
    if user_history:
        binary = (inter > 0).astype(np.float32)
        ublocks = [sp.identity(n_users, format="csr", dtype=np.float32), _row_normalise(binary)]
        if hybrid:
            ublocks.append(_row_normalise(binary @ themes))
            if areas is not None:
                ublocks.append(_row_normalise(binary @ areas))
            if recent is not None:
                last = (recent > 0).astype(np.float32)
                ublocks.append(_row_normalise(last))
                if areas is not None:
                    ublocks.append(_row_normalise(last @ areas))
        user_f = _row_normalise(sp.hstack(ublocks, format="csr"))
    return user_f, item_f


def fit_lightfm(city: CityData, inter: sp.csr_matrix, params: dict[str, Any], seed: int,
                *, hybrid: bool, recent: sp.csr_matrix | None = None) -> Scorer:
    """Train a LightFM variant and return its scorer (``recent``: see
    :func:`lightfm_features`; used when ``params["recent_features"]`` is true)."""
    p = dict(params)
    user_history = bool(p.pop("user_history", False))
    weighting = p.pop("weighting", "binary")
    theme_weight = float(p.pop("theme_weight", 1.0))
    area_weight = float(p.pop("area_weight", 0.0))
    use_recent = bool(p.pop("recent_features", False))
    if use_recent and recent is None:
        raise ValueError("recent_features needs the latest-sequence matrix.")
    uf, itf = lightfm_features(city, inter, hybrid=hybrid, user_history=user_history,
                               theme_weight=theme_weight, area_weight=area_weight,
                               recent=recent if use_recent else None)
    binary = (inter > 0).astype(np.float32).tocoo()
    weight = None
    if weighting == "log":
        w = inter.tocoo()
        weight = sp.coo_matrix((1.0 + np.log(w.data), (w.row, w.col)), shape=w.shape)
    model = HybridRecommender(random_state=seed, **p).fit(
        binary, user_features=uf, item_features=itf, sample_weight=weight)
    return lambda users: model.score(model.known_user_features(users))


def knn_builder(fold: Fold) -> Builder:
    """Item-kNN on the fold's training interactions (deterministic; the seed is unused)."""
    return lambda params, _seed: ItemKNNRecommender(**params).fit(fold.inter).score


def als_builder(fold: Fold) -> Builder:
    """Implicit ALS (15 iterations) on the fold's training interactions."""
    return lambda params, seed: ALSRecommender(random_state=seed, iterations=15,
                                               **params).fit(fold.inter).score


def lightfm_builder(city: CityData, fold: Fold, *, hybrid: bool) -> Builder:
    """LightFM CF (identity features) or hybrid on the fold's training interactions."""
    return lambda params, seed: fit_lightfm(city, fold.inter, params, seed, hybrid=hybrid,
                                            recent=fold.recent)


def popularity_builder(fold: Fold) -> Builder:
    """Training popularity, the same list for everyone."""
    pop = fold.popularity.astype(np.float32)
    return lambda _params, _seed: (lambda users: np.tile(pop, (len(users), 1)))


LIGHTFM_GRID: dict[str, Sequence[Any]] = {
    "no_components": (16, 32),
    "epochs": (20, 60),
    "learning_rate": (0.05, 0.1),
    "user_history": (False, True),
    "weighting": ("binary", "log"),
}
HYBRID_GRID: dict[str, Sequence[Any]] = {
    "no_components": (16, 32),
    "epochs": (20, 60),
    "learning_rate": (0.05, 0.1),
    "user_history": (False, True),
    "weighting": ("log",),
    "theme_weight": (0.25, 0.5, 1.0),
    "area_weight": (0.0, 0.5),
}
KNN_GRID: dict[str, Sequence[Any]] = {"neighbours": (5, 10, None), "shrinkage": (0.0, 5.0),
                                      "include_self": (True, False)}
ALS_GRID: dict[str, Sequence[Any]] = {"factors": (8, 16, 32), "regularization": (0.01, 0.1),
                                      "alpha": (1.0, 10.0)}


def grid_points(grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of a grid, in a fixed order."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*grid.values())]


# --------------------------------------------------------------- prior blends
def prior_grid(model: bool) -> list[PriorBlend]:
    """Blends searched on validation: the prior is history (``revisit``, ``recent``) plus
    popularity at weight 1, so the method's weight is relative to popularity. With
    ``model=False`` the pure prior (the popularity baseline); with ``model=True`` the
    method always carries weight, so a "+ prior" row never degenerates into the pure
    prior."""
    weights = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0) if model else (0.0,)
    return [PriorBlend(revisit, recent, 1.0, weight)
            for revisit, recent in itertools.product((0.0, 0.5, 1.0, 2.0, 4.0, 16.0),
                                                     (0.0, 0.5, 1.0))
            for weight in weights]


def blend_terms(fold: Fold, raw: np.ndarray) -> BlendTerms:
    """Blend terms of the fold's users: ``raw`` scores, training history, latest sequence
    and training popularity."""
    users = fold.users
    assert fold.recent is not None
    return BlendTerms.build(raw, history=fold.inter[users], recent=fold.recent[users],
                            popularity=fold.popularity)


def apply_blend(fold: Fold, raw: np.ndarray, blend: PriorBlend | None) -> np.ndarray:
    """The fold's users' final scores: ``raw`` blended with the fold's priors, seen POIs
    masked under ``exclude_seen``."""
    if blend is None:
        return fold.mask_seen(raw)
    return fold.mask_seen(blend_terms(fold, raw).combine(blend))


def ndcg_per_user(scores: np.ndarray, relevant: np.ndarray, k: int = 10) -> np.ndarray:
    """Binary NDCG@k of each row of a score matrix against a 0/1 relevance matrix (both
    [n_users, n_items]); ties broken by item index, as :func:`~causeway.recommender.model.top_k`.
    NaN for users without relevant items. Equals ``metrics.ndcg_at_k`` on ``top_k``
    rankings (-inf items are never relevant here, so listing them changes nothing)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(relevant, order, axis=1)
    disc = 1.0 / np.log2(np.arange(2, order.shape[1] + 2))
    n_rel = relevant.sum(axis=1).astype(np.int64)
    ideal = np.concatenate([[0.0], np.cumsum(disc)])[np.minimum(n_rel, order.shape[1])]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, (hits @ disc) / ideal, np.nan)


def ndcg_matrix(scores: np.ndarray, relevant: np.ndarray, k: int = 10) -> float:
    """Mean of :func:`ndcg_per_user` over users with relevant items."""
    per_user = ndcg_per_user(scores, relevant, k)
    return float(np.nanmean(per_user)) if np.isfinite(per_user).any() else float("nan")


def relevance_matrix(fold: Fold, n_items: int) -> np.ndarray:
    """0/1 [n_users, n_items] from the fold's relevant sets."""
    rel = np.zeros((len(fold.users), n_items))
    for r, items in enumerate(fold.relevant):
        rel[r, list(items)] = 1.0
    return rel


@dataclass
class Tuned:
    """The validation choice for a method: plain and with the prior blend."""

    params: dict[str, Any]
    validation_ndcg: float
    prior_params: dict[str, Any]
    prior_blend: PriorBlend
    prior_validation_ndcg: float

    def to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "validation_ndcg@10": self.validation_ndcg,
                "prior": {"params": self.prior_params, "blend": self.prior_blend.to_dict(),
                          "validation_ndcg@10": self.prior_validation_ndcg}}


def tune(name: str, folds: Sequence[Fold], n_items: int, grid: list[dict[str, Any]],
         builders: Sequence[Builder], seeds: Sequence[int], blends: list[PriorBlend]) -> Tuned:
    """Pick the best plain grid point, and a (grid point, blend) pair, by validation NDCG@10
    over the users of all ``folds`` (each fold with its own builder), averaged over ``seeds``.

    The plain choice is the best mean. The blend choice follows the one-standard-error
    rule, because a large grid of blends picked on a few hundred validation users
    otherwise rewards noise (the winner's curse): among the pairs whose mean is within one
    standard error of the paired per-user difference from the best, take the one that
    leans least on the method (smallest ``blend.model``), the best mean among those.
    """
    rels = [relevance_matrix(f, n_items) for f in folds]
    plain_means: list[float] = []
    per_user = np.empty((len(grid), len(blends), sum(len(f.users) for f in folds)),
                        dtype=np.float32)
    for g, params in enumerate(grid):
        plain = []
        terms: list[tuple[Fold, np.ndarray, list[BlendTerms]]] = []
        for f, rel, build in zip(folds, rels, builders):
            raws = [np.asarray(build(params, s)(f.users), dtype=np.float64) for s in seeds]
            plain.append(np.mean([ndcg_per_user(f.mask_seen(r), rel) for r in raws], axis=0))
            terms.append((f, rel, [blend_terms(f, r) for r in raws]))
        plain_means.append(float(np.nanmean(np.concatenate(plain))))
        for b, blend in enumerate(blends):
            per_user[g, b] = np.concatenate([
                np.mean([ndcg_per_user(f.mask_seen(t.combine(blend)), rel) for t in ts], axis=0)
                for f, rel, ts in terms])
    g_plain = int(np.argmax(plain_means))
    valid = np.isfinite(per_user[0, 0])
    means = per_user[:, :, valid].mean(axis=2, dtype=np.float64)
    g_best, b_best = np.unravel_index(int(np.argmax(means)), means.shape)
    diff = per_user[:, :, valid] - per_user[g_best, b_best, valid]
    se = diff.std(axis=2, dtype=np.float64) / np.sqrt(max(int(valid.sum()), 1))
    near = means >= means[g_best, b_best] - se
    weights = np.array([blend.model for blend in blends])
    lightest = weights[near.any(axis=0)].min()
    pick = np.where(near & (weights == lightest)[None, :], means, -np.inf)
    g_pick, b_pick = np.unravel_index(int(np.argmax(pick)), pick.shape)
    print(f"  tuned {name}: validation NDCG@10 {plain_means[g_plain]:.4f} with {grid[g_plain]}; "
          f"+ prior {means[g_pick, b_pick]:.4f} (best {means[g_best, b_best]:.4f}) with "
          f"{grid[g_pick]}, {blends[b_pick]}", file=sys.stderr)
    return Tuned(grid[g_plain], plain_means[g_plain], grid[g_pick], blends[b_pick],
                 float(means[g_pick, b_pick]))
