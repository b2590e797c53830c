"""Construction and iterated local search for the (team) orienteering problem with windows.

Construction is greedy insertion by score² / time consumed, all routes at once. The
iterated local search follows Vansteenwegen et al. (2009): shake (remove a run of
consecutive stops from every route), then re-fill greedily; we add random removal,
a "replace" move (drop a stop to make room for a better one), and 2-opt/relocate moves
within a day and moves across days that free time for further insertions. Every
iteration perturbs a copy of the current solution, re-fills and polishes it (local
search to a local optimum), and keeps it when it is no worse.

Determinism: all randomness comes from ``random.Random(seed)``. The search stops after
``max_iterations`` or ``time_limit`` seconds, whichever comes first; with an iteration
cap that is reached before the time limit, the result depends on the seed only.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from causeway.recommender.planner.insertion import InsertionScan
from causeway.recommender.planner.problem import EPS, INF, Problem, Route, Solution, schedule


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Knobs of the search.

    Parameters
    ----------
    time_limit:
        Wall-clock seconds; the best solution so far is returned when it runs out.
    max_iterations:
        Iteration cap; set it (and a generous time limit) for reproducible results.
    seed:
        Seed of the random generator.
    """

    time_limit: float = 1.0
    max_iterations: int = 1_000_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise ValueError("time_limit must be positive.")
        if self.max_iterations < 0:
            raise ValueError("max_iterations must be 0 or larger.")


@dataclass(slots=True)
class SearchStats:
    """What the search did."""

    iterations: int
    seconds: float
    best_iteration: int
    stopped_by: str  # "iterations" | "time"


class Search:
    """Stateful solver over one :class:`Problem`."""

    def __init__(self, prob: Problem, params: SearchParams) -> None:
        self.prob = prob
        self.params = params
        self.rng = random.Random(params.seed)
        self.np_rng = np.random.default_rng(params.seed)
        self.scan = InsertionScan(prob)
        n = prob.travel.shape[0]
        self.is_cand = np.zeros(n, dtype=bool)
        self.is_cand[np.asarray(prob.customers, dtype=np.int64)] = True
        self.is_cand[list(prob.follower)] = False  # placed by the caller, never scanned
        self.deadline = float("inf")
        # Knobs (measured on the OPTW benchmarks, see benchmarks/optw.md): days of up to
        # ``compress_max`` stops also get the exhaustive end-time compress; the largest
        # removal is ``shake_frac`` times the mean stops per day; after ``restart_after``
        # iterations without a new best the search goes back to the best.
        self.compress_max = 15
        self.shake_frac = 1.0
        self.restart_after = 100
        self.replace_max = 30  # beyond this many stops, try swap_in before replace
        self._tight: dict[int, list[int]] = {}

    # ----------------------------------------------------------------- building blocks
    def unrouted(self, sol: Solution) -> np.ndarray:
        mask = self.is_cand.copy()
        routed = [j for rt in sol.routes for j in rt.nodes]
        if routed:
            mask[routed] = False
        return np.flatnonzero(mask)

    def fill(self, sol: Solution, noise: np.ndarray | None = None,
             tabu: list[int] | None = None) -> None:
        """Greedy insertion until nothing fits (``tabu`` nodes are left out)."""
        cands = self.unrouted(sol)
        if tabu:
            cands = np.setdiff1d(cands, tabu, assume_unique=True)
        while cands.size:
            choice = self.scan.best(sol, cands, None if noise is None else noise[cands])
            if choice is None:
                return
            r, p, j = choice
            if not sol.insert(self.prob, r, p, j):  # defensive: never keep a broken day
                sol.remove(self.prob, r, p)
            cands = cands[cands != j]

    def shake(self, sol: Solution, size: int, begin: int) -> None:
        """Remove ``size`` consecutive stops from every route, from position ``begin``."""
        fixed = self.prob.fixed
        for r, rt in enumerate(sol.routes):
            n = len(rt.nodes)
            if n == 0:
                continue
            b = begin % n
            keep = [j for i, j in enumerate(rt.nodes)
                    if not (b <= i < b + size) or j in fixed]
            if len(keep) != n:
                for i in range(b, min(b + size, n)):
                    if rt.nodes[i] not in fixed:
                        sol.where[rt.nodes[i]] = -1
                rt.nodes = keep
                schedule(self.prob, r, rt)

    def remove_random(self, sol: Solution, count: int) -> None:
        fixed = self.prob.fixed
        pool = [(r, j) for r, rt in enumerate(sol.routes) for j in rt.nodes if j not in fixed]
        if not pool:
            return
        drop = set(self.rng.sample(pool, min(count, len(pool))))
        for r, rt in enumerate(sol.routes):
            keep = [j for j in rt.nodes if (r, j) not in drop]
            if len(keep) != len(rt.nodes):
                for j in rt.nodes:
                    if (r, j) in drop:
                        sol.where[j] = -1
                rt.nodes = keep
                schedule(self.prob, r, rt)

    def end_time(self, r: int, nodes: list[int]) -> float:
        """Arrival back at the end of day ``r`` for ``nodes``, or inf if infeasible."""
        prob = self.prob
        tl, dl, wins, follower = prob.tl, prob.dl, prob.windows[r], prob.follower
        t, loc = prob.time_start[r], prob.route_start[r]
        for j in nodes:
            if j in follower:
                a = t
            else:
                a = t + tl[loc][j]
                loc = j
            for o, c in wins[j]:
                s = a if a > o else o
                if s <= c + EPS:
                    break
            else:
                return INF
            t = s + dl[j]
        t += tl[loc][prob.route_end[r]]
        return t if t <= prob.time_end[r] + EPS else INF

    def compress(self, sol: Solution, r: int) -> bool:
        """Relocate / 2-opt inside day ``r`` while that brings the day's end earlier."""
        rt = sol.routes[r]
        nodes = rt.nodes
        best = rt.end_arrival
        improved = False
        changed = True
        while changed and time.perf_counter() < self.deadline:
            changed = False
            n = len(nodes)
            for i in range(n):
                j = nodes[i]
                rest = nodes[:i] + nodes[i + 1:]
                for p in range(n):
                    if p == i:
                        continue
                    cand = rest[:p] + [j] + rest[p:]
                    e = self.end_time(r, cand)
                    if e < best - 1e-7:
                        nodes, best, changed, improved = cand, e, True, True
                        break
                if changed:
                    break
            if changed:
                continue
            for i in range(n - 1):
                for k in range(i + 2, n + 1):
                    cand = nodes[:i] + nodes[i:k][::-1] + nodes[k:]
                    e = self.end_time(r, cand)
                    if e < best - 1e-7:
                        nodes, best, changed, improved = cand, e, True, True
                        break
                if changed:
                    break
        if improved:
            rt.nodes = nodes
            schedule(self.prob, r, rt)
        return improved

    # ----------------------------------------------------------------- fast intra-day moves
    def _simulate(self, r: int, t: float, loc: int, seq: list[int]) -> tuple[float, int]:
        """Departure time and place after ``seq`` from (``t``, ``loc``); inf if a window fails."""
        tl, dl, wins = self.prob.tl, self.prob.dl, self.prob.windows[r]
        for j in seq:
            a = t + tl[loc][j]
            for o, c in wins[j]:
                s = a if a > o else o
                if s <= c + EPS:
                    break
            else:
                return INF, loc
            t = s + dl[j]
            loc = j
        return t, loc

    def tighten(self, sol: Solution, r: int, window: int = 12) -> bool:
        """Relocate and 2-opt inside day ``r`` while they shorten the day's travel.

        A move is kept when it cuts the travel time and the first stop after the part it
        reorders is reached no later than before, so the rest of the day stays feasible
        and no later (the maximum-shift argument of the insertion test). Travel deltas of
        every move come from one numpy expression; only the improving ones are simulated,
        and only over the reordered part. Days with a lunch break use :meth:`compress`.
        """
        prob = self.prob
        rt = sol.routes[r]
        if any(j in prob.follower for j in rt.nodes) or len(rt.nodes) < 3:
            return self.compress(sol, r)
        T = self.scan.T
        improved = False
        for _ in range(200):
            if time.perf_counter() >= self.deadline:
                break
            nodes = rt.nodes
            n = len(nodes)
            seq = np.array([prob.route_start[r], *nodes, prob.route_end[r]])
            # departure from position k (k = 0 is the day's start), arrival at k (n + 1 = end)
            dep = [prob.time_start[r], *rt.dep]
            arr = [0.0, *rt.arr, rt.end_arrival]
            sq = seq.tolist()
            tl = prob.tl
            fw = T[seq[:-1], seq[1:]]                  # edge k -> k+1, k = 0..n
            moves = self._moves(T, seq, fw, n, window)
            done = False
            for kind, a, b in moves:
                # a, b: positions in seq (1..n are stops)
                if kind == 0:   # 2-opt: reverse seq[a..b]
                    lo, q = a, b + 1
                    region = sq[a:b + 1][::-1]
                elif a < b:     # relocate stop at a to just before b (b > a + 1)
                    lo, q = a, b
                    region = sq[a + 1:b] + [sq[a]]
                else:           # relocate stop at a to just before b (b < a)
                    lo, q = b, a + 1
                    region = [sq[a]] + sq[b:a]
                t, loc = self._simulate(r, dep[lo - 1], sq[lo - 1], region)
                if t == INF:
                    continue
                if t + tl[loc][sq[q]] <= arr[q] + 1e-7:
                    rt.nodes = sq[1:lo] + region + sq[q:n + 1]
                    schedule(prob, r, rt)
                    improved = done = True
                    break
            if not done:
                break
        return improved

    @staticmethod
    def _moves(T: np.ndarray, seq: np.ndarray, fw: np.ndarray, n: int,
               window: int) -> list[tuple[int, int, int]]:
        """Travel-reducing 2-opt and relocate moves within ``window`` positions, best first.

        Returns ``(kind, a, b)``: kind 0 reverses positions a..b, kind 1 moves the stop at
        position a to just before position b (positions in ``seq``, 1..n are stops).
        """
        w = min(window, n + 1)
        pos = np.arange(1, n + 1)
        # 2-opt over a..b = a + k, k = 1..w; reversed inner travel from prefix sums, so
        # asymmetric travel is handled too
        bw = T[seq[1:], seq[:-1]]
        cf = np.concatenate(([0.0], np.cumsum(fw)))
        cb = np.concatenate(([0.0], np.cumsum(bw)))
        a2 = np.repeat(pos, w)
        b2 = a2 + np.tile(np.arange(1, w + 1), n)
        keep = b2 <= n
        a2, b2 = a2[keep], b2[keep]
        d2 = (T[seq[a2 - 1], seq[b2]] + (cb[b2] - cb[a2]) + T[seq[a2], seq[b2 + 1]]
              - (cf[b2 + 1] - cf[a2 - 1]))
        # relocate a to before b, b in a+2..a+w+1 or a-w..a-1
        offs = np.concatenate((np.arange(2, w + 2), -np.arange(1, w + 1)))
        a1 = np.repeat(pos, offs.size)
        b1 = a1 + np.tile(offs, n)
        keep = (b1 >= 1) & (b1 <= n + 1)
        a1, b1 = a1[keep], b1[keep]
        rem = T[seq[pos - 1], seq[pos + 1]] - fw[pos - 1] - fw[pos]
        d1 = rem[a1 - 1] + T[seq[b1 - 1], seq[a1]] + T[seq[a1], seq[b1]] - \
            T[seq[b1 - 1], seq[b1]]
        d = np.concatenate((d2, d1))
        good = np.flatnonzero(d < -1e-7)
        if good.size == 0:
            return []
        good = good[np.argsort(d[good], kind="stable")]
        kinds = (good >= d2.size).astype(np.int64)
        aa = np.concatenate((a2, a1))[good]
        bb = np.concatenate((b2, b1))[good]
        return list(zip(kinds.tolist(), aa.tolist(), bb.tolist()))

    def replace(self, sol: Solution, only: list[int] | None = None) -> bool:
        """Best single exchange of a visited stop for an unvisited one with a higher score.

        ``only`` restricts the incoming stops to these nodes.
        """
        prob = self.prob
        fixed = prob.fixed
        sc = self.scan.score
        cands_all = self.unrouted(sol)
        if only is not None:
            cands_all = np.intersect1d(cands_all, only)
        best_gain, best_move = EPS, None
        if cands_all.size == 0:
            return False
        top = float(sc[cands_all].max())
        # lowest-scoring stops first: they can gain most, and a gain found bounds the rest
        order = sorted((prob.sl[j], r, i) for r, rt in enumerate(sol.routes)
                       for i, j in enumerate(rt.nodes) if j not in fixed)
        # one window a day, no lunch: skip candidates that cannot fit even with the time a
        # removal frees (a bound), before re-timing the day without the stop
        excess = self._excess(sol, cands_all) if prob.lean else None
        for sj, r, i in order:
            if top - sj <= best_gain:
                break
            rt = sol.routes[r]
            j = rt.nodes[i]
            cands = cands_all[sc[cands_all] > sj + best_gain]
            if excess is not None and cands.size:
                cands = cands[(excess[r][cands] <= self._freed(r, rt, i) + 1e-6)
                              | self._fits_in_place(r, rt, i, cands)]
            if cands.size == 0:
                continue
            trial = Solution.__new__(Solution)  # only day r changes: share the others
            trial.routes = sol.routes[:]
            trial.routes[r] = Route(rt.nodes[:i] + rt.nodes[i + 1:])
            schedule(prob, r, trial.routes[r])
            ok, shift, pos_arrays = self.scan.evaluate(trial, cands, [r])
            if not ok.any():
                continue
            cols = np.flatnonzero(ok.any(axis=0))
            gain = float(sc[cands[cols]].max()) - prob.sl[j]
            if gain > best_gain:
                c = cols[int(sc[cands[cols]].argmax())]
                row = int(np.where(ok[:, c], shift[:, c], INF).argmin())
                best_gain = gain
                best_move = (r, i, int(pos_arrays[6][row]), int(cands[c]))
        if best_move is None:
            return False
        r, i, p, c = best_move
        trial = sol.copy()
        trial.remove(prob, r, i)
        if not trial.insert(prob, r, p, c):
            return False
        sol.routes, sol.where = trial.routes, trial.where
        return True

    def _excess(self, sol: Solution, cands: np.ndarray) -> list[np.ndarray]:
        """Per day, each candidate's excess (:meth:`InsertionScan.excess`) by node."""
        out = []
        for r in range(self.prob.n_routes):
            e = np.full(self.scan.T.shape[0], INF)
            e[cands] = self.scan.excess(sol, cands, r)
            out.append(e)
        return out

    def _freed(self, r: int, rt: Route, i: int) -> float:
        """Bound on the time removing stop ``i`` gives an insertion anywhere in day ``r``.

        Later stops can be reached at most this much earlier, and earlier stops may be
        delayed at most this much more; so a candidate whose best insertion is later than
        this cannot fit after the removal either.
        """
        prob = self.prob
        tl = prob.tl
        n = len(rt.nodes)
        j = rt.nodes[i]
        prev = rt.nodes[i - 1] if i else prob.route_start[r]
        dep = rt.dep[i - 1] if i else prob.time_start[r]
        if i + 1 < n:
            nxt, arr_next, slack_next = rt.nodes[i + 1], rt.arr[i + 1], rt.slack[i + 1]
        else:
            nxt, arr_next = prob.route_end[r], rt.end_arrival
            slack_next = prob.time_end[r] - rt.end_arrival
        earlier = arr_next - (dep + tl[prev][nxt])
        later = (arr_next + slack_next - tl[prev][nxt]) - (rt.arr[i] + rt.slack[i] - tl[prev][j])
        return max(earlier, later, 0.0)

    def _fits_in_place(self, r: int, rt: Route, i: int, cands: np.ndarray) -> np.ndarray:
        """Which candidates fit where stop ``i`` is, once it is removed (max-shift test)."""
        prob, scan = self.prob, self.scan
        prev = rt.nodes[i - 1] if i else prob.route_start[r]
        dep = rt.dep[i - 1] if i else prob.time_start[r]
        if i + 1 < len(rt.nodes):
            nxt, latest = rt.nodes[i + 1], rt.arr[i + 1] + rt.slack[i + 1]
        else:
            nxt, latest = prob.route_end[r], prob.time_end[r]
        start = np.maximum(dep + scan.T[prev, cands], scan.wopen1[r, cands])
        return (start <= scan.wclose1[r, cands] + EPS) & \
            (start + scan.dur[cands] + scan.T[cands, nxt] <= latest + EPS)

    def swap_in(self, sol: Solution) -> bool:
        """Best exchange of a stop for a higher-scoring unvisited node at the same place.

        Vectorised over every (stop, candidate) pair of a day: the candidate must fit its
        window after the previous stop, and the delay it causes at the next stop must be
        within that stop's wait plus maximum shift, the O(1) insertion test. Days with a
        lunch break, and problems with several windows a day, use :meth:`replace`.
        """
        prob = self.prob
        if prob.n_windows != 1:
            return self.replace(sol)
        cands = self.unrouted(sol)
        if cands.size == 0:
            return False
        T, sc, fixed = self.scan.T, self.scan.score, prob.fixed
        best_gain, best_move = EPS, None
        for r, rt in enumerate(sol.routes):
            nodes = rt.nodes
            n = len(nodes)
            if n == 0:
                continue
            if any(j in prob.follower for j in nodes):
                continue
            seq = np.array([prob.route_start[r], *nodes, prob.route_end[r]])
            dep = np.array([prob.time_start[r]] + [s + prob.dl[j] for s, j in
                                                     zip(rt.start, nodes)])
            arr = np.array(rt.arr + [rt.end_arrival])
            slack = np.array([s - a + m for s, a, m in zip(rt.start, rt.arr, rt.maxshift)]
                             + [prob.time_end[r] - rt.end_arrival])
            stops = np.array([i for i, j in enumerate(nodes) if j not in fixed], dtype=np.int64)
            if stops.size == 0:
                continue
            gain = sc[cands][None, :] - sc[seq[stops + 1]][:, None]
            if not (gain > best_gain).any():
                continue
            arrive = dep[stops][:, None] + T[seq[stops][:, None], cands[None, :]]
            start = np.maximum(arrive, self.scan.wopen1[r, cands][None, :])
            ok = start <= self.scan.wclose1[r, cands][None, :] + EPS
            shift = (start + self.scan.dur[cands][None, :]
                     + T[cands[None, :], seq[stops + 2][:, None]] - arr[stops + 1][:, None])
            ok &= shift <= slack[stops + 1][:, None] + EPS
            ok &= gain > best_gain
            if not ok.any():
                continue
            g = np.where(ok, gain - 1e-9 * shift, -INF)
            flat = int(g.argmax())
            row, col = divmod(flat, g.shape[1])
            best_gain = float(gain[row, col])
            best_move = (r, int(stops[row]), int(cands[col]))
        if best_move is None:
            return False
        r, i, c = best_move
        rt = sol.routes[r]
        old = rt.nodes[i]
        rt.nodes[i] = c
        if not schedule(prob, r, rt):  # defensive: rounding, never keep a broken day
            rt.nodes[i] = old
            schedule(prob, r, rt)
            return False
        sol.where[old], sol.where[c] = -1, r
        return True

    def across_days(self, sol: Solution) -> bool:
        """Move one stop to another day when the time it frees lets more in (first found)."""
        prob = self.prob
        base = sol.score
        movable = np.array([j for rt in sol.routes for j in rt.nodes if j not in prob.fixed],
                           dtype=np.int64)
        if movable.size == 0:
            return False
        # where each stop could go: one scan per day (a stop's own day does not change
        # the other days' positions, so this equals the scan after removing it)
        fits = []
        for r2 in range(prob.n_routes):
            ok = self.scan.evaluate(sol, movable, [r2])[0]
            fits.append(set(movable[ok.any(axis=0)].tolist()))
        for r, rt in enumerate(sol.routes):
            for i, j in enumerate(rt.nodes):
                if j in prob.fixed or time.perf_counter() >= self.deadline:
                    continue
                for r2 in range(prob.n_routes):
                    if r2 == r or j not in fits[r2]:
                        continue
                    one = np.array([j])
                    trial = sol.copy()
                    trial.remove(prob, r, i)
                    choice = self.scan.best(trial, one, routes=[r2])
                    if choice is None:
                        continue
                    if not trial.insert(prob, *choice):
                        continue
                    self.fill(trial)
                    if trial.score > base + EPS:
                        sol.routes, sol.where = trial.routes, trial.where
                        return True
        return False

    def polish(self, sol: Solution) -> None:
        """Local search to a local optimum of compress + fill + replace + moves across days."""
        for _ in range(50):
            if time.perf_counter() >= self.deadline:
                return
            for r in range(self.prob.n_routes):
                if self._tight.get(r) == sol.routes[r].nodes:
                    continue  # already a local optimum of the moves inside a day
                self.tighten(sol, r)
                if len(sol.routes[r].nodes) <= self.compress_max:
                    self.compress(sol, r)
                self._tight[r] = sol.routes[r].nodes[:]
            self.fill(sol)
            long = sum(len(rt.nodes) for rt in sol.routes) > self.replace_max
            if (self.swap_in(sol) or self.replace(sol)) if long else self.replace(sol):
                self.fill(sol)
            elif not (self.prob.n_routes > 1 and self.across_days(sol)):
                break

    # ----------------------------------------------------------------- the main loop
    def run(self, initial: Solution | None = None) -> tuple[Solution, SearchStats]:
        prob, params, rng = self.prob, self.params, self.rng
        t0 = time.perf_counter()
        self.deadline = deadline = t0 + params.time_limit
        cur = initial.copy() if initial is not None else Solution.empty(prob)
        self.fill(cur)
        self.polish(cur)
        best, best_score, best_it = cur.copy(), cur.score, 0
        size, begin, since = 1, 0, 0
        it = 0
        stopped = "iterations"
        n = prob.travel.shape[0]
        while it < params.max_iterations:
            if time.perf_counter() >= deadline:
                stopped = "time"
                break
            it += 1
            stops = sum(len(rt.nodes) for rt in cur.routes) / prob.n_routes
            max_size = max(2, int(self.shake_frac * stops))
            trial = cur.copy()
            before = {j for rt in trial.routes for j in rt.nodes}
            if rng.random() < 0.5:
                self.shake(trial, size, begin)
            else:
                self.remove_random(trial, rng.randint(1, max_size))
            removed = list(before.difference(j for rt in trial.routes for j in rt.nodes))
            noise = 1.0 + 0.3 * self.np_rng.random(int(n))
            self.fill(trial, noise, removed)
            self.fill(trial)
            self.polish(trial)
            score = trial.score
            if score > best_score + EPS:
                best, best_score, best_it = trial.copy(), score, it
                size, since = 1, 0
            else:
                since += 1
                size += 1
            if score >= cur.score - EPS:
                cur = trial
            begin += size
            if size > max_size:
                size = 1
            if since and since % self.restart_after == 0:
                cur = best.copy()
        stats = SearchStats(iterations=it, seconds=time.perf_counter() - t0,
                            best_iteration=best_it, stopped_by=stopped)
        return best, stats


def solve(prob: Problem, params: SearchParams | None = None,
          initial: Solution | None = None) -> tuple[Solution, SearchStats]:
    """Best solution found for ``prob`` (see :class:`SearchParams`)."""
    return Search(prob, params or SearchParams()).run(initial)
