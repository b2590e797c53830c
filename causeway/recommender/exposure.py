"""Amortized exposure for long-tail (small-provider) items: one price shared by all lists.

Today's per-list fairness (:class:`~causeway.recommender.rerank.RerankConfig`'s boost and
slot quota) treats every list alike: each must give the long tail a share of its slots,
whether that costs the visitor a likely hit or nothing. Exposure is a total over many
lists (Biega, Gummadi and Weikum 2018, "Equity of attention: amortizing individual
fairness in rankings"; Singh and Joachims 2018, "Fairness of exposure in rankings"), so the
target can be met where it is cheapest. Relaxing the constraint "the long tail takes at
least a share ``T`` of all top-``k`` slots" with a Lagrange multiplier gives one rule for
every list::

    members(u) = top-k of  p(u, i) + price * tail(i)

where ``p`` is the relevance on a scale shared by all visitors and ``price`` the multiplier:
the smallest price at which the batch of lists reaches the target (:func:`solve_price`,
found by bisection on the scores alone, no labels). A list whose tail candidates are
nearly as likely as its weakest head items swaps them; a list where the head is clearly
better keeps it. The chosen ``k`` items are then **shown in relevance order**
(:func:`priced_top_k`): the price decides who is in the list, never who is on top, so a
swapped-in item takes a low slot and the visitor's likely hits keep theirs.

``p`` must be on a scale shared by all lists: the evaluation's prior blend is (visit counts
and standardised popularity); the served list's score is (the model's score min-max scaled
per visitor and blended with the interest match, both in [0, 1]). On Flickr an isotonic
calibration of the blend to a probability of a visit, and a logistic relevance model on
validation data, were tried as ``p`` and did no better (benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np


def _as_2d(a: np.ndarray) -> np.ndarray:
    x = np.asarray(a, dtype=np.float64)
    return x[None, :] if x.ndim == 1 else x


def priced_top_k(relevance: np.ndarray, tail: np.ndarray, k: int, price: float,
                 display: np.ndarray | None = None) -> np.ndarray:
    """Each row's top-``k`` by ``relevance + price * tail``, shown in ``display`` order.

    Parameters
    ----------
    relevance : ndarray [n_items] or [n_lists, n_items]
        Scores on a scale shared by all lists (higher is better; ``-inf`` = never shown).
    tail : bool ndarray [n_items] or [n_lists, n_items]
        Items the price favours (long tail, small providers).
    k
        List length.
    price
        The exposure price (>= 0); 0 gives plain top-``k``.
    display : ndarray like ``relevance``, optional
        The order the chosen items are shown in (default ``relevance``); ties in
        ``relevance`` (a calibration's flat steps) are broken by it as well.

    Returns
    -------
    int64 ndarray [n_lists, min(k, n_items)] (rows of a 1-d input: shape [1, k]); a row
    with fewer than ``k`` finite items is padded with its ``-inf`` items at the end.
    """
    if price < 0 or not np.isfinite(price):
        raise ValueError("price must be a finite number >= 0.")
    rel = _as_2d(relevance)
    shown = rel if display is None else _as_2d(display)
    if shown.shape != rel.shape:
        raise ValueError("display must have the shape of relevance.")
    t = np.broadcast_to(np.asarray(tail, dtype=bool), rel.shape)
    k = min(int(k), rel.shape[1])
    if k <= 0:
        return np.empty((rel.shape[0], 0), dtype=np.int64)
    value = rel + price * t
    # Primary key: priced value; ties broken by the display order, then item index.
    order = np.lexsort((np.broadcast_to(np.arange(rel.shape[1]), rel.shape), -shown, -value),
                       axis=-1)
    members = order[:, :k]
    rows = np.arange(rel.shape[0])[:, None]
    keys = shown[rows, members]
    within = np.lexsort((members, -keys), axis=-1)
    return members[rows, within].astype(np.int64)


def tail_share(top: np.ndarray, tail: np.ndarray) -> float:
    """Share of the slots of the lists ``top`` [n_lists, k] taken by ``tail`` items."""
    t = np.asarray(tail, dtype=bool)
    if t.ndim == 1:
        return float(t[top].mean()) if top.size else float("nan")
    rows = np.arange(top.shape[0])[:, None]
    return float(t[rows, top].mean()) if top.size else float("nan")


def solve_price(relevance: np.ndarray, tail: np.ndarray, k: int, target_share: float,
                *, iterations: int = 50) -> float:
    """The smallest price at which the lists' long-tail share reaches ``target_share``.

    The share grows with the price (in steps), so bisection finds it. A target above what
    any price reaches returns the price that reaches the maximum (every list's tail
    candidates first); a target already met returns 0.
    """
    rel = _as_2d(relevance)
    start = tail_share(priced_top_k(rel, tail, k, 0.0), tail)
    if start >= target_share:
        return 0.0
    finite = rel[np.isfinite(rel)]
    hi = float(finite.max() - finite.min()) + 1.0 if finite.size else 1.0
    best = tail_share(priced_top_k(rel, tail, k, hi), tail)
    if best <= start:  # no price changes anything (the tail is in every list already)
        return 0.0
    goal = min(target_share, best)
    lo = 0.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if tail_share(priced_top_k(rel, tail, k, mid), tail) >= goal:
            hi = mid
        else:
            lo = mid
    return hi
