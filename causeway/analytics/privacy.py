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
- **Supports known only as bounds.** The rollups give each cell's support exactly when it
  is below k or close to it, and otherwise a lower bound of at least k (the distinct
  visitors of one day or month of the cell, see ``sources.py``). That decides primary
  suppression exactly; when secondary suppression must find a group's smallest support,
  the bounds that could be smaller than the smallest exact one are resolved exactly first
  (``resolve``), so the cells chosen are the same as with every support exact.
- **Derived numbers** (rates, shares, medians over a suppressed cell) are suppressed
  with what they are derived from.

Every report says how many cells it suppressed (``suppressed_cells``) and its ``k``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


Resolve = Callable[[str, list[Any]], dict[Any, int]]  # (metric, index keys) -> exact supports
RESOLVE_BATCH = 32


def suppress(values: pd.DataFrame, support: pd.DataFrame, k: int, *,
             dims: Sequence[str] = (), secondary: bool = True, exact: pd.DataFrame | None = None,
             resolve: Resolve | None = None) -> Masked:
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
    exact, resolve
        When some supports are lower bounds: which are exact (missing: all), and a function
        giving the exact support of cells of one metric (by index key). A bound must be k
        or more wherever the value is not 0.
    """
    if k < 1:
        raise ValueError("k must be 1 or larger.")
    support = support.reindex(index=values.index, columns=values.columns).fillna(0)
    nonzero = values.fillna(0).to_numpy() != 0
    if exact is None:
        known = np.ones(values.shape, dtype=bool)
    else:
        known = exact.reindex(index=values.index, columns=values.columns).fillna(True).to_numpy(dtype=bool)
        if ((support.to_numpy() < k) & nonzero & ~known).any():
            raise ValueError("a support below k must be exact")
    primary = pd.DataFrame((support.to_numpy() < k) & nonzero, index=values.index, columns=values.columns)
    second = pd.DataFrame(False, index=values.index, columns=values.columns)
    if secondary and dims and len(values):
        for col in values.columns:
            j = values.columns.get_loc(col)
            second[col] = _secondary(primary[col], support[col], nonzero[:, j], dims, known[:, j].copy(),
                                     functools.partial(resolve, col) if resolve is not None else None)
    return Masked(values, primary, second & ~primary)


def _smallest(candidates: np.ndarray, sup: np.ndarray, known: np.ndarray,
              resolve: Callable[[np.ndarray], None] | None) -> int:
    """The candidate of smallest (support, position); bounds that could be smaller than the
    smallest exact support are resolved first, the smallest bounds first."""
    while resolve is not None:
        unknown = candidates[~known[candidates]]
        if len(unknown) == 0:
            break
        exact_ones = candidates[known[candidates]]
        if len(exact_ones):
            best = exact_ones[np.lexsort((exact_ones, sup[exact_ones]))[0]]
            could = unknown[(sup[unknown] < sup[best]) | ((sup[unknown] == sup[best]) & (unknown < best))]
        else:
            could = unknown
        if len(could) == 0:
            break
        resolve(could[np.lexsort((could, sup[could]))[:RESOLVE_BATCH]])
    return int(candidates[np.lexsort((candidates, sup[candidates]))[0]])


def _secondary(primary: pd.Series, support: pd.Series, nonzero: np.ndarray,
               dims: Sequence[str], known: np.ndarray | None = None,
               resolve: Callable[[list[Any]], dict[Any, int]] | None = None) -> pd.Series:
    hidden = primary.to_numpy().copy()
    extra = np.zeros(len(hidden), dtype=bool)
    levels = list(primary.index.names)
    sup = support.to_numpy().astype("int64").copy()
    known = np.ones(len(hidden), dtype=bool) if known is None else known
    keys = list(primary.index)

    def fetch(positions: np.ndarray) -> None:
        assert resolve is not None
        got = resolve([keys[i] for i in positions])
        for i in positions:
            sup[i] = got[keys[i]]
            known[i] = True

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
                pick = _smallest(candidates, sup, known, fetch if resolve is not None else None)
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
