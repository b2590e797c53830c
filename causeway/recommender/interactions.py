"""Engagement events -> weighted LightFM interaction matrices.

Each event contributes ``EVENT_WEIGHTS[type] * 0.5 ** (age_days / half_life_days)`` to
its (visitor, attraction) cell; a cell's weight is the sum, capped at ``max_weight``
so a visitor who opens the same page fifty times does not dominate training.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Relative strength of each event type as evidence of interest
#: (visit > save > media play > detail view > impression).
EVENT_WEIGHTS: dict[str, float] = {
    "visit": 5.0,
    "save": 3.0,
    "itinerary_created": 2.5,
    "virtual_visit": 2.0,
    "media_play": 2.0,
    "detail_view": 1.0,
    # An impression is exposure, barely evidence of interest; set it to 0 to drop them.
    "impression": 0.1,
}


def event_weights(
    events: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    half_life_days: float | None = 90.0,
    now: pd.Timestamp | float | None = None,
) -> np.ndarray:
    """Weight of each event row.

    Parameters
    ----------
    events
        Columns ``event_type`` (str) and, when ``half_life_days`` is set, ``timestamp``
        (datetime-like, or unix seconds as numbers).
    weights
        Weight per event type; defaults to :data:`EVENT_WEIGHTS`. Unknown types weigh 0.
    half_life_days
        Recency half-life; ``None`` disables the decay.
    now
        Reference time for the decay; defaults to the newest event.

    Returns
    -------
    ndarray of shape [len(events)], float64
    """
    table = dict(EVENT_WEIGHTS if weights is None else weights)
    w = (events["event_type"].astype(str).map(table).fillna(0.0)
         .to_numpy(dtype=np.float64))
    if half_life_days is not None and len(events):
        if half_life_days <= 0:
            raise ValueError("half_life_days must be positive or None.")
        seconds = _as_seconds(events["timestamp"])
        ref = float(np.nanmax(seconds)) if now is None else _as_seconds(pd.Series([now]))[0]
        age_days = np.clip(ref - seconds, 0.0, None) / 86400.0
        w = w * np.power(0.5, age_days / half_life_days)
    return w


def _as_seconds(ts: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(ts):
        return ts.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(ts, utc=True)
    return (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64)


def index_positions(column: pd.Series, index: Mapping[str, int]) -> np.ndarray:
    """``index[str(value)]`` for each value of ``column``, -1 where absent; [n] int64.

    A hash-index lookup: about 3x faster than ``Series.map(dict)`` on 1M events."""
    if not index:
        return np.full(len(column), -1, dtype=np.int64)
    keys = pd.Index(list(index.keys()))
    values = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    pos = keys.get_indexer(column.astype(str))
    return np.where(pos >= 0, values[pos], -1)


def build_interactions(
    events: pd.DataFrame,
    user_index: Mapping[str, int],
    item_index: Mapping[str, int],
    *,
    weights: Mapping[str, float] | None = None,
    half_life_days: float | None = 90.0,
    now: pd.Timestamp | float | None = None,
    max_weight: float = 10.0,
    user_column: str = "visitor_id",
    item_column: str = "attraction_id",
) -> tuple[sp.coo_matrix, sp.coo_matrix]:
    """Aggregate events into LightFM's ``interactions`` and ``sample_weight`` matrices.

    Events whose user or item is not in the index, or whose weight is 0, are dropped.

    Returns
    -------
    interactions : coo_matrix of shape [len(user_index), len(item_index)], float32
        1 where the visitor engaged with the attraction.
    sample_weight : coo_matrix of the same shape and sparsity, float32
        Decayed, summed and capped event weights.
    """
    shape = (len(user_index), len(item_index))
    w = event_weights(events, weights=weights, half_life_days=half_life_days, now=now)
    u = index_positions(events[user_column], user_index)
    i = index_positions(events[item_column], item_index)
    keep = (u >= 0) & (i >= 0) & (w > 0)
    rows = u[keep]
    cols = i[keep]
    summed = sp.coo_matrix((w[keep], (rows, cols)), shape=shape).tocsr()
    summed.sum_duplicates()
    summed.data = np.minimum(summed.data, max_weight)
    summed.eliminate_zeros()
    weight = summed.tocoo().astype(np.float32)
    inter = sp.coo_matrix((np.ones_like(weight.data), (weight.row, weight.col)), shape=shape)
    return inter, weight
