"""Baselines always reported beside the hybrid: popularity, item-kNN and (optionally) ALS.

All share one small contract: ``fit(interactions)`` with a sparse matrix
[n_users, n_items] (values are weights), then ``score(user_indices)`` returning a dense
float32 array [len(user_indices), n_items], higher is better.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class PopularityRecommender:
    """Rank items by total interaction weight (the same list for everyone)."""

    def __init__(self) -> None:
        self.popularity_: np.ndarray | None = None

    def fit(self, interactions: sp.spmatrix) -> PopularityRecommender:
        """Count weight per item; ``interactions`` is [n_users, n_items]."""
        m = sp.csr_matrix(interactions)
        self.popularity_ = np.asarray(m.sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, user_indices: np.ndarray | list[int]) -> np.ndarray:
        """[len(user_indices), n_items] copies of the popularity vector."""
        if self.popularity_ is None:
            raise ValueError("PopularityRecommender is not fitted.")
        n = len(user_indices)
        return np.tile(self.popularity_, (n, 1))


class ItemKNNRecommender:
    """Item-based k-nearest-neighbours with cosine similarity.

    ``score(u, i) = sum_j r_uj * sim(i, j)`` over the ``neighbours`` most similar items
    ``j`` of each item. With ``include_self=True`` an item's similarity to itself is
    kept (1.0), which scores items the visitor already engaged with highly: right for
    tourism data where revisits are common.

    Parameters
    ----------
    neighbours
        Neighbours kept per item (``None`` keeps all).
    shrinkage
        Added to the cosine denominator to damp similarities from few co-occurrences.
    include_self
        Keep the diagonal of the similarity matrix.
    """

    def __init__(self, neighbours: int | None = 50, shrinkage: float = 0.0,
                 include_self: bool = True) -> None:
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.include_self = include_self
        self.similarity_: np.ndarray | None = None
        self.interactions_: sp.csr_matrix | None = None

    def fit(self, interactions: sp.spmatrix) -> ItemKNNRecommender:
        """Compute the item-item similarity [n_items, n_items] (dense; fine for a city
        catalogue, use a sparse top-k variant for 50k+ items)."""
        m = sp.csr_matrix(interactions, dtype=np.float32)
        co = np.asarray((m.T @ m).todense(), dtype=np.float32)
        norms = np.sqrt(np.diag(co)).astype(np.float32)
        sim = co / (np.outer(norms, norms) + self.shrinkage + 1e-12)
        if not self.include_self:
            np.fill_diagonal(sim, 0.0)
        if self.neighbours is not None and self.neighbours < sim.shape[0]:
            drop = np.argpartition(-sim, self.neighbours, axis=1)[:, self.neighbours:]
            np.put_along_axis(sim, drop, 0.0, axis=1)
        self.similarity_ = sim
        self.interactions_ = m
        return self

    def score(self, user_indices: np.ndarray | list[int]) -> np.ndarray:
        """[len(user_indices), n_items] kNN scores of training visitors."""
        if self.similarity_ is None or self.interactions_ is None:
            raise ValueError("ItemKNNRecommender is not fitted.")
        rows = self.interactions_[np.asarray(user_indices, dtype=np.int64)]
        # sim[j, i] is how much item j vouches for item i.
        return np.asarray(rows @ self.similarity_, dtype=np.float32)


class ALSRecommender:
    """Implicit-feedback ALS from the optional ``implicit`` package (bench extra).

    Parameters
    ----------
    factors, regularization, iterations, alpha
        As in :class:`implicit.als.AlternatingLeastSquares`; ``alpha`` scales the
        confidence of observed weights.
    random_state
        Seed for the factor initialisation.
    """

    def __init__(self, factors: int = 32, regularization: float = 0.05,
                 iterations: int = 15, alpha: float = 10.0, random_state: int = 0) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state
        self.user_factors_: np.ndarray | None = None
        self.item_factors_: np.ndarray | None = None

    def fit(self, interactions: sp.spmatrix) -> ALSRecommender:
        """Fit on [n_users, n_items] weights; raises ImportError without ``implicit``."""
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        # implicit parallelises itself; a BLAS thread pool on top oversubscribes the cores.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization,
                iterations=self.iterations, alpha=self.alpha,
                random_state=self.random_state, num_threads=1,
            )
            model.fit(sp.csr_matrix(interactions, dtype=np.float32), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)
        return self

    def score(self, user_indices: np.ndarray | list[int]) -> np.ndarray:
        """[len(user_indices), n_items] dot products of ALS factors."""
        if self.user_factors_ is None or self.item_factors_ is None:
            raise ValueError("ALSRecommender is not fitted.")
        u = self.user_factors_[np.asarray(user_indices, dtype=np.int64)]
        return np.asarray(u @ self.item_factors_.T, dtype=np.float32)


def als_available() -> bool:
    """Whether the optional ``implicit`` package can be imported."""
    try:
        import implicit  # noqa: F401
    except ImportError:
        return False
    return True
