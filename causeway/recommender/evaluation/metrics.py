"""Ranking, coverage and exposure metrics for top-k recommendation.

``rankings`` is a sequence of int arrays (one list per user, best first; lists may be
shorter than ``k``) or an int array [n_users, >= k]; ``relevant`` is a sequence of
collections of relevant item ids, one per user. Relevance is binary. Accuracy metrics
average over users; users with no relevant items are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from causeway.stats import gini

Rankings = Sequence[Sequence[int]] | Sequence[np.ndarray] | np.ndarray


def _pairs(rankings: Rankings, relevant: Sequence[Collection[int]], k: int):
    if len(rankings) != len(relevant):
        raise ValueError("rankings and relevant must have one entry per user.")
    if k < 1:
        raise ValueError("k must be 1 or larger.")
    for ranking, rel in zip(rankings, relevant):
        rel_set = {int(x) for x in rel}
        if rel_set:
            top = [int(x) for x in list(ranking)[:k]]
            yield top, rel_set


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def precision_at_k(rankings: Rankings, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean over users of |top-k ∩ relevant| / k."""
    return _mean([sum(i in rel for i in top) / k for top, rel in _pairs(rankings, relevant, k)])


def recall_at_k(rankings: Rankings, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean over users of |top-k ∩ relevant| / |relevant|."""
    return _mean([sum(i in rel for i in top) / len(rel)
                  for top, rel in _pairs(rankings, relevant, k)])


def ndcg_at_k(rankings: Rankings, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean binary NDCG@k: DCG uses 1/log2(position + 1) (positions from 1); the ideal
    DCG places min(|relevant|, k) hits first."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = []
    for top, rel in _pairs(rankings, relevant, k):
        dcg = sum(disc[p] for p, i in enumerate(top) if i in rel)
        out.append(dcg / disc[: min(len(rel), k)].sum())
    return _mean(out)


def map_at_k(rankings: Rankings, relevant: Sequence[Collection[int]], k: int) -> float:
    """Mean average precision at k: AP@k = sum over hits at position p of precision@p,
    divided by min(|relevant|, k)."""
    out = []
    for top, rel in _pairs(rankings, relevant, k):
        hits, total = 0, 0.0
        for p, i in enumerate(top, start=1):
            if i in rel:
                hits += 1
                total += hits / p
        out.append(total / min(len(rel), k))
    return _mean(out)


def coverage_at_k(rankings: Rankings, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    seen = {int(i) for ranking in rankings for i in list(ranking)[:k]}
    return len(seen) / n_items


def long_tail_share(rankings: Rankings, tail: np.ndarray, k: int) -> float:
    """Share of recommended slots (top-k of every list) taken by long-tail items.

    ``tail`` is a bool array [n_items]; the usual definition is every item outside the
    top 20% by interactions (see :func:`long_tail_mask`).
    """
    tail = np.asarray(tail, dtype=bool)
    items = [int(i) for ranking in rankings for i in list(ranking)[:k]]
    return float(np.mean(tail[items])) if items else float("nan")


def long_tail_mask(item_counts: np.ndarray, head_share: float = 0.2) -> np.ndarray:
    """Bool [n_items]: True for items outside the ``head_share`` most-interacted items
    (ties broken by item index, so the head has exactly ceil(head_share * n) items)."""
    counts = np.asarray(item_counts, dtype=float)
    n_head = int(np.ceil(head_share * counts.size))
    order = np.lexsort((np.arange(counts.size), -counts))
    tail = np.ones(counts.size, dtype=bool)
    tail[order[:n_head]] = False
    return tail


def exposure_gini(rankings: Rankings, n_items: int, k: int,
                  position_discount: bool = False) -> float:
    """Gini of item exposure over the whole catalogue (items never shown count as 0).

    Exposure is the number of top-k slots an item gets, or with ``position_discount``
    the sum of 1/log2(position + 1). NaN when nothing was shown (as the analytics' Gini).
    """
    exposure = np.zeros(n_items)
    for ranking in rankings:
        top = np.asarray(list(ranking)[:k], dtype=np.int64)
        w = 1.0 / np.log2(np.arange(2, top.size + 2)) if position_discount else np.ones(top.size)
        np.add.at(exposure, top, w)
    return gini(exposure)
