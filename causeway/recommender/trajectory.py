"""Trajectory recommendation: the best path of exactly ``L`` POIs from a start to an end POI.

A pure library (arrays in, POI sequences out) learned from observed trajectories, such as
the Flickr photo trails of ``causeway eval trajectories``. POIs are positions ``0..n_pois-1``;
a trajectory is a sequence of distinct POI positions in visit order.

The model has two learned parts and an exact decoder:

* **Which POIs** (a ranking model). For a query ``(start, end, L)`` every other POI ``p``
  gets a score ``w . f(p)`` from features of the query and the POI:

  - co-visit evidence ``log(P(p | start) + P(p | end))``, where ``P(p | s)`` is the share
    of the trajectories through ``s`` that also visit ``p``, Dirichlet-smoothed towards
    popularity (``smoothing`` pseudo-trajectories);
  - popularity ``log P(p)`` (share of trajectories visiting ``p``, add-one smoothed);
  - the detour ``d(s, p) + d(p, e) - d(s, e)`` in km (great-circle), capped at
    ``detour_cap`` times the median distance between POIs (a guard against absurd
    coordinates; tighter caps, 2x or 10x, measured worse on the Flickr cities).

  ``w`` is fitted by a listwise conditional-logit (softmax over the candidate POIs of a
  query, each true middle POI a positive) with an L2 penalty, on one query per training
  trajectory of at least three POIs. The counts behind a training query's features leave
  out that trajectory itself, so training sees features as a new query would.

* **In which order** (a pairwise precedence model, the Markov part). For two chosen POIs
  ``a`` and ``b``, ``P(a before b)`` is a logistic function of the precedence log-odds
  ``log((n(a<b) + 1) / (n(b<a) + 1))`` counted over training trajectories, and of the
  progress difference ``(d(s,b) - d(b,e)) - (d(s,a) - d(a,e))`` along the start-end axis.
  Fitted by logistic regression on the ordered POI pairs of the training trajectories
  (again with each trajectory's own counts left out).

* **Decoder.** F1 on points rewards the POIs alone, so the ``L - 2`` middle POIs are the
  ``L - 2`` best scored (ties to the lower position). Their order maximises the sum over
  all ordered pairs of ``log P(a before b)``, found exactly by dynamic programming over
  subsets (``2^k`` states for ``k`` middle POIs; ``k <= 16``, beyond which a greedy order
  refined by adjacent swaps is used). The path is ``start``, the middle POIs, ``end``:
  exactly ``L`` distinct POIs.

``PopularityTrajectoryRecommender`` (the ``L - 2`` most visited POIs, ordered along the
start-end axis) is the reference baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_expit, logsumexp

from causeway.geo import haversine_km

MAX_EXACT_ORDER = 16


def haversine_matrix(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances in km between all pairs of points: float64 [n, n]."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    return haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :])


def _check_trajectories(trajectories: Sequence[Sequence[int]], n_pois: int) -> list[np.ndarray]:
    out = []
    for k, t in enumerate(trajectories):
        arr = np.asarray(t, dtype=np.int64).reshape(-1)
        if arr.size == 0:
            raise ValueError(f"trajectory {k} is empty.")
        if arr.min() < 0 or arr.max() >= n_pois:
            raise ValueError(f"trajectory {k} has a POI outside 0..{n_pois - 1}.")
        if np.unique(arr).size != arr.size:
            raise ValueError(f"trajectory {k} visits a POI twice; merge repeat visits first.")
        out.append(arr)
    return out


def _check_query(start: int, end: int, length: int, n_pois: int) -> None:
    if not (0 <= start < n_pois and 0 <= end < n_pois):
        raise ValueError(f"start and end must be POI positions 0..{n_pois - 1}.")
    if start == end:
        raise ValueError("start and end must be different POIs.")
    if length < 2:
        raise ValueError("length must be 2 or more (it counts the start and end POIs).")
    if length > n_pois:
        raise ValueError(f"length {length} exceeds the number of POIs ({n_pois}).")


class CoVisitCounts:
    """Counts over a set of trajectories.

    Attributes
    ----------
    incidence : float64 [n_trajectories, n_pois], 1 where the trajectory visits the POI.
    visits : float64 [n_pois], trajectories visiting each POI.
    covisits : float64 [n_pois, n_pois], trajectories visiting both POIs (diagonal = visits).
    precedes : float64 [n_pois, n_pois], trajectories visiting ``a`` before ``b``.
    """

    def __init__(self, trajectories: Sequence[np.ndarray], n_pois: int) -> None:
        n = len(trajectories)
        inc = np.zeros((n, n_pois))
        rows = np.repeat(np.arange(n), [len(t) for t in trajectories])
        if n:
            inc[rows, np.concatenate(trajectories)] = 1.0
        self.incidence = inc
        self.visits = inc.sum(axis=0)
        self.covisits = inc.T @ inc
        firsts, seconds = [], []
        for t in trajectories:
            if len(t) > 1:
                a, b = _pairs_of(len(t))
                firsts.append(t[a])
                seconds.append(t[b])
        prec = np.zeros((n_pois, n_pois))
        if firsts:
            np.add.at(prec, (np.concatenate(firsts), np.concatenate(seconds)), 1.0)
        self.precedes = prec


_PAIRS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _pairs_of(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of a sequence of length ``n`` (cached)."""
    if n not in _PAIRS:
        _PAIRS[n] = np.triu_indices(n, k=1)
    return _PAIRS[n]


def _standardise(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vals = x[mask]
    mu = vals.mean(axis=0)
    sd = vals.std(axis=0)
    sd[sd < 1e-12] = 1.0
    return mu, sd


class TrajectoryRecommender:
    """Learned POI ranking + pairwise precedence model + exact path decoder.

    Parameters
    ----------
    l2 : L2 penalty of both logistic models (on standardised features).
    smoothing : pseudo-trajectories of the popularity prior in ``P(p | s)``.
    detour_cap : the detour feature is capped at this multiple of the median POI distance.
    """

    feature_names = ("covisit", "popularity", "detour_km")

    def __init__(self, l2: float = 1.0, smoothing: float = 1.0, detour_cap: float = 100.0
                 ) -> None:
        if l2 < 0 or smoothing <= 0 or detour_cap <= 0:
            raise ValueError("l2 must be >= 0; smoothing and detour_cap must be > 0.")
        self.l2 = l2
        self.smoothing = smoothing
        self.detour_cap = detour_cap

    # ------------------------------------------------------------------ features
    def _poi_features(self, starts: np.ndarray, ends: np.ndarray, own: np.ndarray | None
                      ) -> np.ndarray:
        """Features [n_queries, n_pois, 3]; ``own`` [n_queries, n_pois] is subtracted from the
        counts (a training query's own trajectory), or None for a new query."""
        c = self.counts_
        n = len(starts)
        visits = np.broadcast_to(c.visits, (n, self.n_pois_)).copy()
        cov_s = c.covisits[starts].copy()
        cov_e = c.covisits[ends].copy()
        n_traj = np.full((n, 1), float(c.incidence.shape[0]))
        if own is not None:
            visits -= own
            cov_s -= own
            cov_e -= own
            n_traj -= 1.0
        prior = (visits + 1.0) / (n_traj + self.n_pois_)
        r = np.arange(n)
        a = self.smoothing
        p_s = (cov_s + a * prior) / (visits[r, starts][:, None] + a)
        p_e = (cov_e + a * prior) / (visits[r, ends][:, None] + a)
        dist = self.distances_
        detour = dist[starts] + dist[ends] - dist[starts, ends][:, None]
        detour = np.clip(detour, 0.0, self.detour_cap_km_)
        return np.stack([np.log(p_s + p_e), np.log(prior), detour], axis=2)

    def _pair_features(self, a: np.ndarray, b: np.ndarray, s: np.ndarray, e: np.ndarray,
                       prec_ab: np.ndarray, prec_ba: np.ndarray) -> np.ndarray:
        dist = self.distances_
        progress = (dist[s, b] - dist[b, e]) - (dist[s, a] - dist[a, e])
        return np.stack([np.log((prec_ab + 1.0) / (prec_ba + 1.0)), progress], axis=-1)

    # ------------------------------------------------------------------ fitting
    def fit(self, trajectories: Sequence[Sequence[int]], lat: np.ndarray, lon: np.ndarray
            ) -> TrajectoryRecommender:
        """Learn from trajectories (POI positions in visit order; any length >= 1).

        ``lat``/``lon``: float [n_pois], the POI coordinates in degrees.
        """
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        if lat.shape != lon.shape or lat.ndim != 1 or lat.size < 3:
            raise ValueError("lat and lon must be 1-d arrays of the same length (>= 3 POIs).")
        self.n_pois_ = lat.size
        trajs = _check_trajectories(trajectories, self.n_pois_)
        self.distances_ = haversine_matrix(lat, lon)
        off = self.distances_[~np.eye(self.n_pois_, dtype=bool)]
        self.detour_cap_km_ = float(self.detour_cap * np.median(off)) if off.size else 1.0
        self.counts_ = CoVisitCounts(trajs, self.n_pois_)
        queries = [t for t in trajs if len(t) >= 3]
        self.n_training_queries_ = len(queries)
        self._fit_ranker(queries)
        self._fit_order(queries)
        return self

    def _fit_ranker(self, queries: list[np.ndarray]) -> None:
        k = len(self.feature_names)
        self.mu_, self.sd_ = np.zeros(k), np.ones(k)
        self.coef_ = np.zeros(k)
        self.coef_[0] = 1.0
        self.train_nll_ = float("nan")
        if not queries:  # nothing to learn from: co-visit evidence alone
            return
        n, P = len(queries), self.n_pois_
        starts = np.array([t[0] for t in queries])
        ends = np.array([t[-1] for t in queries])
        own = np.zeros((n, P))
        truth = np.zeros((n, P))
        for q, t in enumerate(queries):
            own[q, t] = 1.0
            truth[q, t[1:-1]] = 1.0
        feats = self._poi_features(starts, ends, own)
        cand = np.ones((n, P), dtype=bool)
        cand[np.arange(n), starts] = False
        cand[np.arange(n), ends] = False
        self.mu_, self.sd_ = _standardise(feats, cand)
        z = (feats - self.mu_) / self.sd_
        target = truth / truth.sum(axis=1, keepdims=True)  # each query weighs 1
        w0 = np.zeros(k)
        w0[0] = 1.0
        self.coef_, self.train_nll_ = _fit_softmax(z, cand, target, self.l2, w0)

    def _fit_order(self, queries: list[np.ndarray]) -> None:
        prec = self.counts_.precedes
        rows = []
        for t in queries:
            mid = t[1:-1]
            if len(mid) < 2:
                continue
            i, j = np.triu_indices(len(mid), k=1)
            a, b = mid[i], mid[j]
            # this trajectory adds 1 to prec[a, b] for each of its pairs (a before b)
            f = self._pair_features(a, b, np.full(a.size, t[0]), np.full(a.size, t[-1]),
                                    prec[a, b] - 1.0, prec[b, a])
            rows.append(f)
        if not rows:
            self.order_coef_ = np.array([1.0, 0.1])
            return
        pos = np.concatenate(rows)
        x = np.concatenate([pos, -pos])  # (a, b) is "a before b"; (b, a) is not
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(pos))])
        lam = self.l2

        def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
            m = x @ w
            loss = -(y * log_expit(m) + (1 - y) * log_expit(-m)).sum() + 0.5 * lam * w @ w
            p = np.exp(log_expit(m))
            return float(loss), x.T @ (p - y) + lam * w

        self.order_coef_ = minimize(objective, np.zeros(2), jac=True, method="L-BFGS-B").x

    # ------------------------------------------------------------------ prediction
    def poi_scores(self, start: int, end: int, length: int) -> np.ndarray:
        """Ranking scores float64 [n_pois] for the middle POIs; ``-inf`` at start and end."""
        _check_query(start, end, length, self.n_pois_)
        feats = self._poi_features(np.array([start]), np.array([end]), None)[0]
        scores = ((feats - self.mu_) / self.sd_) @ self.coef_
        scores[[start, end]] = -np.inf
        return scores

    def precedence_log_probs(self, pois: np.ndarray, start: int, end: int) -> np.ndarray:
        """``W[i, j] = log P(pois[i] before pois[j])`` float64 [k, k] (diagonal 0)."""
        pois = np.asarray(pois, dtype=np.int64)
        a, b = np.meshgrid(pois, pois, indexing="ij")
        prec = self.counts_.precedes
        f = self._pair_features(a, b, np.full(a.shape, start), np.full(a.shape, end),
                                prec[a, b], prec[b, a])
        w = log_expit(f @ self.order_coef_)
        np.fill_diagonal(w, 0.0)
        return w

    def recommend(self, start: int, end: int, length: int) -> list[int]:
        """The recommended trajectory: ``length`` distinct POIs from ``start`` to ``end``."""
        scores = self.poi_scores(start, end, length)
        return decode_path(scores, start, end, length,
                           lambda mid: self.precedence_log_probs(mid, start, end))


def _fit_softmax(z: np.ndarray, cand: np.ndarray, target: np.ndarray, l2: float,
                 w0: np.ndarray) -> tuple[np.ndarray, float]:
    """Conditional logit over candidates: weights and the unpenalised negative
    log-likelihood. ``z`` [n, P, k] features, ``cand`` [n, P] bool, ``target`` [n, P] rows
    summing to 1 over the true POIs."""

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = np.where(cand, z @ w, -np.inf)
        logp = s - logsumexp(s, axis=1, keepdims=True)
        logp = np.where(cand, logp, 0.0)
        loss = -(target * logp).sum() + 0.5 * l2 * w @ w
        grad = -np.einsum("qp,qpk->k", target - np.exp(logp) * cand, z) + l2 * w
        return float(loss), grad

    w = minimize(objective, w0, jac=True, method="L-BFGS-B").x
    return w, objective(w)[0] - 0.5 * l2 * float(w @ w)


class PopularityTrajectoryRecommender:
    """Baseline: the ``L - 2`` most visited POIs, ordered along the start-end axis."""

    def fit(self, trajectories: Sequence[Sequence[int]], lat: np.ndarray, lon: np.ndarray
            ) -> PopularityTrajectoryRecommender:
        lat = np.asarray(lat, dtype=np.float64)
        self.n_pois_ = lat.size
        trajs = _check_trajectories(trajectories, self.n_pois_)
        self.visits_ = CoVisitCounts(trajs, self.n_pois_).visits
        self.distances_ = haversine_matrix(lat, lon)
        return self

    def recommend(self, start: int, end: int, length: int) -> list[int]:
        _check_query(start, end, length, self.n_pois_)
        scores = self.visits_.astype(np.float64).copy()
        scores[[start, end]] = -np.inf
        d = self.distances_

        def precedence(mid: np.ndarray) -> np.ndarray:
            prog = d[start, mid] - d[mid, end]
            return np.where(prog[:, None] < prog[None, :], 0.0, -1.0)

        return decode_path(scores, start, end, length, precedence)


# ---------------------------------------------------------------------- decoding
def best_order(weights: np.ndarray) -> np.ndarray:
    """Permutation of ``0..k-1`` maximising ``sum over i before j of weights[i, j]``.

    Exact dynamic programming over subsets for ``k <= 16`` (ties to the lexicographically
    first choice); above that a greedy order refined by adjacent swaps.
    """
    w = np.asarray(weights, dtype=np.float64)
    k = w.shape[0]
    if k <= 1:
        return np.arange(k)
    if k > MAX_EXACT_ORDER:
        return _greedy_order(w)
    n_masks = 1 << k
    bits = ((np.arange(n_masks)[:, None] >> np.arange(k)) & 1).astype(np.float64)
    # gain[mask, x]: placing x right after the POIs in mask adds sum_{a in mask} w[a, x]
    gain = bits @ w
    best = np.full(n_masks, -np.inf)
    best[0] = 0.0
    choice = np.zeros(n_masks, dtype=np.int64)
    for mask in range(n_masks):
        # best[mask] is final here: every predecessor mask is numerically smaller
        if mask == 0:
            continue
        members = np.flatnonzero(bits[mask])
        prev = mask ^ (1 << members)
        vals = best[prev] + gain[prev, members]
        j = int(np.argmax(vals))
        best[mask] = vals[j]
        choice[mask] = members[j]
    order = []
    mask = n_masks - 1
    while mask:
        x = int(choice[mask])
        order.append(x)
        mask ^= 1 << x
    return np.array(order[::-1])


def _greedy_order(w: np.ndarray) -> np.ndarray:
    k = w.shape[0]
    order = list(np.argsort(-(w.sum(axis=1) - w.sum(axis=0)), kind="stable"))
    improved = True
    while improved:
        improved = False
        for i in range(k - 1):
            a, b = order[i], order[i + 1]
            if w[b, a] > w[a, b]:
                order[i], order[i + 1] = b, a
                improved = True
    return np.array(order)


def decode_path(scores: np.ndarray, start: int, end: int, length: int, precedence) -> list[int]:
    """The ``length - 2`` best-scored POIs other than start and end (ties to the lower
    position), ordered by ``best_order(precedence(middle))``; returns ``[start, ..., end]``.

    ``precedence(middle)`` takes the int array of middle POIs and returns the [k, k] matrix
    of ``log P(middle[i] before middle[j])``.
    """
    scores = np.asarray(scores, dtype=np.float64).copy()
    n = scores.size
    _check_query(start, end, length, n)
    scores[[start, end]] = -np.inf
    k = length - 2
    middle = np.argsort(-scores, kind="stable")[:k]
    if k > 1:
        middle = middle[best_order(precedence(middle))]
    return [int(start), *(int(p) for p in middle), int(end)]
