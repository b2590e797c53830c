"""k-anonymity for every number the board or a venue sees.

Rules (issue 6, item 4):

- **No identifiers out.** Aggregates read visitor, itinerary and recommendation ids to
  count distinct visitors and to join an itinerary's stops, and output none of them: a
  report row holds only keys from the catalogue (attraction, provider, category, size
  class), coarse keys (origin market, date, hour) and numbers.
- **Primary suppression.** Each cell (one number) carries its *support*: the distinct
  visitors behind the events it counts. A cell with support below ``k`` is suppressed:
  its value becomes ``None`` and its name is listed in the row's ``suppressed``. A cell
  whose value is 0 describes nobody and is shown.
- **Erased visitors.** ``DELETE /v1/visitors/me`` leaves the events with no visitor id.
  They still add to the values (aggregates survive erasure), but they add **nothing** to
  the support: they cannot be told apart, so counting each as a distinct visitor would
  let a handful of erased events carry a cell over the bar. A cell backed only by erased
  events therefore stays suppressed.
- **Secondary suppression.** Breakdowns partition totals that other reports publish, so
  a lone suppressed cell could be recovered by subtraction. Along each dimension of a
  breakdown (e.g. the attractions of one day, the days of one attraction), a group with
  exactly one suppressed cell also suppresses its unsuppressed cell of smallest support;
  repeated until no group has a lone suppressed cell.
- **Derived numbers** (rates, shares, medians over a suppressed cell) are suppressed
  with what they are derived from.

Every report says how many cells it suppressed (``suppressed_cells``) and its ``k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Masked:
    """A breakdown after suppression: values, and which cells were hidden and why."""

    values: pd.DataFrame  # index: the breakdown keys; columns: metrics
    primary: pd.DataFrame  # bool, same shape: support below k
    secondary: pd.DataFrame  # bool, same shape: hidden so that a primary cell cannot be derived

    @property
    def mask(self) -> pd.DataFrame:
        return self.primary | self.secondary

    @property
    def cells(self) -> int:
        return int(self.mask.to_numpy().sum())


def suppress(values: pd.DataFrame, support: pd.DataFrame, k: int, *,
             dims: Sequence[str] = (), secondary: bool = True) -> Masked:
    """Hide the cells of ``values`` backed by fewer than ``k`` distinct visitors.

    Parameters
    ----------
    values, support
        Same index and columns: the numbers, and the distinct visitors behind each.
    k
        The threshold (``settings.analytics_k``).
    dims
        Index levels along which secondary suppression runs (levels of a breakdown whose
        totals are published elsewhere); empty for none.
    """
    if k < 1:
        raise ValueError("k must be 1 or larger.")
    support = support.reindex(index=values.index, columns=values.columns).fillna(0)
    nonzero = values.fillna(0).to_numpy() != 0
    primary = pd.DataFrame((support.to_numpy() < k) & nonzero, index=values.index, columns=values.columns)
    second = pd.DataFrame(False, index=values.index, columns=values.columns)
    if secondary and dims and len(values):
        for col in values.columns:
            second[col] = _secondary(primary[col], support[col], nonzero[:, values.columns.get_loc(col)],
                                     dims)
    return Masked(values, primary, second & ~primary)


def _secondary(primary: pd.Series, support: pd.Series, nonzero: np.ndarray,
               dims: Sequence[str]) -> pd.Series:
    hidden = primary.to_numpy().copy()
    extra = np.zeros(len(hidden), dtype=bool)
    levels = list(primary.index.names)
    order = np.lexsort((np.arange(len(hidden)), support.to_numpy()))  # smallest support first
    rank = np.empty(len(hidden), dtype=int)
    rank[order] = np.arange(len(hidden))
    groupings = []
    for dim in dims:
        others = [lvl for lvl in levels if lvl != dim]
        if others:
            codes = pd.MultiIndex.from_frame(primary.index.to_frame(index=False)[others]) \
                if len(others) > 1 else primary.index.get_level_values(others[0])
            groupings.append(pd.factorize(codes)[0])
        else:
            groupings.append(np.zeros(len(hidden), dtype=int))
    for _ in range(len(hidden) + 1):
        changed = False
        for groups in groupings:
            frame = pd.DataFrame({"g": groups, "h": hidden})
            lone = frame.groupby("g")["h"].transform("sum").to_numpy() == 1
            sizes = frame.groupby("g")["h"].transform("size").to_numpy()
            for g in np.unique(groups[lone & (sizes > 1)]):
                members = np.flatnonzero((groups == g) & ~hidden)
                candidates = members[nonzero[members]] if nonzero[members].any() else members
                if len(candidates) == 0:
                    continue
                pick = candidates[np.argmin(rank[candidates])]
                hidden[pick] = extra[pick] = True
                changed = True
        if not changed:
            break
    return pd.Series(extra, index=primary.index)


def rows(keys: pd.DataFrame, masked: Masked, *, integer: bool = True) -> list[dict]:
    """Report rows: the key columns, then each metric (``None`` when hidden), then ``suppressed``."""
    out = []
    mask = masked.mask.to_numpy()
    vals = masked.values.to_numpy(dtype=float)
    names = list(masked.values.columns)
    for i, key in enumerate(keys.to_dict("records")):
        row = dict(key)
        hidden = []
        for j, name in enumerate(names):
            if mask[i, j]:
                row[name] = None
                hidden.append(name)
            else:
                v = vals[i, j]
                row[name] = None if np.isnan(v) else (int(v) if integer else float(v))
        row["suppressed"] = hidden
        out.append(row)
    return out
