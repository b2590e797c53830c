"""Inequality measures shared by the analytics reports and the recommender evaluations (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 equal, (n-1)/n when one holds everything.

    Undefined (NaN) for no values or when all are zero: nothing is shared out, so there is
    no concentration to measure (reports show it as missing, not as perfectly equal).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return math.nan
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * x).sum()) / (n * x.sum()) - (n + 1.0) / n)
