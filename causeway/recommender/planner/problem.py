"""The solver's view of a (team) orienteering problem with time windows.

Everything here is indexed by *node*: an integer in ``[0, n_nodes)``. Depots (each day's
start and end place) are nodes too. A route is the list of visited nodes of one day,
depots excluded. Times are floats in any unit (minutes for the planner, the instance's
unit for the benchmarks); a window gives the earliest and the latest *start* of a visit.

A node may be a *follower* (the lunch break): it has no place of its own and happens
where the previous stop was, so travel to it is 0 and travel from it starts at the
previous stop's place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

INF = float("inf")
EPS = 1e-9


@dataclass
class Problem:
    """Arrays describing one instance.

    Parameters
    ----------
    travel:
        float64 array [n_nodes, n_nodes]: travel time from node i's place to node j's.
    duration, score:
        float64 arrays [n_nodes]: visit duration and score (0 for depots).
    windows:
        ``windows[r][j]``: tuple of ``(earliest_start, latest_start)`` pairs for node j on
        route r, sorted and disjoint; an empty tuple means closed that day.
    route_start, route_end:
        Depot node of each route (one per day); may be the same node.
    time_start, time_end:
        Each route leaves its start at ``time_start[r]`` and must reach its end by
        ``time_end[r]``.
    customers:
        Nodes that may be visited (depots and unvisitable nodes excluded).
    follower:
        Nodes that happen at the previous stop's place (lunch breaks).
    fixed:
        Nodes never removed by the search once in a route (locked stops, lunch).
    """

    travel: np.ndarray
    duration: np.ndarray
    score: np.ndarray
    windows: list[list[tuple[tuple[float, float], ...]]]
    route_start: list[int]
    route_end: list[int]
    time_start: list[float]
    time_end: list[float]
    customers: list[int]
    follower: frozenset[int] = frozenset()
    fixed: frozenset[int] = frozenset()
    # derived, filled by __post_init__
    n_routes: int = field(init=False)
    tl: list[list[float]] = field(init=False, repr=False)
    dl: list[float] = field(init=False, repr=False)
    sl: list[float] = field(init=False, repr=False)
    wopen: np.ndarray = field(init=False, repr=False)
    wclose: np.ndarray = field(init=False, repr=False)
    n_windows: int = field(init=False)
    lean: bool = field(init=False)
    open1: list[list[float]] = field(init=False, repr=False)
    close1: list[list[float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = self.travel.shape[0]
        if self.travel.shape != (n, n):
            raise ValueError("travel must be a square [n_nodes, n_nodes] array.")
        self.n_routes = len(self.route_start)
        if not (len(self.route_end) == len(self.time_start) == len(self.time_end)
                == len(self.windows) == self.n_routes):
            raise ValueError("route_start, route_end, time_start, time_end and windows "
                             "must have one entry per route.")
        self.tl = self.travel.tolist()
        self.dl = [float(x) for x in self.duration]
        self.sl = [float(x) for x in self.score]
        # Windows as padded arrays [n_routes, n_nodes, k] for the vectorised insertion
        # scan; a missing window opens at +inf and closes at -inf.
        k = max([len(w) for wr in self.windows for w in wr] + [1])
        op = np.full((self.n_routes, n, k), INF)
        cl = np.full((self.n_routes, n, k), -INF)
        for r, wr in enumerate(self.windows):
            if len(wr) != n:
                raise ValueError("windows[r] must have one entry per node.")
            for j, w in enumerate(wr):
                for q, (o, c) in enumerate(w):
                    op[r, j, q], cl[r, j, q] = o, c
        self.wopen, self.wclose, self.n_windows = op, cl, k
        # one window a day and no lunch: schedule() takes a lean path over these lists
        self.lean = k == 1 and not self.follower
        self.open1 = op[:, :, 0].tolist()
        self.close1 = cl[:, :, 0].tolist()


def find_start(windows: Sequence[tuple[float, float]], arrival: float) -> tuple[float, float]:
    """Earliest feasible start at or after ``arrival`` and the latest start of its window.

    Returns ``(inf, -inf)`` when no window can be met.
    """
    for o, c in windows:
        s = arrival if arrival > o else o
        if s <= c + EPS:
            return s, c
    return INF, -INF


class Route:
    """One day's visits with its schedule and forward slack ("max shift")."""

    __slots__ = ("nodes", "arr", "start", "latest", "maxshift", "dep", "slack", "end_arrival",
                 "score")

    def __init__(self, nodes: list[int] | None = None) -> None:
        self.nodes: list[int] = nodes if nodes is not None else []
        self.arr: list[float] = []
        self.start: list[float] = []
        self.latest: list[float] = []
        self.maxshift: list[float] = []
        self.dep: list[float] = []    # departure from each stop (start + duration)
        self.slack: list[float] = []  # wait + maximum shift: the delay each stop absorbs
        self.end_arrival = 0.0
        self.score = 0.0

    def copy(self) -> Route:
        r = Route(self.nodes[:])
        r.arr, r.start, r.latest, r.maxshift = self.arr[:], self.start[:], self.latest[:], \
            self.maxshift[:]
        r.dep, r.slack = self.dep[:], self.slack[:]
        r.end_arrival, r.score = self.end_arrival, self.score
        return r


def schedule(prob: Problem, r: int, route: Route) -> bool:
    """Recompute ``route``'s times on day ``r``; return whether it is feasible.

    The maximum shift of a stop is how much later its arrival may become without making
    it or any later stop infeasible (Vansteenwegen et al. 2009); with several windows a
    day it is computed inside the current window only, which is safe (never too large).
    """
    tl, dl, wins = prob.tl, prob.dl, prob.windows[r]
    follower = prob.follower
    t = prob.time_start[r]
    loc = prob.route_start[r]
    arr: list[float] = []
    st: list[float] = []
    lat: list[float] = []
    dep: list[float] = []
    score = 0.0
    sl = prob.sl
    feasible = True
    if prob.lean:
        o1, c1 = prob.open1[r], prob.close1[r]
        for j in route.nodes:
            a = t + tl[loc][j]
            loc = j
            s = o1[j]
            if a > s:
                s = a
            c = c1[j]
            if s > c + EPS:
                feasible = False
                s = c = a
            arr.append(a)
            st.append(s)
            lat.append(c)
            t = s + dl[j]
            dep.append(t)
            score += sl[j]
    for j in (() if prob.lean else route.nodes):
        if j in follower:
            a = t
        else:
            a = t + tl[loc][j]
            loc = j
        s, c = find_start(wins[j], a)
        if s == INF:
            feasible = False
            s, c = a, a
        arr.append(a)
        st.append(s)
        lat.append(c)
        t = s + dl[j]
        dep.append(t)
        score += sl[j]
    end_arr = t + tl[loc][prob.route_end[r]]
    if end_arr > prob.time_end[r] + EPS:
        feasible = False
    ms = [0.0] * len(st)
    slack = [0.0] * len(st)
    nxt = prob.time_end[r] - end_arr  # wait at the end depot is 0
    for i in range(len(st) - 1, -1, -1):
        m = lat[i] - st[i]
        if nxt < m:
            m = nxt
        ms[i] = m
        nxt = slack[i] = (st[i] - arr[i]) + m
    route.arr, route.start, route.latest, route.maxshift = arr, st, lat, ms
    route.dep, route.slack = dep, slack
    route.end_arrival, route.score = end_arr, score
    return feasible


class Solution:
    """Routes of all days plus where each node is."""

    __slots__ = ("routes", "where")

    def __init__(self, routes: list[Route], n_nodes: int) -> None:
        self.routes = routes
        self.where = [-1] * n_nodes
        for r, rt in enumerate(routes):
            for j in rt.nodes:
                self.where[j] = r

    @classmethod
    def empty(cls, prob: Problem) -> Solution:
        routes = [Route() for _ in range(prob.n_routes)]
        for r, rt in enumerate(routes):
            schedule(prob, r, rt)
        return cls(routes, prob.travel.shape[0])

    def copy(self) -> Solution:
        s = Solution.__new__(Solution)
        s.routes = [rt.copy() for rt in self.routes]
        s.where = self.where[:]
        return s

    @property
    def score(self) -> float:
        return sum(rt.score for rt in self.routes)

    def insert(self, prob: Problem, r: int, pos: int, j: int) -> bool:
        rt = self.routes[r]
        rt.nodes.insert(pos, j)
        self.where[j] = r
        return schedule(prob, r, rt)

    def remove(self, prob: Problem, r: int, pos: int) -> int:
        rt = self.routes[r]
        j = rt.nodes.pop(pos)
        self.where[j] = -1
        schedule(prob, r, rt)
        return j


def check_routes(prob: Problem, routes: Sequence[Sequence[int]]) -> list[str]:
    """Independent feasibility check of plain node lists; returns the problems found."""
    errors: list[str] = []
    seen: set[int] = set()
    if len(routes) != prob.n_routes:
        return [f"expected {prob.n_routes} routes, got {len(routes)}"]
    for r, nodes in enumerate(routes):
        t, loc = prob.time_start[r], prob.route_start[r]
        for j in nodes:
            if j in seen:
                errors.append(f"route {r}: node {j} visited twice")
            seen.add(j)
            a = t if j in prob.follower else t + prob.tl[loc][j]
            if j not in prob.follower:
                loc = j
            s = min((max(a, o) for o, c in prob.windows[r][j] if max(a, o) <= c + 1e-6),
                    default=None)
            if s is None:
                errors.append(f"route {r}: node {j} reached at {a:.3f}, no window fits "
                              f"{prob.windows[r][j]}")
                s = a
            t = s + prob.dl[j]
        back = t + prob.tl[loc][prob.route_end[r]]
        if back > prob.time_end[r] + 1e-6:
            errors.append(f"route {r}: back at {back:.3f} > {prob.time_end[r]:.3f}")
    return errors
