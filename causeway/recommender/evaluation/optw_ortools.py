"""Google OR-Tools routing as a peer solver on the OPTW/TOPTW instances.

The model of ``benchmarks/optw/README.md``: one vehicle per tour, a time dimension
(travel + service, waiting allowed) holding the windows, and a disjunction per customer
whose drop penalty is 10 time units per score point; parallel cheapest insertion, then
tabu search, single-threaded, with the given time limit. OR-Tools is an optional bench
dependency (``pip install ortools``), imported only when the peer is asked for.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from causeway.recommender.evaluation.optw_instances import Instance, distance_matrix

SCALE = 100  # integer time units: exact for distances floored to 1 or 2 decimals
PENALTY_PER_POINT = 10


def _import_ortools() -> tuple[Any, Any]:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "--peer ortools needs Google OR-Tools: pip install ortools "
            "(or pip install -e '.[bench]')") from exc
    return pywrapcp, routing_enums_pb2


def ortools_available() -> bool:
    try:
        _import_ortools()
    except RuntimeError:
        return False
    return True


def solve_ortools(inst: Instance, m: int, time_limit: float) -> tuple[list[list[int]], float]:
    """Tours (customer ids, depot excluded) found by OR-Tools, and the wall seconds."""
    pywrapcp, enums = _import_ortools()
    t0 = time.perf_counter()
    n = len(inst.x)
    dist = np.rint(distance_matrix(inst) * SCALE).astype(np.int64)
    service = np.rint(inst.service * SCALE).astype(np.int64)
    transit = (dist + service[:, None]).tolist()
    horizon = int(round(inst.tmax * SCALE))
    manager = pywrapcp.RoutingIndexManager(n, m, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cb(i: int, j: int) -> int:
        return transit[manager.IndexToNode(i)][manager.IndexToNode(j)]

    idx = routing.RegisterTransitCallback(cb)
    routing.SetArcCostEvaluatorOfAllVehicles(idx)
    routing.AddDimension(idx, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for j in range(1, n):
        lo = int(round(inst.open[j] * SCALE))
        hi = int(round(inst.close[j] * SCALE))
        if lo > hi or lo > horizon:
            routing.AddDisjunction([manager.NodeToIndex(j)], 0)
            continue
        tdim.CumulVar(manager.NodeToIndex(j)).SetRange(lo, min(hi, horizon))
        penalty = int(inst.score[j] * PENALTY_PER_POINT * SCALE)
        routing.AddDisjunction([manager.NodeToIndex(j)], penalty)
    for v in range(m):
        tdim.CumulVar(routing.Start(v)).SetRange(0, 0)
        tdim.CumulVar(routing.End(v)).SetRange(0, horizon)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = enums.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.TABU_SEARCH
    remaining = max(0.05, time_limit - (time.perf_counter() - t0))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(params)
    tours: list[list[int]] = []
    if solution is not None:
        for v in range(m):
            k = routing.Start(v)
            tour = []
            k = solution.Value(routing.NextVar(k))
            while not routing.IsEnd(k):
                tour.append(manager.IndexToNode(k))
                k = solution.Value(routing.NextVar(k))
            tours.append(tour)
    return tours, time.perf_counter() - t0
