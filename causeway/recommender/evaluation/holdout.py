"""A held-out check of a trained pipeline: one engaged attraction per sampled visitor.

The training job records these figures in every artifact, so a retrained model that got
worse can be told from one that got better (and from popularity) without a separate run.
``hold_out`` moves every event of one (visitor, attraction) pair, drawn at random, for
each of ``n_users`` visitors who engaged with at least two attractions; after fitting on
the rest, ``holdout_metrics`` ranks each held-out attraction among the whole catalogue
(the visitor's training attractions excluded) by the model and by training popularity.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from causeway.recommender.interactions import index_positions
from causeway.recommender.pipeline import RecommenderPipeline


def hold_out(events: pd.DataFrame, n_users: int, *, seed: int = 7,
             user_column: str = "visitor_id", item_column: str = "attraction_id",
             engaged_types: Collection[str] | None = None,
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train_events, held_pairs).

    Parameters
    ----------
    events
        One row per event, with ``user_column`` and ``item_column``.
    n_users
        Visitors to sample (fewer when fewer have two or more distinct attractions).
    engaged_types
        When given, only a pair with at least one event of these types (column
        ``event_type``) can be held out, so the check predicts engagement rather than, say,
        what was merely shown (impressions).

    Returns
    -------
    train_events : the rows of ``events`` not held out
    held_pairs : DataFrame [m, 2] of the held-out (visitor, attraction) pairs, m <= n_users
    """
    if n_users < 0:
        raise ValueError("n_users must be 0 or larger.")
    pairs = events[[user_column, item_column]].astype(str).drop_duplicates()
    counts = pairs[user_column].value_counts()
    candidates = pairs
    if engaged_types is not None:
        engaged = events["event_type"].astype(str).isin(set(engaged_types)).to_numpy()
        candidates = events.loc[engaged, [user_column, item_column]].astype(str).drop_duplicates()
    eligible = np.sort(np.intersect1d(counts.index[counts >= 2].to_numpy(dtype=str),
                                      candidates[user_column].unique()))
    empty = pairs.iloc[:0]
    if n_users == 0 or eligible.size == 0:
        return events, empty
    rng = np.random.default_rng(seed)
    chosen = rng.choice(eligible, size=min(n_users, eligible.size), replace=False)
    cand = candidates[candidates[user_column].isin(chosen)]
    held = (cand.assign(_r=rng.random(len(cand))).sort_values("_r", kind="stable")
            .drop_duplicates(user_column)[[user_column, item_column]].reset_index(drop=True))
    key = events[user_column].astype(str) + "\x00" + events[item_column].astype(str)
    out = key.isin(set(held[user_column] + "\x00" + held[item_column]))
    return events[~out.to_numpy()], held


def holdout_metrics(pipe: RecommenderPipeline, train_events: pd.DataFrame,
                    held: pd.DataFrame, k: int = 20) -> dict[str, Any]:
    """Hit rate and NDCG at ``k`` of the held-out attractions, for the model and popularity.

    ``pipe`` must have been fitted on ``train_events``. Ranks are among every attraction of
    the pipeline's catalogue except the visitor's training attractions; ties count in the
    held-out item's favour (which flatters popularity's integer counts, not the model's
    scores). Visitors or attractions unknown to the pipeline are skipped.
    """
    uid, iid = pipe.users_encoder.id_column, pipe.items_encoder.id_column
    item_pos = {str(a): j for j, a in enumerate(pipe.item_ids_)}
    n_items = len(item_pos)
    train_pos = index_positions(train_events[iid], item_pos)
    known = train_pos >= 0
    users = train_events[uid].astype(str).to_numpy()[known]
    positions = train_pos[known]
    popularity = np.bincount(positions, minlength=n_items).astype(np.float64)
    seen = pd.Series(positions).groupby(users).agg(lambda s: np.unique(s.to_numpy()))
    model = pipe.model
    ranks: dict[str, list[int]] = {"model": [], "popularity": []}
    for vid, aid in zip(held[uid].astype(str), held[iid].astype(str)):
        target = item_pos.get(aid)
        if target is None or f"id:{vid}" not in pipe.users_encoder.vocabulary_:
            continue
        mask = seen.get(vid, np.empty(0, dtype=np.int64))
        scores = model.score_vector(model.user_vectors(pipe.visitor_features(visitor_id=vid))[0])
        for name, s in (("model", scores), ("popularity", popularity)):
            s = np.array(s, dtype=np.float64)
            s[mask] = -np.inf
            ranks[name].append(int((s > s[target]).sum()))
    out: dict[str, Any] = {"k": k, "users": len(ranks["model"]), "items": n_items}
    for name, r in ranks.items():
        r_arr = np.asarray(r, dtype=np.int64)
        hit = r_arr < k
        out[f"{name}_hit@{k}"] = float(hit.mean()) if r_arr.size else None
        out[f"{name}_ndcg@{k}"] = (float(np.where(hit, 1.0 / np.log2(r_arr + 2), 0.0).mean())
                                  if r_arr.size else None)
    return out
