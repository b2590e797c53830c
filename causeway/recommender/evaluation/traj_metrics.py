"""Trajectory metrics of Chen, Ong & Xie (CIKM'16): F1 on points and pairs-F1.

``truth`` is the visited sequence (distinct POIs); ``pred`` the recommended sequence, which
may repeat POIs (some published methods do). Both count the start and end POIs.

* **F1 on points.** ``hits = |set(truth) ∩ set(pred)|`` (each true POI matched at most once),
  precision ``hits / len(pred)``, recall ``hits / len(truth)``, F1 their harmonic mean
  (0 when there is no hit).
* **pairs-F1.** Over the ordered pairs of positions ``i < j`` in ``pred`` whose POIs are
  different and both in ``truth``, count those in the true order (a repeated POI in ``pred``
  makes its pairs count again, as in the published evaluation). Precision divides the count
  by ``m (m - 1) / 2`` (``m = len(pred)``), recall by ``n (n - 1) / 2`` (``n = len(truth)``);
  pairs-F1 is 0 when no pair is correct.
"""

from __future__ import annotations

from collections.abc import Sequence


def f1_points(truth: Sequence[int], pred: Sequence[int]) -> float:
    """F1 on points (see module docstring)."""
    if not truth or not pred:
        raise ValueError("truth and pred must be non-empty.")
    hits = len(set(truth) & set(pred))
    if hits == 0:
        return 0.0
    precision = hits / len(pred)
    recall = hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def pairs_f1(truth: Sequence[int], pred: Sequence[int]) -> float:
    """pairs-F1 (see module docstring)."""
    if not truth or not pred:
        raise ValueError("truth and pred must be non-empty.")
    if len(set(truth)) != len(truth):
        raise ValueError("truth must not repeat a POI.")
    n, m = len(truth), len(pred)
    if n < 2 or m < 2:
        raise ValueError("pairs-F1 needs at least two POIs in truth and pred.")
    position = {p: i for i, p in enumerate(truth)}
    correct = 0
    for i in range(m):
        a = pred[i]
        if a not in position:
            continue
        for j in range(i + 1, m):
            b = pred[j]
            if b in position and b != a and position[a] < position[b]:
                correct += 1
    if correct == 0:
        return 0.0
    precision = correct / (m * (m - 1) / 2)
    recall = correct / (n * (n - 1) / 2)
    return 2 * precision * recall / (precision + recall)
