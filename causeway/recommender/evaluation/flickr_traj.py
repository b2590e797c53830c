"""Trajectory recommendation on real visits: the CIKM'16 protocol on the Flickr data.

``causeway eval trajectories --flickr DIR [--json]`` where DIR is one city folder (its
``cikm16/`` subfolder is read) or the ``cikm16/`` folder itself, holding ``poi-<C>.csv``,
``traj-<C>.csv`` and ``published-predictions-<C>.json``.

Protocol (Chen, Ong & Xie, CIKM'16, "P2" in the dataset's PUBLISHED_RESULTS.md)
-----------------------------------------------------------------------------
* A trajectory is one ``trajID``; its POIs are ordered by ``startTime`` (ties by POI id,
  which reproduces the published truth exactly).
* Leave-one-out over the trajectories with at least 3 POIs: the query is (start POI, end
  POI, number of POIs L) of the held-out trajectory; training is every other trajectory,
  including those of 1 or 2 POIs. A test trajectory whose start or end POI is not visited
  by any training trajectory is skipped.
* F1 on points and pairs-F1 as in ``traj_metrics``; the published tables average over the
  trajectories for which PersTour produced a result (the keys with a PersTour prediction
  in the predictions file), so our headline figures average over those too. The mean over
  every evaluated trajectory is reported as well.

The metric code is checked first: every published method's predictions are re-scored
and must give the published Tables 3 and 4 (printed side by side, with the largest
difference).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from causeway.recommender.evaluation.traj_metrics import f1_points, pairs_f1
from causeway.recommender.trajectory import (
    PopularityTrajectoryRecommender, TrajectoryRecommender,
)

CITY_NAMES = {"Edin": "Edinburgh", "Glas": "Glasgow", "Osak": "Osaka", "Toro": "Toronto",
              "Melb": "Melbourne"}

# CIKM'16 Tables 3 and 4 (F1, pairs-F1), as listed in PUBLISHED_RESULTS.md.
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "Edin": {"Random": (.570, .261), "PersTour": (.656, .417), "PersTour-L": (.651, .359),
             "PoiPopularity": (.701, .436), "PoiRank": (.700, .432), "Markov": (.645, .417),
             "MarkovPath": (.678, .400), "Rank+Markov": (.659, .444),
             "Rank+MarkovPath": (.697, .428)},
    "Glas": {"Random": (.632, .320), "PersTour": (.801, .643), "PersTour-L": (.660, .352),
             "PoiPopularity": (.745, .507), "PoiRank": (.768, .548), "Markov": (.725, .495),
             "MarkovPath": (.732, .485), "Rank+Markov": (.754, .545),
             "Rank+MarkovPath": (.762, .533)},
    "Osak": {"Random": (.621, .304), "PersTour": (.686, .468), "PersTour-L": (.686, .406),
             "PoiPopularity": (.663, .365), "PoiRank": (.745, .511), "Markov": (.697, .445),
             "MarkovPath": (.706, .442), "Rank+Markov": (.715, .486),
             "Rank+MarkovPath": (.732, .489)},
    "Toro": {"Random": (.621, .310), "PersTour": (.720, .504), "PersTour-L": (.643, .333),
             "PoiPopularity": (.678, .384), "PoiRank": (.754, .518), "Markov": (.669, .407),
             "MarkovPath": (.688, .405), "Rank+Markov": (.723, .512),
             "Rank+MarkovPath": (.751, .514)},
}
METHODS = tuple(PUBLISHED["Edin"])


# ---------------------------------------------------------------------- data
@dataclass
class Cikm16City:
    """One city's CIKM'16 files. POIs are positions ``0..n-1`` into ``poi_ids``."""

    code: str
    poi_ids: np.ndarray            # int [n_pois]
    lat: np.ndarray                # float [n_pois]
    lon: np.ndarray
    traj_ids: list[int]
    trajectories: list[np.ndarray]  # POI positions in visit order
    published: dict[str, Any] | None  # {trajID: {"truth", "pred", ["truth_used_by"]}}

    @property
    def name(self) -> str:
        return CITY_NAMES.get(self.code, self.code)


def _folder(path: Path) -> Path:
    path = Path(path)
    if (path / "cikm16").is_dir():
        path = path / "cikm16"
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder")
    return path


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one {pattern} in {folder}, found {len(found)}")
    return found[0]


def load_city(path: str | Path) -> Cikm16City:
    """Read ``poi-<C>.csv``, ``traj-<C>.csv`` and (if present) the published predictions."""
    folder = _folder(Path(path))
    traj_path = _one(folder, "traj-*.csv")
    code = traj_path.stem.split("-", 1)[1]
    pois = pd.read_csv(folder / f"poi-{code}.csv")
    visits = pd.read_csv(traj_path)
    for frame, cols, name in ((pois, ("poiID", "poiLat", "poiLon"), "poi"),
                              (visits, ("trajID", "poiID", "startTime"), "traj")):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}-{code}.csv lacks columns {missing}")
    pois = pois.sort_values("poiID").reset_index(drop=True)
    position = {int(p): i for i, p in enumerate(pois["poiID"])}
    unknown = set(visits["poiID"].astype(int)) - set(position)
    if unknown:
        raise ValueError(f"traj-{code}.csv refers to POIs missing from poi-{code}.csv: "
                         f"{sorted(unknown)[:5]}")
    visits = visits.sort_values(["trajID", "startTime", "poiID"], kind="stable")
    traj_ids, trajectories = [], []
    for tid, group in visits.groupby("trajID", sort=True):
        seq = np.array([position[int(p)] for p in group["poiID"]], dtype=np.int64)
        if np.unique(seq).size != seq.size:
            raise ValueError(f"trajectory {tid} lists a POI twice")
        traj_ids.append(int(tid))
        trajectories.append(seq)
    pred_path = folder / f"published-predictions-{code}.json"
    published = None
    if pred_path.exists():
        published = json.loads(pred_path.read_text())["trajectories"]
    return Cikm16City(code=code, poi_ids=pois["poiID"].to_numpy(dtype=np.int64),
                      lat=pois["poiLat"].to_numpy(dtype=np.float64),
                      lon=pois["poiLon"].to_numpy(dtype=np.float64),
                      traj_ids=traj_ids, trajectories=trajectories, published=published)


# ---------------------------------------------------------------------- published check
def averaged_ids(city: Cikm16City) -> list[int] | None:
    """trajIDs the published tables average over: those with a PersTour prediction."""
    if city.published is None:
        return None
    return sorted(int(k) for k, v in city.published.items() if "PersTour" in v["pred"])


def rescore_published(city: Cikm16City) -> dict[str, dict[str, float]]:
    """Each published method's mean F1 and pairs-F1, recomputed with our metric code."""
    ids = averaged_ids(city)
    if ids is None or city.published is None:
        return {}
    out = {}
    for method in METHODS:
        f1s, pf1s = [], []
        for tid in ids:
            entry = city.published[str(tid)]
            truth = entry.get("truth_used_by", {}).get(method, entry["truth"])
            pred = entry["pred"][method]
            f1s.append(f1_points(truth, pred))
            pf1s.append(pairs_f1(truth, pred))
        out[method] = {"f1": float(np.mean(f1s)), "pairs_f1": float(np.mean(pf1s)),
                       "n": len(ids)}
    return out


# ---------------------------------------------------------------------- leave-one-out
def leave_one_out(city: Cikm16City, make_model, min_length: int = 3
                  ) -> dict[int, tuple[list[int], list[int]]]:
    """{trajID: (truth, prediction)} over the evaluated test trajectories (POI ids)."""
    trajs = city.trajectories
    lengths = np.array([len(t) for t in trajs])
    inc = np.zeros((len(trajs), city.poi_ids.size))
    for k, t in enumerate(trajs):
        inc[k, t] = 1.0
    visits = inc.sum(axis=0)
    results = {}
    for k in map(int, np.flatnonzero(lengths >= min_length)):
        t = trajs[k]
        s, e, L = int(t[0]), int(t[-1]), len(t)
        if visits[s] - 1 <= 0 or visits[e] - 1 <= 0:
            continue  # start or end POI absent from the training data
        train = trajs[:k] + trajs[k + 1:]
        model = make_model().fit(train, city.lat, city.lon)
        pred = model.recommend(s, e, L)
        results[city.traj_ids[k]] = ([int(city.poi_ids[p]) for p in t],
                                     [int(city.poi_ids[p]) for p in pred])
    return results


def summarise(results: dict[int, tuple[list[int], list[int]]], ids: list[int] | None
              ) -> dict[str, Any]:
    """Means of F1 and pairs-F1 over ``ids`` (the published set) and over all results."""
    def stats(keys: list[int]) -> dict[str, float]:
        f1s = [f1_points(*results[k]) for k in keys]
        pf1s = [pairs_f1(*results[k]) for k in keys]
        return {"f1": float(np.mean(f1s)), "f1_std": float(np.std(f1s)),
                "pairs_f1": float(np.mean(pf1s)), "pairs_f1_std": float(np.std(pf1s)),
                "n": len(keys)}
    everything = sorted(results)
    main = everything if ids is None else [k for k in ids if k in results]
    return {"published_set": stats(main), "all_evaluated": stats(everything),
            "published_set_missing": 0 if ids is None else len(set(ids) - set(results))}


MODELS = {
    "ours: rank+order": TrajectoryRecommender,
    "ours: popularity": PopularityTrajectoryRecommender,
}


def evaluate_city(path: str | Path) -> dict[str, Any]:
    """The whole report for one city (see module docstring)."""
    city = load_city(path)
    ids = averaged_ids(city)
    report: dict[str, Any] = {
        "city": city.name, "code": city.code, "n_pois": int(city.poi_ids.size),
        "n_trajectories": len(city.trajectories),
        "n_test_trajectories": int(sum(len(t) >= 3 for t in city.trajectories)),
        "published_table": {m: {"f1": v[0], "pairs_f1": v[1]}
                            for m, v in PUBLISHED.get(city.code, {}).items()},
        "published_rescored": rescore_published(city),
        "ours": {},
    }
    diffs = [max(abs(v["f1"] - PUBLISHED[city.code][m][0]),
                 abs(v["pairs_f1"] - PUBLISHED[city.code][m][1]))
             for m, v in report["published_rescored"].items() if city.code in PUBLISHED]
    report["rescored_max_abs_diff"] = max(diffs) if diffs else None
    # the paper prints 3 decimals: a re-scored mean matches when it rounds to the printed one
    report["rescored_matches_table"] = bool(diffs) and max(diffs) <= 0.0005 + 1e-9
    for name, factory in MODELS.items():
        t0 = time.perf_counter()
        results = leave_one_out(city, factory)
        summary = summarise(results, ids)
        summary["seconds"] = round(time.perf_counter() - t0, 2)
        summary["n_evaluated"] = len(results)
        report["ours"][name] = summary
    report["n_skipped"] = report["n_test_trajectories"] - \
        report["ours"]["ours: rank+order"]["n_evaluated"]
    return report


# ---------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``causeway eval trajectories``."""
    parser.add_argument("--flickr", required=True, type=Path, metavar="DIR",
                        help="one city folder of the Flickr POI data (or its cikm16/ folder)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def format_report(r: dict[str, Any]) -> str:
    """Markdown: published table, our re-scoring of the published predictions, ours."""
    ours = r["ours"]["ours: rank+order"]
    lines = [
        f"{r['city']} (CIKM'16 protocol): {r['n_test_trajectories']} test trajectories "
        f"(>= 3 POIs), {ours['n_evaluated']} evaluated, {r['n_skipped']} skipped "
        f"(start/end unseen in training); averages over the "
        f"{ours['published_set']['n']} the published tables use.", "",
        "| method | F1 (paper) | pairs-F1 (paper) | F1 (re-scored) | pairs-F1 (re-scored) |",
        "|---|---|---|---|---|",
    ]
    for m in METHODS:
        pub = r["published_table"].get(m)
        res = r["published_rescored"].get(m)
        cells = [f"{pub['f1']:.3f}" if pub else "-", f"{pub['pairs_f1']:.3f}" if pub else "-",
                 f"{res['f1']:.3f}" if res else "-", f"{res['pairs_f1']:.3f}" if res else "-"]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    if r["rescored_max_abs_diff"] is not None:
        verdict = ("every figure matches the paper at its 3 decimals"
                   if r["rescored_matches_table"] else "MISMATCH with the paper")
        lines.append(f"\nre-scored vs paper: {verdict} (largest difference "
                     f"{r['rescored_max_abs_diff']:.4f})")
    lines += ["", "| ours (leave-one-out) | F1 | pairs-F1 | n | F1 all | pairs-F1 all | n all "
              "| seconds |", "|---|---|---|---|---|---|---|---|"]
    for name, s in r["ours"].items():
        p, a = s["published_set"], s["all_evaluated"]
        lines.append(f"| {name} | {p['f1']:.3f} ± {p['f1_std']:.3f} | {p['pairs_f1']:.3f} ± "
                     f"{p['pairs_f1_std']:.3f} | {p['n']} | {a['f1']:.3f} | {a['pairs_f1']:.3f} "
                     f"| {a['n']} | {s['seconds']:.1f} |")
    if r["published_table"]:
        best_f1 = max(r["published_table"].items(), key=lambda kv: kv[1]["f1"])
        best_pf = max(r["published_table"].items(), key=lambda kv: kv[1]["pairs_f1"])
        p = ours["published_set"]
        lines += ["", f"best published F1 {best_f1[1]['f1']:.3f} ({best_f1[0]}), ours "
                  f"{p['f1']:.3f} ({p['f1'] - best_f1[1]['f1']:+.3f}); best published pairs-F1 "
                  f"{best_pf[1]['pairs_f1']:.3f} ({best_pf[0]}), ours {p['pairs_f1']:.3f} "
                  f"({p['pairs_f1'] - best_pf[1]['pairs_f1']:+.3f})"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Entry point: evaluate one city and print the table (or JSON)."""
    try:
        report = evaluate_city(args.flickr)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    raise SystemExit(run(p.parse_args()))
