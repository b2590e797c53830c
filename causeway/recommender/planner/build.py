"""From planner dataclasses to the solver's arrays and back.

Node layout: candidates ``0..n-1``, then each day's start place, each day's end place,
then one lunch-break node per day (a follower: it happens where the previous stop was).
Must-sees get a score bonus larger than all other scores together, so the search only
gives one up when it cannot be fitted; the reported score is without the bonus.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causeway.recommender.planner.models import (
    REASON_CLOSED, REASON_NO_TIME, REASON_TOO_FAR, Candidate, Day, DayPlan, LunchBreak, Plan,
    Stop, TravelLeg, Unplanned)
from causeway.recommender.planner.problem import INF, Problem, Route, Solution, find_start, \
    schedule
from causeway.recommender.planner.search import SearchStats
from causeway.recommender.travel import LatLon, Mode, TravelModel


def _day_windows(c: Candidate, day_index: int) -> tuple[tuple[float, float], ...]:
    """(earliest start, latest start) windows of ``c`` on a day; the visit ends by close."""
    if day_index >= len(c.windows):
        return ()
    out: list[tuple[float, float]] = []
    for o, close in sorted(c.windows[day_index]):
        latest = close - c.duration_min
        if latest >= o:
            if out and o <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], latest))
            else:
                out.append((float(o), float(latest)))
    return tuple(out)


class Built:
    """A planner instance turned into a :class:`Problem`, with the way back."""

    def __init__(self, candidates: Sequence[Candidate], days: Sequence[Day], mode: Mode,
                 lunch: LunchBreak | None, travel: TravelModel,
                 day_index: Sequence[int] | None = None,
                 excluded: frozenset[str] = frozenset(),
                 fixed_ids: frozenset[str] = frozenset(),
                 lunch_routes: frozenset[int] | None = None) -> None:
        self.candidates = list(candidates)
        self.days = list(days)
        self.mode = Mode(mode)
        self.lunch = lunch
        self.day_index = list(range(len(days))) if day_index is None else list(day_index)
        n, m = len(self.candidates), len(self.days)
        self.n = n
        self.index = {c.id: k for k, c in enumerate(self.candidates)}
        self.starts = [n + r for r in range(m)]
        self.ends = [n + m + r for r in range(m)]
        self.lunches = [n + 2 * m + r for r in range(m)] if lunch else []
        places: list[LatLon] = [(c.lat, c.lon) for c in self.candidates]
        places += [d.start for d in self.days] + [d.end_place for d in self.days]
        places += [d.start for d in self.days] if lunch else []
        self.km, self.minutes = travel.matrix(places, self.mode)
        n_nodes = len(places)
        base = np.zeros(n_nodes)
        dur = np.zeros(n_nodes)
        for k, c in enumerate(self.candidates):
            base[k], dur[k] = c.score, c.duration_min
        self.base_score = base
        bonus = float(base.sum()) + 1.0
        score = base.copy()
        self.must = [k for k, c in enumerate(self.candidates)
                     if c.must_see and c.id not in excluded]
        score[self.must] += bonus
        windows: list[list[tuple[tuple[float, float], ...]]] = []
        for r in range(m):
            wr: list[tuple[tuple[float, float], ...]] = [()] * n_nodes
            for k, c in enumerate(self.candidates):
                wr[k] = _day_windows(c, self.day_index[r])
            if lunch and (lunch_routes is None or r in lunch_routes):
                wr[self.lunches[r]] = ((lunch.earliest, lunch.latest),)
                dur[self.lunches[r]] = lunch.duration_min
            windows.append(wr)
        customers = [k for k, c in enumerate(self.candidates)
                     if c.id not in excluded and (c.score > 0 or k in self.must)]
        fixed = set(self.lunches) | {self.index[i] for i in fixed_ids if i in self.index}
        self.prob = Problem(
            travel=self.minutes, duration=dur, score=score, windows=windows,
            route_start=self.starts, route_end=self.ends,
            time_start=[d.start_min for d in self.days], time_end=[d.end_min for d in self.days],
            customers=customers, follower=frozenset(self.lunches), fixed=frozenset(fixed))

    # --------------------------------------------------------------------- solutions
    def solution(self, routes: Sequence[Sequence[str]] | None = None) -> Solution:
        """A solution from candidate ids per day, ``"lunch"`` marking the break.

        Without a ``"lunch"`` entry the break goes at the first place it fits that day.
        """
        prob = self.prob
        sol = Solution.empty(prob)
        for r in range(prob.n_routes):
            ids = list(routes[r]) if routes else []
            lunch_ok = bool(self.lunch) and bool(prob.windows[r][self.lunches[r]])
            nodes = [self.lunches[r] if i == "lunch" else self.index[i] for i in ids
                     if i != "lunch" or lunch_ok]
            rt = Route(nodes)
            if lunch_ok and "lunch" not in ids:
                rt.nodes = self._with_lunch(r, nodes)
            schedule(prob, r, rt)
            sol.routes[r] = rt
            for j in rt.nodes:
                sol.where[j] = r
        return sol

    def _with_lunch(self, r: int, nodes: list[int]) -> list[int]:
        lunch = self.lunches[r]
        for p in range(len(nodes) + 1):
            trial = Route(nodes[:p] + [lunch] + nodes[p:])
            if schedule(self.prob, r, trial):
                return trial.nodes
        return nodes[:]  # the day is too short or too full for lunch: leave it out

    # --------------------------------------------------------------------- decoding
    def _leg(self, a: int, b: int) -> TravelLeg:
        return TravelLeg(self.mode, float(self.km[a, b]), float(self.minutes[a, b]))

    def decode(self, sol: Solution, stats: SearchStats | None,
               virtual_limit: int) -> Plan:
        prob = self.prob
        days: list[DayPlan] = []
        for r, rt in enumerate(sol.routes):
            schedule(prob, r, rt)
            loc = prob.route_start[r]
            stops: list[Stop] = []
            for j, a, s in zip(rt.nodes, rt.arr, rt.start):
                end = s + prob.dl[j]
                if j in prob.follower:
                    stops.append(Stop("lunch", "lunch", a, s - a, s, end, end,
                                      TravelLeg(self.mode, 0.0, 0.0)))
                    continue
                c = self.candidates[j]
                stops.append(Stop(c.id, "visit", a, s - a, s, end, end, self._leg(loc, j),
                                  c.score))
                loc = j
            days.append(DayPlan(
                day=self.day_index[r], start_min=prob.time_start[r], end_min=prob.time_end[r],
                stops=stops, leg_home=self._leg(loc, prob.route_end[r]), back_at=rt.end_arrival,
                score=float(sum(self.base_score[j] for j in rt.nodes if j < self.n))))
        planned = {j for rt in sol.routes for j in rt.nodes}
        left = [k for k in range(self.n) if k not in planned and k in set(prob.customers)]
        unmet = [self.why(k) for k in left if k in self.must]
        others = sorted((k for k in left if k not in self.must),
                        key=lambda k: (-self.base_score[k], self.candidates[k].id))
        virtual = [self.why(k) for k in others[:virtual_limit]]
        return Plan(days=days, virtual_visits=virtual, unmet_must_see=unmet,
                    score=float(sum(d.score for d in days)),
                    iterations=stats.iterations if stats else 0,
                    seconds=stats.seconds if stats else 0.0)

    def why(self, k: int) -> Unplanned:
        """Why candidate ``k`` is not in the plan."""
        prob, c = self.prob, self.candidates[k]
        open_days = [r for r in range(prob.n_routes) if prob.windows[r][k]]
        if not open_days:
            return Unplanned(c.id, c.score, REASON_CLOSED,
                             "not open long enough for a visit on any day of the stay")
        for r in open_days:
            a = prob.time_start[r] + prob.tl[prob.route_start[r]][k]
            s, _ = find_start(prob.windows[r][k], a)
            if s < INF and s + prob.dl[k] + prob.tl[k][prob.route_end[r]] <= prob.time_end[r]:
                return Unplanned(c.id, c.score, REASON_NO_TIME,
                                 "reachable, but the days are full with higher-value visits"
                                 + (" and other must-sees" if c.must_see else ""))
        out = min(prob.tl[prob.route_start[r]][k] for r in open_days)
        return Unplanned(c.id, c.score, REASON_TOO_FAR,
                         f"cannot be reached, visited and left within the day's hours "
                         f"({out:.0f} min travel from the day's start)")
