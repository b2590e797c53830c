"""The LightFM hybrid recommender: fit on sparse matrices, score with numpy.

Training uses LightFM (WARP by default). Scoring does not: after :meth:`fit` the item
representations of the serving catalogue are precomputed once as a float32 matrix
``[no_components + 1, n_items]`` (embedding plus bias row, stored transposed), so scoring one visitor is
one matrix-vector product and an ``argpartition``. A brand-new visitor is scored from the
feature row of their stated profile, a brand-new attraction from its feature row (see
:meth:`HybridRecommender.set_items`); neither needs retraining.

Artifacts are a directory with ``arrays.npz`` (numpy arrays only, loaded with
``allow_pickle=False``) and ``meta.json`` (hyperparameters, training metadata, metrics).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

#: Hyperparameters of the training job (``causeway train``) and of ``make bench-recommender``,
#: so the benchmark measures what the job runs. Chosen on measurements (benchmarks/README.md,
#: "Recommender speed"): at 1M events x 50k attractions, 20 epochs took 69 s and 10 epochs
#: 42 s for the same held-out accuracy, and ``max_sampled`` 5 instead of LightFM's 10 cut
#: another third for a held-out NDCG@20 0.002 lower; on the Flickr cities k=32 with 10
#: epochs matched the tuned grid.
TRAINING_DEFAULTS: dict[str, Any] = {"no_components": 32, "epochs": 10, "max_sampled": 5}

ARTIFACT_FORMAT = "causeway-hybrid"
ARTIFACT_VERSION = 1


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first.

    Parameters
    ----------
    scores : ndarray of shape [n_items]
        ``-inf`` marks excluded items; they are never returned.

    Returns
    -------
    ndarray of shape [<= k], int64
    """
    n_valid = int(np.isfinite(scores).sum())
    k = min(k, n_valid)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < scores.shape[0]:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(scores.shape[0])
    # Ties broken by index so results are deterministic.
    order = np.lexsort((part, -scores[part]))
    return part[order].astype(np.int64)


class HybridRecommender:
    """LightFM hybrid matrix factorisation with numpy scoring.

    Parameters
    ----------
    no_components
        Latent dimensionality.
    loss
        LightFM loss: ``"warp"`` (default), ``"bpr"``, ``"warp-kos"`` or ``"logistic"``.
    learning_rate, item_alpha, user_alpha, max_sampled
        Passed to :class:`lightfm.LightFM` (adagrad schedule).
    epochs
        Training epochs.
    num_threads
        LightFM training threads. Training is deterministic under ``random_state`` only
        with one thread (LightFM uses lock-free parallel SGD).
    random_state
        Seed for initialisation and negative sampling.
    """

    def __init__(
        self,
        no_components: int = 32,
        loss: str = "warp",
        learning_rate: float = 0.05,
        item_alpha: float = 0.0,
        user_alpha: float = 0.0,
        max_sampled: int = 10,
        epochs: int = 30,
        num_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        if no_components < 1:
            raise ValueError("no_components must be 1 or larger.")
        if epochs < 1:
            raise ValueError("epochs must be 1 or larger.")
        if num_threads < 1:
            raise ValueError("Number of threads must be 1 or larger.")
        self.no_components = no_components
        self.loss = loss
        self.learning_rate = learning_rate
        self.item_alpha = item_alpha
        self.user_alpha = user_alpha
        self.max_sampled = max_sampled
        self.epochs = epochs
        self.num_threads = num_threads
        self.random_state = random_state
        # Fitted state (feature-level parameters, as LightFM keeps them).
        self.user_embeddings_: np.ndarray | None = None   # [n_user_features, k]
        self.user_biases_: np.ndarray | None = None       # [n_user_features]
        self.item_embeddings_: np.ndarray | None = None   # [n_item_features, k]
        self.item_biases_: np.ndarray | None = None       # [n_item_features]
        self.item_features_: sp.csr_matrix | None = None  # serving catalogue
        self.item_vectors_t_: np.ndarray | None = None    # [k + 1, n_items], C-contiguous
        self.user_features_: sp.csr_matrix | None = None  # training visitors
        self.metadata: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self.extra_arrays: dict[str, np.ndarray] = {}

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as a dict (JSON-serialisable)."""
        return {
            "no_components": self.no_components, "loss": self.loss,
            "learning_rate": self.learning_rate, "item_alpha": self.item_alpha,
            "user_alpha": self.user_alpha, "max_sampled": self.max_sampled,
            "epochs": self.epochs, "num_threads": self.num_threads,
            "random_state": self.random_state,
        }

    # ------------------------------------------------------------------ train
    def fit(
        self,
        interactions: sp.spmatrix,
        user_features: sp.spmatrix | None = None,
        item_features: sp.spmatrix | None = None,
        sample_weight: sp.spmatrix | None = None,
    ) -> HybridRecommender:
        """Train on interactions and (optionally) side features.

        Parameters
        ----------
        interactions : sparse matrix of shape [n_users, n_items]
            Non-zero entries are positives.
        user_features : sparse matrix of shape [n_users, n_user_features], optional
            Defaults to the identity (pure collaborative filtering on the user side).
        item_features : sparse matrix of shape [n_items, n_item_features], optional
            Defaults to the identity.
        sample_weight : sparse matrix, same shape and sparsity as ``interactions``, optional
        """
        from lightfm import LightFM

        n_users, n_items = interactions.shape
        uf = _features_or_identity(user_features, n_users, "user_features")
        itf = _features_or_identity(item_features, n_items, "item_features")
        inter = sp.coo_matrix(interactions, dtype=np.float32)
        weight = None if sample_weight is None else sp.coo_matrix(sample_weight, dtype=np.float32)
        model = LightFM(
            no_components=self.no_components, loss=self.loss,
            learning_rate=self.learning_rate, item_alpha=self.item_alpha,
            user_alpha=self.user_alpha, max_sampled=self.max_sampled,
            random_state=np.random.RandomState(self.random_state),
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(inter, user_features=uf, item_features=itf, sample_weight=weight,
                  epochs=self.epochs, num_threads=self.num_threads)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        self.user_embeddings_ = np.asarray(model.user_embeddings, dtype=np.float32)
        self.user_biases_ = np.asarray(model.user_biases, dtype=np.float32)
        self.item_embeddings_ = np.asarray(model.item_embeddings, dtype=np.float32)
        self.item_biases_ = np.asarray(model.item_biases, dtype=np.float32)
        self.user_features_ = uf
        self.set_items(itf)
        self.metadata.update({
            "n_users": int(n_users), "n_items": int(n_items),
            "n_interactions": int(inter.nnz),
            "n_user_features": int(uf.shape[1]), "n_item_features": int(itf.shape[1]),
            "train_seconds": round(elapsed, 3),
            # CPU time of all threads: wall time on an idle machine is about cpu / threads.
            "train_cpu_seconds": round(cpu, 3),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        return self

    # --------------------------------------------------------------- catalogue
    def set_items(self, item_features: sp.spmatrix) -> None:
        """Precompute the representations of the serving catalogue.

        Call it again when attractions are added or changed: a new attraction encoded
        with the training vocabulary (no identity feature) is scored from its features.

        Parameters
        ----------
        item_features : sparse matrix of shape [n_items, n_item_features]
        """
        self._check_fitted()
        assert self.item_embeddings_ is not None and self.item_biases_ is not None
        itf = sp.csr_matrix(item_features, dtype=np.float32)
        if itf.shape[1] != self.item_embeddings_.shape[0]:
            raise ValueError(
                f"item_features has {itf.shape[1]} columns, the model knows "
                f"{self.item_embeddings_.shape[0]} item features.")
        emb = np.asarray(itf @ self.item_embeddings_, dtype=np.float32)
        bias = np.asarray(itf @ self.item_biases_, dtype=np.float32).reshape(-1, 1)
        self.item_features_ = itf
        # Stored transposed: ``u @ V_t`` streams memory and is ~2x faster than ``V @ u``
        # for 50k x 65 float32 (measured 0.76 vs 1.68 ms on the 2-core box).
        self.item_vectors_t_ = np.ascontiguousarray(np.hstack([emb, bias]).T, dtype=np.float32)

    @property
    def item_vectors_(self) -> np.ndarray | None:
        """Item representations [n_items, no_components + 1] (embedding, bias); a view."""
        return None if self.item_vectors_t_ is None else self.item_vectors_t_.T

    @property
    def n_items(self) -> int:
        """Number of items in the serving catalogue."""
        return 0 if self.item_vectors_t_ is None else int(self.item_vectors_t_.shape[1])

    # ------------------------------------------------------------------ score
    def user_vectors(self, user_features: sp.spmatrix) -> np.ndarray:
        """Visitor representations from feature rows.

        Parameters
        ----------
        user_features : sparse matrix of shape [n, n_user_features]
            Known visitors carry their identity feature; a new visitor's row carries
            only their stated profile.

        Returns
        -------
        ndarray of shape [n, no_components + 1], float32
            Embedding with a trailing 1 so that ``vectors @ item_vectors_.T`` adds the
            item bias. The user bias is omitted: it does not change a visitor's ranking.
        """
        self._check_fitted()
        assert self.user_embeddings_ is not None
        uf = sp.csr_matrix(user_features, dtype=np.float32)
        if uf.shape[1] != self.user_embeddings_.shape[0]:
            raise ValueError(
                f"user_features has {uf.shape[1]} columns, the model knows "
                f"{self.user_embeddings_.shape[0]} user features.")
        emb = np.asarray(uf @ self.user_embeddings_, dtype=np.float32)
        return np.hstack([emb, np.ones((emb.shape[0], 1), dtype=np.float32)])

    def known_user_features(self, user_indices: np.ndarray | list[int]) -> sp.csr_matrix:
        """Training feature rows of visitors by training index; [len(user_indices), n_user_features]."""
        self._check_fitted()
        assert self.user_features_ is not None
        return self.user_features_[np.asarray(user_indices, dtype=np.int64)]

    def score(self, user_features: sp.spmatrix) -> np.ndarray:
        """Scores of every catalogue item; ndarray [n, n_items], float32 (higher is better)."""
        assert self.item_vectors_t_ is not None
        return self.user_vectors(user_features) @ self.item_vectors_t_

    def score_vector(self, user_vector: np.ndarray) -> np.ndarray:
        """Scores for one precomputed user vector [no_components + 1] -> [n_items]."""
        assert self.item_vectors_t_ is not None
        return np.asarray(user_vector, dtype=np.float32) @ self.item_vectors_t_

    def recommend(
        self,
        user_features: sp.spmatrix,
        k: int = 10,
        *,
        exclude: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for one visitor.

        Parameters
        ----------
        user_features : sparse matrix of shape [1, n_user_features]
        k
            Number of items to return.
        exclude : int array, optional
            Item indices never to return (e.g. already visited).
        mask : bool array of shape [n_items], optional
            Only items where ``mask`` is true may be returned (hard filters).

        Returns
        -------
        indices : ndarray [<= k], int64, best first
        scores : ndarray [<= k], float32
        """
        scores = self.score_vector(self.user_vectors(user_features)[0])
        return self.top_k(scores, k, exclude=exclude, mask=mask)

    @staticmethod
    def top_k(
        scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Apply ``exclude``/``mask`` to a score vector [n_items] and take the top ``k``."""
        if exclude is not None or mask is not None:
            scores = scores.copy()
            if mask is not None:
                scores[~np.asarray(mask, dtype=bool)] = -np.inf
            if exclude is not None:
                scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
        idx = top_k(scores, k)
        return idx, scores[idx]

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path, *, metadata: Mapping[str, Any] | None = None,
             metrics: Mapping[str, Any] | None = None,
             extra_arrays: Mapping[str, np.ndarray] | None = None) -> Path:
        """Write a versioned artifact directory (``arrays.npz`` + ``meta.json``).

        ``metadata`` and ``metrics`` are merged into :attr:`metadata` / :attr:`metrics`
        and must be JSON-serialisable.
        """
        self._check_fitted()
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        if metadata:
            self.metadata.update(metadata)
        if metrics:
            self.metrics.update(metrics)
        arrays: dict[str, np.ndarray | None] = {
            "user_embeddings": self.user_embeddings_, "user_biases": self.user_biases_,
            "item_embeddings": self.item_embeddings_, "item_biases": self.item_biases_,
        }
        for name, m in (("item_features", self.item_features_), ("user_features", self.user_features_)):
            assert m is not None
            arrays[f"{name}_data"] = m.data
            arrays[f"{name}_indices"] = m.indices
            arrays[f"{name}_indptr"] = m.indptr
            arrays[f"{name}_shape"] = np.asarray(m.shape, dtype=np.int64)
        for name, arr in (extra_arrays or {}).items():
            arrays[f"extra_{name}"] = np.asarray(arr)
        np.savez(out / "arrays.npz", **arrays)  # type: ignore[arg-type]
        meta = {
            "format": ARTIFACT_FORMAT, "version": ARTIFACT_VERSION,
            "params": self.get_params(), "metadata": self.metadata, "metrics": self.metrics,
        }
        (out / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return out

    @classmethod
    def load(cls, path: str | Path) -> HybridRecommender:
        """Load an artifact written by :meth:`save` (scoring only; no further training)."""
        src = Path(path)
        meta = json.loads((src / "meta.json").read_text())
        if meta.get("format") != ARTIFACT_FORMAT or meta.get("version") != ARTIFACT_VERSION:
            raise ValueError(
                f"{src} is not a {ARTIFACT_FORMAT} v{ARTIFACT_VERSION} artifact "
                f"(found {meta.get('format')} v{meta.get('version')}).")
        model = cls(**meta["params"])
        model.metadata = dict(meta["metadata"])
        model.metrics = dict(meta["metrics"])
        with np.load(src / "arrays.npz", allow_pickle=False) as z:
            model.user_embeddings_ = z["user_embeddings"]
            model.user_biases_ = z["user_biases"]
            model.item_embeddings_ = z["item_embeddings"]
            model.item_biases_ = z["item_biases"]
            mats = {}
            for name in ("item_features", "user_features"):
                mats[name] = sp.csr_matrix(
                    (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]),
                    shape=tuple(z[f"{name}_shape"]))
            model.extra_arrays = {k[6:]: z[k] for k in z.files if k.startswith("extra_")}
        model.user_features_ = mats["user_features"]
        model.set_items(mats["item_features"])
        return model

    def _check_fitted(self) -> None:
        if self.item_embeddings_ is None or self.user_embeddings_ is None:
            raise ValueError("HybridRecommender is not fitted; call fit() or load().")


def _features_or_identity(m: sp.spmatrix | None, n: int, name: str) -> sp.csr_matrix:
    if m is None:
        return sp.identity(n, dtype=np.float32, format="csr")
    out = sp.csr_matrix(m, dtype=np.float32)
    if out.shape[0] != n:
        raise ValueError(f"{name} has {out.shape[0]} rows, expected {n}.")
    return out
