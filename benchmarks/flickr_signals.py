"""Three more signals checked against the revisit/popularity prior on the Flickr cities.

Run: ``python -m benchmarks.flickr_signals --flickr ../shared/datasets/flickr-poi/<city>``
(the data is read from the path given, never shipped). Prints, per city, validation and
test NDCG@10 for:

* **transitions**: a cross-user "next trip" model. ``T[i, j]`` counts users whose
  sequence containing ``i`` was followed by one containing ``j`` (training data only);
  a user's score is ``log1p(T)`` row-normalised, summed over the POIs of their latest
  training sequence. Blended with the prior exactly as the evaluation's "+ prior" rows
  (same grid, weights chosen on the two validation folds), against the prior alone.
* **item-specific revisits**: how often each POI recurs in a user's next sequence once it
  is in their history (smoothed log rate, for seen POIs), and how often it is a *new* POI
  of a next sequence (standardised log count, for unseen POIs), added to the prior with
  weights searched on validation, against the prior alone.
* **request context** (discovery task: POIs the user already visited removed): popularity
  conditioned on the part of day (4 bands, UTC), the season or weekday/weekend of the
  held-out sequence's start, blended with overall log popularity, against popularity alone.
  The time of the request is known in the product, so a context-aware hybrid could use it
  if it carried signal.

None is in ``causeway eval recommender``: none beat the prior (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from causeway.recommender.evaluation.flickr_data import (
    Fold, load_city, make_fold, split_last_sequence, validation_folds,
)
from causeway.recommender.evaluation.flickr_methods import (
    blend_terms, ndcg_per_user, prior_grid, relevance_matrix,
)


def transition_scores(fold: Fold, n_items: int) -> np.ndarray:
    """[n_fold_users, n_items]: next-sequence transitions from each user's latest sequence."""
    assert fold.train is not None and fold.recent is not None
    counts = np.zeros((n_items, n_items))
    ordered = fold.train.sort_values(["user", "time", "seq"], kind="stable")
    for _, group in ordered.groupby("user"):
        items = list(group["items"])
        for before, after in zip(items[:-1], items[1:]):
            counts[np.ix_(list(before), list(after))] += 1
    logc = np.log1p(counts)
    norm = logc / np.maximum(logc.sum(axis=1, keepdims=True), 1e-9)
    return np.asarray(fold.recent[fold.users].toarray() @ norm)


def transitions_vs_prior(folder: str) -> dict[str, float]:
    city = load_city(folder)
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    fold = make_fold(city, train, test, n_users)
    vfolds = validation_folds(city, train, set(fold.users.tolist()), n_users)
    blends = prior_grid(model=False) + prior_grid(model=True)

    def per_blend(folds: list[Fold]) -> np.ndarray:  # [n_blends] mean NDCG@10
        rows = []
        for f in folds:
            terms = blend_terms(f, transition_scores(f, city.n_items))
            rel = relevance_matrix(f, city.n_items)
            rows.append(np.array([ndcg_per_user(terms.combine(b), rel) for b in blends]))
        return np.nanmean(np.concatenate(rows, axis=1), axis=1)

    val, tst = per_blend(vfolds), per_blend([fold])
    prior_only = np.array([b.model == 0 for b in blends])
    p = int(np.argmax(np.where(prior_only, val, -np.inf)))
    m = int(np.argmax(val))
    return {"prior_val": val[p], "prior_test": tst[p], "trans_val": val[m], "trans_test": tst[m],
            "trans_weight": blends[m].model}


def item_revisit_vs_prior(folder: str) -> dict[str, float]:
    city = load_city(folder)
    n = city.n_items
    seqs = city.sequences
    n_users = int(seqs["user"].max()) + 1
    train, test = split_last_sequence(seqs)
    fold = make_fold(city, train, test, n_users)
    vfolds = validation_folds(city, train, set(fold.users.tolist()), n_users)
    keys = [(b, beta, gamma) for b in prior_grid(model=False)
            for beta in (0.0, 0.5, 1.0, 2.0) for gamma in (0.0, 0.5, 1.0)]

    def per_key(folds: list[Fold]) -> np.ndarray:
        rows = []
        for f in folds:
            assert f.train is not None
            opp, back, new = np.zeros(n), np.zeros(n), np.zeros(n)
            for _, group in f.train.sort_values(["user", "time", "seq"], kind="stable").groupby("user"):
                history: set[int] = set()
                for items in group["items"]:
                    if history:
                        opp[list(history)] += 1
                        for i in items:
                            (back if i in history else new)[i] += 1
                    history |= set(items)
            log_rate = np.log((back + 1) / (opp + 5))
            first = np.log1p(new)
            first = (first - first.mean()) / (first.std() or 1.0)
            terms = blend_terms(f, np.zeros((len(f.users), n)))
            assert terms.revisit is not None
            seen = terms.revisit > 0
            rel = relevance_matrix(f, n)
            rows.append(np.array([ndcg_per_user(terms.combine(b) + beta * seen * log_rate
                                                + gamma * ~seen * first, rel)
                                  for b, beta, gamma in keys]))
        return np.nanmean(np.concatenate(rows, axis=1), axis=1)

    val, tst = per_key(vfolds), per_key([fold])
    plain = np.array([beta == 0 and gamma == 0 for _, beta, gamma in keys])
    p = int(np.argmax(np.where(plain, val, -np.inf)))
    m = int(np.argmax(val))
    return {"prior_val": val[p], "prior_test": tst[p], "items_val": val[m], "items_test": tst[m]}


def _context(times: np.ndarray) -> dict[str, np.ndarray]:
    ts = pd.to_datetime(times, unit="s")
    return {"part_of_day": np.asarray(ts.hour) // 6, "season": (np.asarray(ts.month) % 12) // 3,
            "weekend": (np.asarray(ts.day_of_week) >= 5).astype(int)}


def context_vs_popularity(folder: str) -> dict[str, float]:
    city = load_city(folder)
    n = city.n_items
    train, test = split_last_sequence(city.sequences)
    out: dict[str, float] = {}
    for split, (tr, te) in (("val", split_last_sequence(train)), ("test", (train, test))):
        history = tr.groupby("user")["items"].apply(lambda s: set().union(*map(set, s)))
        te = te[te["user"].isin(history.index)]
        rel = np.zeros((len(te), n))
        seen = np.zeros((len(te), n), dtype=bool)
        for r, (u, items) in enumerate(zip(te["user"], te["items"])):
            rel[r, list(items)] = 1
            seen[r, list(history[u])] = True
        rel[seen] = 0
        keep = rel.sum(axis=1) > 0
        pop = np.zeros(n)
        for items in tr["items"]:
            pop[list(items)] += 1

        def ndcg(scores: np.ndarray, seen: np.ndarray = seen, keep: np.ndarray = keep, rel: np.ndarray = rel) -> float:
            s = np.where(seen, -np.inf, scores)
            return float(np.nanmean(ndcg_per_user(s[keep], rel[keep])))

        out[f"popularity_{split}"] = ndcg(np.tile(np.log1p(pop), (len(te), 1)))
        ctx_tr, ctx_te = _context(tr["time"].to_numpy()), _context(te["time"].to_numpy())
        for key in ctx_tr:
            by_value = {}
            for v in np.unique(ctx_tr[key]):
                p = np.zeros(n)
                for items in tr["items"].to_numpy()[ctx_tr[key] == v]:
                    p[list(items)] += 1
                by_value[v] = p * pop.sum() / max(p.sum(), 1.0)  # same scale as pop
            scores = np.array([np.log1p(pop) + np.log1p(by_value.get(v, np.zeros(n)))
                               for v in ctx_te[key]])
            out[f"{key}_{split}"] = ndcg(scores)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flickr", required=True, action="append", metavar="DIR",
                    help="a city folder of the Flickr POI data (repeatable)")
    args = ap.parse_args(argv)
    for folder in args.flickr:
        t = transitions_vs_prior(folder)
        r = item_revisit_vs_prior(folder)
        c = context_vs_popularity(folder)
        print(f"{folder}: transitions + prior val {t['trans_val']:.4f} test {t['trans_test']:.4f} "
              f"(model weight {t['trans_weight']:g}) vs prior val {t['prior_val']:.4f} "
              f"test {t['prior_test']:.4f}")
        print(f"  item revisit/first-visit rates + prior val {r['items_val']:.4f} test "
              f"{r['items_test']:.4f} vs prior val {r['prior_val']:.4f} test {r['prior_test']:.4f}")
        print("  discovery, popularity val {:.4f} test {:.4f}; ".format(
            c["popularity_val"], c["popularity_test"]) + "; ".join(
            f"+ {k} val {c[k + '_val']:.4f} test {c[k + '_test']:.4f}"
            for k in ("part_of_day", "season", "weekend")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
