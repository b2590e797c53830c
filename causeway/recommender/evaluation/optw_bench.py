"""``causeway bench optw DIR``: the itinerary planner's solver on published OPTW instances.

DIR is the benchmark folder (``../shared/benchmarks/optw``): one sub-folder per set of
instance files and ``bks.csv`` with the reference per (instance, m). For every instance
and number of tours ``m`` it prints our score, the reference and its kind, the gap in %
((ref - score) / ref) and the seconds; then the mean gap per set. Every route is
re-checked by an independent evaluator (``optw_instances.check_tours``) and counted as
infeasible (score 0) if it breaks a rule. ``--peer ortools`` runs OR-Tools beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from causeway.recommender.evaluation.optw_instances import (
    Reference, check_tours, parse_instance, read_bks, to_problem)
from causeway.recommender.planner.search import SearchParams, solve

DEFAULT_SETS = ["solomon100_c1_r1_rc1"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="benchmark folder (sets as sub-folders, bks.csv)")
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="seconds per instance and solver (default 1)")
    parser.add_argument("--days", type=int, nargs="+", default=[1], metavar="M",
                        help="number of tours m, one or more (default 1)")
    parser.add_argument("--sets", nargs="+", default=None, metavar="SET",
                        help=f"sub-folders to run, or 'all' (default {' '.join(DEFAULT_SETS)})")
    parser.add_argument("--instances", nargs="+", default=None, metavar="NAME",
                        help="only these instance names (e.g. c101 r105)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=1_000_000,
                        help="iteration cap of our search (results then depend on the seed only "
                             "when the cap is reached before the time limit)")
    parser.add_argument("--peer", choices=["ortools"], default=None,
                        help="also run this solver with the same time limit")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--routes-out", type=Path, default=None, metavar="FILE",
                        help="write every route as vertex ids (CSV)")


def _sets(root: Path, wanted: list[str] | None) -> list[Path]:
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory")
    available = sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.txt")))
    if wanted is None:
        wanted = DEFAULT_SETS
    if wanted == ["all"]:
        return available
    by_name = {p.name: p for p in available}
    missing = [w for w in wanted if w not in by_name]
    if missing:
        raise FileNotFoundError(f"no set {missing} in {root}; have {sorted(by_name)}")
    return [by_name[w] for w in wanted]


def _gap(score: float, ref: Reference | None) -> float | None:
    if ref is None or ref.value <= 0:
        return None
    return 100.0 * (ref.value - score) / ref.value


def _run_one(path: Path, m: int, args: argparse.Namespace,
             bks: dict[tuple[str, int], Reference]) -> tuple[dict[str, Any], list[list[Any]]]:
    inst = parse_instance(path)
    ref = bks.get((inst.name, m))
    prob = to_problem(inst, m)
    sol, stats = solve(prob, SearchParams(time_limit=args.time_limit,
                                          max_iterations=args.iterations, seed=args.seed))
    tours = [rt.nodes[:] for rt in sol.routes]
    score, errors = check_tours(inst, tours, m)
    row: dict[str, Any] = {
        "set": path.parent.name, "instance": inst.name, "m": m,
        "score": score if not errors else 0.0, "feasible": not errors, "errors": errors,
        "ref": None if ref is None else ref.value, "ref_kind": None if ref is None else ref.kind,
        "gap_pct": _gap(score if not errors else 0.0, ref), "seconds": stats.seconds,
        "iterations": stats.iterations,
    }
    routes = [[inst.name, m, "ours", k, " ".join(map(str, [0, *t, 0]))] for k, t in
              enumerate(tours)]
    if args.peer == "ortools":
        from causeway.recommender.evaluation.optw_ortools import solve_ortools
        ptours, psec = solve_ortools(inst, m, args.time_limit)
        pscore, perr = check_tours(inst, ptours, m)
        row.update(peer="ortools", peer_score=pscore if not perr else 0.0,
                   peer_feasible=not perr, peer_gap_pct=_gap(pscore if not perr else 0.0, ref),
                   peer_seconds=psec)
        routes += [[inst.name, m, "ortools", k, " ".join(map(str, [0, *t, 0]))]
                   for k, t in enumerate(ptours)]
    return row, routes


def _mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (set, m): mean gap over all rows with a reference and over proven optima."""
    out = []
    keys = sorted({(r["set"], r["m"]) for r in rows})
    for s, m in keys:
        sel = [r for r in rows if r["set"] == s and r["m"] == m]
        with_ref = [r for r in sel if r["gap_pct"] is not None]
        opt = [r for r in with_ref if r["ref_kind"] == "optimal"]
        item: dict[str, Any] = {
            "set": s, "m": m, "n": len(sel), "n_with_ref": len(with_ref),
            "infeasible": sum(not r["feasible"] for r in sel),
            "mean_gap_pct": _mean([r["gap_pct"] for r in with_ref]),
            "n_optimal_ref": len(opt),
            "mean_gap_optimal_pct": _mean([r["gap_pct"] for r in opt]),
            "at_or_above_ref": sum(r["gap_pct"] <= 1e-9 for r in with_ref),
            "mean_seconds": _mean([r["seconds"] for r in sel]),
        }
        if any("peer" in r for r in sel):
            item.update(
                peer_infeasible=sum(not r["peer_feasible"] for r in sel),
                peer_mean_gap_pct=_mean([r["peer_gap_pct"] for r in with_ref]),
                peer_mean_gap_optimal_pct=_mean([r["peer_gap_pct"] for r in opt]),
                peer_mean_seconds=_mean([r["peer_seconds"] for r in sel]))
        out.append(item)
    return out


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def run(args: argparse.Namespace) -> int:
    try:
        sets = _sets(args.dir, args.sets)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.peer == "ortools":
        from causeway.recommender.evaluation.optw_ortools import ortools_available
        if not ortools_available():
            print("error: --peer ortools needs Google OR-Tools: pip install ortools",
                  file=sys.stderr)
            return 2
    bks_path = args.dir / "bks.csv"
    bks = read_bks(bks_path) if bks_path.exists() else {}
    rows: list[dict[str, Any]] = []
    routes: list[list[Any]] = []
    peer = args.peer is not None
    if not args.json:
        head = f"{'set':22} {'inst':8} {'m':>2} {'score':>7} {'ref':>7} {'kind':24} " \
               f"{'gap%':>6} {'sec':>5}"
        print(head + (f" | {'peer':>7} {'gap%':>6} {'sec':>5}" if peer else ""), flush=True)
    for set_dir in sets:
        files = sorted(set_dir.glob("*.txt"))
        if args.instances:
            files = [f for f in files if f.stem in args.instances]
        for m in args.days:
            for f in files:
                row, rts = _run_one(f, m, args, bks)
                rows.append(row)
                routes += rts
                if not args.json:
                    line = (f"{row['set']:22} {row['instance']:8} {m:>2} {row['score']:>7.0f} "
                            f"{_fmt(row['ref'], '.0f'):>7} {row['ref_kind'] or '-':24} "
                            f"{_fmt(row['gap_pct']):>6} {row['seconds']:>5.2f}")
                    if peer:
                        line += (f" | {row['peer_score']:>7.0f} {_fmt(row['peer_gap_pct']):>6} "
                                 f"{row['peer_seconds']:>5.2f}")
                    if not row["feasible"] or (peer and not row["peer_feasible"]):
                        line += "  INFEASIBLE " + "; ".join(row["errors"])
                    print(line, flush=True)
    summary = summarise(rows)
    if args.routes_out:
        with open(args.routes_out, "w", encoding="utf-8") as fh:
            fh.write("instance,m,solver,tour,vertices\n")
            for r in routes:
                fh.write(",".join(map(str, r)) + "\n")
    if args.json:
        json.dump({"time_limit": args.time_limit, "seed": args.seed, "rows": rows,
                   "summary": summary}, sys.stdout, indent=1)
        print()
    else:
        print()
        print(f"{'set':22} {'m':>2} {'n':>3} {'mean gap%':>9} {'gap% vs optima':>14} "
              f"{'>=ref':>5} {'sec':>5}" + (f" | {'peer gap%':>9} {'vs optima':>9}" if peer
                                             else ""))
        for s in summary:
            line = (f"{s['set']:22} {s['m']:>2} {s['n']:>3} {_fmt(s['mean_gap_pct']):>9} "
                    f"{_fmt(s['mean_gap_optimal_pct']):>14} {s['at_or_above_ref']:>5} "
                    f"{_fmt(s['mean_seconds']):>5}")
            if peer:
                line += (f" | {_fmt(s['peer_mean_gap_pct']):>9} "
                         f"{_fmt(s['peer_mean_gap_optimal_pct']):>9}")
            print(line)
    bad = sum(not r["feasible"] for r in rows)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optw_bench", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
