"""Re-ranking after scoring: hard filters, diversity and exposure fairness.

The scorer ranks by predicted interest alone; :func:`rerank` then builds the list the
visitor sees, greedily, in the style of maximal marginal relevance (MMR):

``value(i) = (1 - diversity) * rel(i) - diversity * max_sim(i, chosen) + boost * small(i)``

where ``rel`` is the score min-max normalised over the candidate pool, ``max_sim`` the
largest similarity (shared categories, same area) to an item already chosen, and
``small`` marks items of small providers. A quota (``min_small_share``) guarantees small
providers a share of the slots when they have eligible items. Hard filters (open during
the stay, within reach of the visitor's base) remove items before any of this.

``exposure_price`` is the amortized alternative to the boost and the quota
(:mod:`causeway.recommender.exposure`): the greedy pass that decides *which* ``k`` items
are in the list adds ``exposure_price * small(i)``, and a second pass over those items
alone, without the price, decides the order they are shown in. The price is one number for
every visitor, solved over a sample of visitors so that small providers' share of the
slots rises by a target (:func:`solve_exposure_price`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from causeway import geo
from causeway.recommender.model import top_k


@dataclass(frozen=True)
class RerankConfig:
    """Re-ranking knobs; every default is a mild setting.

    Attributes
    ----------
    diversity
        MMR trade-off in [0, 1]: 0 ranks by score only, 1 by novelty only.
    area_weight
        Share of the item-item similarity that comes from being in the same area
        (the rest from shared categories).
    small_provider_boost
        Added to the normalised relevance (in [0, 1]) of small providers' items.
    min_small_share
        Minimum share of the ``k`` slots for small providers' items, when eligible
        items exist (0 disables the quota).
    candidates
        Size of the pool taken from the top of the scores before re-ranking.
    exposure_price
        Added to small providers' value when choosing the members of the list, not when
        ordering them (0 disables); see :func:`solve_exposure_price`.
    """

    diversity: float = 0.3
    area_weight: float = 0.5
    small_provider_boost: float = 0.05
    min_small_share: float = 0.2
    candidates: int = 200
    exposure_price: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError("diversity must be in [0, 1].")
        if not 0.0 <= self.area_weight <= 1.0:
            raise ValueError("area_weight must be in [0, 1].")
        if not 0.0 <= self.min_small_share <= 1.0:
            raise ValueError("min_small_share must be in [0, 1].")
        if self.candidates < 1:
            raise ValueError("candidates must be 1 or larger.")
        if not (self.exposure_price >= 0.0 and math.isfinite(self.exposure_price)):
            raise ValueError("exposure_price must be a finite number >= 0.")


NO_RERANK = RerankConfig(diversity=0.0, small_provider_boost=0.0, min_small_share=0.0)


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """:func:`causeway.geo.haversine_km` from one point to arrays of points, in float32 (about
    1 m of error at city scale) because it runs over the whole catalogue on every request; [n]."""
    return geo.haversine_km(lat, lon, lats, lons, dtype=np.float32)


def filter_mask(
    n_items: int,
    *,
    open_during_stay: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    distances_km: np.ndarray | None = None,
    max_km: float | None = None,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Combine hard filters into one boolean mask [n_items] (True = may be recommended).

    Parameters
    ----------
    open_during_stay
        Bool array [n_items], or a callable taking item indices [m] and returning bools
        [m] (evaluated lazily, only for items that passed the other filters).
    distances_km
        Distance of each item from the visitor's base [n_items]; with ``max_km`` items
        farther away are removed.
    allowed
        Any further bool mask [n_items] (status, accessibility needs, ...).
    """
    mask = np.ones(n_items, dtype=bool) if allowed is None else np.asarray(allowed, bool).copy()
    if max_km is not None:
        if distances_km is None:
            raise ValueError("max_km needs distances_km.")
        mask &= np.asarray(distances_km) <= max_km
    if open_during_stay is not None:
        if callable(open_during_stay):
            idx = np.flatnonzero(mask)
            mask[idx] = np.asarray(open_during_stay(idx), dtype=bool)
        else:
            mask &= np.asarray(open_during_stay, dtype=bool)
    return mask


def rerank(
    scores: np.ndarray,
    k: int,
    *,
    item_categories: sp.spmatrix | None = None,
    item_areas: np.ndarray | None = None,
    small_provider: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    config: RerankConfig = RerankConfig(),
) -> np.ndarray:
    """Re-rank one visitor's scores into a diverse, fair top-``k``.

    Parameters
    ----------
    scores : ndarray [n_items]
        Model scores, higher is better.
    k
        Length of the returned list.
    item_categories : sparse or dense matrix [n_items, n_categories], optional
        Category (or theme) indicators used for diversity.
    item_areas : int array [n_items], optional
        Area code of each item (negative = unknown), used for diversity.
    small_provider : bool array [n_items], optional
        Items of small providers (fairness boost and quota).
    mask : bool array [n_items], optional
        Hard filters from :func:`filter_mask`.
    config
        The knobs; :data:`NO_RERANK` reproduces plain top-``k``.

    Returns
    -------
    ndarray [<= k], int64 item indices in display order.
    """
    s = np.asarray(scores, dtype=np.float64)
    if mask is not None:
        s = np.where(np.asarray(mask, dtype=bool), s, -np.inf)
    pool = top_k(s, max(k, config.candidates))
    if pool.size == 0 or k <= 0:
        return pool[:0]
    rel = s[pool]
    span = rel.max() - rel.min()
    rel = (rel - rel.min()) / span if span > 0 else np.ones_like(rel)
    small = (np.zeros(pool.size, bool) if small_provider is None
             else np.asarray(small_provider, bool)[pool])
    sim_parts: list[tuple[float, np.ndarray]] = []
    if config.diversity > 0 and item_categories is not None:
        rows = item_categories[pool]
        cats = np.asarray(rows.toarray() if sp.issparse(rows) else rows, dtype=np.float64)
        norms = np.sqrt((cats * cats).sum(axis=1))
        norms[norms == 0] = 1.0
        cats = cats / norms[:, None]
        sim_parts.append((1.0 - config.area_weight if item_areas is not None else 1.0,
                          cats @ cats.T))
    if config.diversity > 0 and item_areas is not None:
        areas = np.asarray(item_areas)[pool]
        same = (areas[:, None] == areas[None, :]) & (areas[:, None] >= 0)
        weight = config.area_weight if item_categories is not None else 1.0
        sim_parts.append((weight, same.astype(np.float64)))
    base = (1.0 - config.diversity) * rel + config.small_provider_boost * small
    quota = math.ceil(config.min_small_share * k) if small_provider is not None else 0
    n_out = min(k, pool.size)
    price = config.exposure_price if small_provider is not None else 0.0
    if price > 0:
        members = _greedy(base + price * small, small, sim_parts, config.diversity, quota,
                          n_out, np.ones(pool.size, dtype=bool))
        eligible = np.zeros(pool.size, dtype=bool)
        eligible[members] = True
        out = _greedy(base, small, sim_parts, config.diversity, 0, n_out, eligible)
    else:
        out = _greedy(base, small, sim_parts, config.diversity, quota, n_out,
                      np.ones(pool.size, dtype=bool))
    return pool[np.asarray(out, dtype=np.int64)]


def _greedy(base: np.ndarray, small: np.ndarray, sim_parts: list[tuple[float, np.ndarray]],
            diversity: float, quota: int, n_out: int, eligible: np.ndarray) -> list[int]:
    """The MMR pass of :func:`rerank` over the pool positions where ``eligible`` is true."""
    max_sim = np.zeros(base.size)
    taken = ~eligible
    n_small = 0
    out: list[int] = []
    n_out = min(n_out, int(eligible.sum()))
    for step in range(n_out):
        value = base - diversity * max_sim
        value[taken] = -np.inf
        slots_left = n_out - step
        if quota - n_small >= slots_left and (small & ~taken).any():
            value[~small] = -np.inf
        j = int(np.argmax(value))
        taken[j] = True
        n_small += int(small[j])
        out.append(j)
        if sim_parts:
            sim_j = sum(w * m[:, j] for w, m in sim_parts)
            max_sim = np.maximum(max_sim, sim_j)
    return out


def pool_relevance(scores: np.ndarray, config: RerankConfig, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(pool item indices [n, p], the pool's ``(1 - diversity) * rel`` [n, p]) for a batch of
    visitors' scores [n, n_items], as :func:`rerank` computes them (without the similarity
    term, which depends on the order)."""
    s = np.asarray(scores, dtype=np.float64)
    p = min(max(k, config.candidates), s.shape[1])
    part = np.argpartition(-s, p - 1, axis=1)[:, :p] if p < s.shape[1] else np.tile(
        np.arange(s.shape[1]), (s.shape[0], 1))
    vals = np.take_along_axis(s, part, axis=1)
    lo, hi = vals.min(axis=1, keepdims=True), vals.max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    rel = np.where(hi > lo, (vals - lo) / span, 1.0)
    return part, (1.0 - config.diversity) * rel


def solve_exposure_price(scores: np.ndarray, small_provider: np.ndarray, k: int,
                         target_gain: float, config: RerankConfig) -> dict[str, float]:
    """The exposure price that raises small providers' share of ``k`` slots by
    ``target_gain`` over a sample of visitors' scores [n, n_items].

    The price is solved on the re-ranker's own scale (min-max relevance over each visitor's
    pool, weighted by ``1 - diversity``) with :func:`~causeway.recommender.exposure.solve_price`;
    the similarity term is left out (it depends on the order). Returns the price and the
    sample's share of small-provider slots before and after.
    """
    from causeway.recommender.exposure import priced_top_k, solve_price, tail_share

    small = np.asarray(small_provider, dtype=bool)
    pool, value = pool_relevance(scores, config, k)
    flags = small[pool]
    before = tail_share(priced_top_k(value, flags, k, 0.0), flags)
    price = solve_price(value, flags, k, before + target_gain) if target_gain > 0 else 0.0
    after = tail_share(priced_top_k(value, flags, k, price), flags)
    return {"price": float(price), "share_before": before, "share_after": after,
            "visitors": int(value.shape[0])}


def exposure_by_group(
    rankings: Sequence[np.ndarray] | np.ndarray,
    item_group: np.ndarray,
    *,
    position_discount: bool = True,
) -> dict[str, float]:
    """Share of exposure per item group (e.g. provider size class).

    Parameters
    ----------
    rankings : list of int arrays, or int array [n_lists, k]
        Recommendation lists, best first.
    item_group : array [n_items]
        Group label of each item.
    position_discount
        Weight position ``p`` (0-based) by ``1 / log2(p + 2)`` as in NDCG, since lower
        slots get less attention; otherwise every slot counts 1.

    Returns
    -------
    dict group -> share of total exposure (sums to 1).
    """
    groups = np.asarray(item_group)
    totals: dict[str, float] = {}
    for ranking in rankings:
        r = np.asarray(ranking, dtype=np.int64)
        w = 1.0 / np.log2(np.arange(r.size) + 2.0) if position_discount else np.ones(r.size)
        for g, x in zip(groups[r], w):
            totals[str(g)] = totals.get(str(g), 0.0) + float(x)
    total = sum(totals.values())
    return {g: v / total for g, v in sorted(totals.items())} if total else {}
