"""Why was this recommended? Per-feature contributions to a LightFM score.

A LightFM item representation is a weighted sum of its feature embeddings, so a score
splits exactly into one term per item feature:
``score(u, i) - b_u = sum_f x_if * (u . e_f + b_f)``. The largest positive terms are the
reasons; feature names map to short human text (``"categories:history"`` -> "history",
the item's identity feature -> "popular with visitors like you"). Proximity to the
visitor's base is added as a reason of its own when a distance is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

COLLABORATIVE_TEXT = "popular with visitors like you"
NEAR_TEXT = "near your hotel"


@dataclass(frozen=True)
class Reason:
    """One reason: the feature (or ``"distance"``), its text, and its share of the score."""

    feature: str
    text: str
    weight: float


def feature_text(name: str) -> str:
    """Human text for a feature name such as ``"categories:history"``."""
    column, _, value = name.partition(":")
    pretty = value.replace("_", " ").replace("-", " ").strip()
    if column == "id":
        return COLLABORATIVE_TEXT
    if column in ("categories", "tags", "theme", "interests"):
        return pretty
    if column == "area":
        return f"in {pretty}" if pretty else "in the area you like"
    if column == "price_band":
        return "free entry" if pretty in ("free", "0") else f"{pretty} price"
    if column == "indoor":
        return "indoors" if pretty in ("yes", "indoor", "true") else (
            "outdoors" if pretty in ("no", "outdoor", "false") else f"{pretty} indoor/outdoor")
    if column == "accessibility":
        return f"accessible: {pretty}"
    if column == "provider_size":
        return "a small local venue" if pretty == "small" else f"{pretty} venue"
    if column == "provider_id":
        return "from a venue popular with visitors like you"
    return pretty or column


def is_reason(name: str) -> bool:
    """Whether a feature means something to a visitor when shown as a reason.

    Placeholders (``price_band:unknown``, an empty value) and venue size other than small
    ("medium venue") still count in the score but say nothing about the place: shown, they
    crowded out real reasons (seen on the demo: "unknown price" as Ballintoy Harbour's
    second reason).
    """
    column, _, value = name.partition(":")
    value = value.strip().lower()
    if column != "id" and value in ("", "unknown", "none", "nan"):
        return False
    return not (column == "provider_size" and value != "small")


def explain(
    user_vector: np.ndarray,
    item_indices: Sequence[int] | np.ndarray,
    item_features: sp.spmatrix,
    item_embeddings: np.ndarray,
    item_biases: np.ndarray,
    feature_names: Sequence[str],
    *,
    top_n: int = 3,
    distances_km: np.ndarray | None = None,
    near_km: float = 2.0,
) -> list[list[Reason]]:
    """Top reasons for each recommended item.

    Parameters
    ----------
    user_vector : ndarray [no_components] or [no_components + 1]
        The visitor's representation (a trailing bias column is ignored).
    item_indices : int array [m]
        Recommended items (rows of ``item_features``).
    item_features : sparse matrix [n_items, n_item_features]
    item_embeddings : ndarray [n_item_features, no_components]
    item_biases : ndarray [n_item_features]
    feature_names : sequence of length n_item_features
    top_n
        Reasons kept per item (contributions <= 0 are never reasons).
    distances_km : ndarray [n_items], optional
        Distance of each item from the visitor's base; items within ``near_km`` get
        :data:`NEAR_TEXT` as an extra reason.

    Returns
    -------
    list (length m) of lists of :class:`Reason`, strongest first; weights are shares of
    the summed positive contributions (features that are not reasons, see
    :func:`is_reason`, count in that sum but are never listed).
    """
    k = item_embeddings.shape[1]
    u = np.asarray(user_vector, dtype=np.float64)[:k]
    itf = item_features if sp.isspmatrix_csr(item_features) else sp.csr_matrix(item_features)
    picked = np.asarray(item_indices, dtype=np.int64)
    # Only the features of the picked items: the full table can be 50k x 64.
    spans = [(itf.indptr[i], itf.indptr[i + 1]) for i in picked]
    used = np.unique(np.concatenate([itf.indices[lo:hi] for lo, hi in spans])
                     if spans else np.empty(0, dtype=np.int64))
    per_used = (item_embeddings[used].astype(np.float64) @ u
                + item_biases[used].astype(np.float64))
    out: list[list[Reason]] = []
    for i, (lo, hi) in zip(picked, spans):
        cols, vals = itf.indices[lo:hi], itf.data[lo:hi]
        contrib = vals * per_used[np.searchsorted(used, cols)]
        merged: dict[str, tuple[str, float]] = {}
        total_positive = 0.0
        for f, c in zip(cols, contrib):
            if c <= 0:
                continue
            name = feature_names[f]
            total_positive += float(c)
            if not is_reason(name):
                continue
            text = feature_text(name)
            prev = merged.get(text)
            merged[text] = (prev[0] if prev else name, (prev[1] if prev else 0.0) + float(c))
        ranked = sorted(merged.items(), key=lambda kv: (-kv[1][1], kv[0]))[:top_n]
        reasons = [Reason(feature=name, text=text, weight=c / total_positive)
                   for text, (name, c) in ranked]
        if distances_km is not None and float(distances_km[i]) <= near_km:
            reasons.append(Reason(feature="distance", text=NEAR_TEXT, weight=0.0))
        out.append(reasons)
    return out
