"""Vectorised insertion scan: every (route, position, candidate) at once in numpy.

For a position between ``prev`` and ``next`` and a candidate ``j``, the arrival at ``j``
is ``departure(prev) + t(prev, j)``, the visit starts at the earliest window opening after
that, and the insertion is feasible when that start is within the window and the delay it
causes at ``next`` ("shift") is at most ``next``'s wait plus its maximum shift. That is an
exact O(1) test per triple (Vansteenwegen et al. 2009), evaluated here as a few array
operations of shape [n_positions, n_candidates].
"""

from __future__ import annotations

import numpy as np

from causeway.recommender.planner.problem import EPS, INF, Problem, Solution


class InsertionScan:
    """Feasible insertions of candidates into the routes of a solution."""

    def __init__(self, prob: Problem) -> None:
        self.prob = prob
        self.T = np.ascontiguousarray(prob.travel, dtype=np.float64)
        self.dur = np.asarray(prob.duration, dtype=np.float64)
        self.score = np.asarray(prob.score, dtype=np.float64)
        self.sq_score = self.score ** 2
        self.k1 = prob.n_windows == 1
        self.wopen1 = prob.wopen[:, :, 0]
        self.wclose1 = prob.wclose[:, :, 0]

    def positions(self, sol: Solution, routes: list[int] | None = None) -> tuple[
            np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
            list[tuple[int, float, float, float, int, float, float]]]:
        """Arrays describing every insertion position, plus the lunch-break special rows."""
        prob = self.prob
        follower = prob.follower
        dl = prob.dl
        prev_loc: list[int] = []
        dep: list[float] = []
        next_loc: list[int] = []
        old: list[float] = []
        slack: list[float] = []
        rid: list[int] = []
        pos: list[int] = []
        special: list[tuple[int, float, float, float, int, float, float]] = []
        for r in (range(prob.n_routes) if routes is None else routes):
            rt = sol.routes[r]
            nodes, arr, st, ms = rt.nodes, rt.arr, rt.start, rt.maxshift
            n = len(nodes)
            loc, d = prob.route_start[r], prob.time_start[r]
            end_slack = prob.time_end[r] - rt.end_arrival
            if not follower or follower.isdisjoint(nodes):  # the common case, in bulk
                prev_loc.append(loc)
                prev_loc += nodes
                dep.append(d)
                dep += rt.dep
                next_loc += nodes
                next_loc.append(prob.route_end[r])
                old += arr
                old.append(rt.end_arrival)
                slack += rt.slack
                slack.append(end_slack)
                rid += [r] * (n + 1)
                pos += range(n + 1)
                continue
            for p in range(n + 1):
                prev_loc.append(loc)
                dep.append(d)
                rid.append(r)
                pos.append(p)
                if p == n:
                    next_loc.append(prob.route_end[r])
                    old.append(rt.end_arrival)
                    slack.append(end_slack)
                    break
                j = nodes[p]
                next_loc.append(j)
                old.append(arr[p])
                slack.append(st[p] - arr[p] + ms[p])
                if j in follower:
                    # Inserting before a lunch break moves the break to the new stop.
                    if p + 1 < n:
                        x = nodes[p + 1]
                        xs = (x, arr[p + 1], st[p + 1] - arr[p + 1] + ms[p + 1])
                    else:
                        xs = (prob.route_end[r], rt.end_arrival, end_slack)
                    o, c = prob.windows[r][j][0]
                    special.append((len(dep) - 1, o, c, dl[j], *xs))
                    slack[-1] = xs[2]  # the delay that matters is the one at the stop after
                else:
                    loc = j
                d = st[p] + dl[j]
        return (np.array(prev_loc), np.array(dep), np.array(next_loc), np.array(old),
                np.array(slack), np.array(rid), np.array(pos), special)

    def evaluate(self, sol: Solution, cands: np.ndarray,
                 routes: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Feasibility mask and shift, both [n_positions, n_candidates]."""
        pl, dep, nl, old, slack, rid, _pos, special = pos_arrays = self.positions(sol, routes)
        T = self.T
        arrive = dep[:, None] + T[pl[:, None], cands[None, :]]
        if self.k1:
            start = np.maximum(arrive, self.wopen1[rid[:, None], cands[None, :]])
            ok = start <= self.wclose1[rid[:, None], cands[None, :]] + EPS
        else:
            opens = self.prob.wopen[rid[:, None], cands[None, :], :]
            s_all = np.maximum(arrive[:, :, None], opens)
            fits = s_all <= self.prob.wclose[rid[:, None], cands[None, :], :] + EPS
            start = np.where(fits, s_all, INF).min(axis=2)
            ok = fits.any(axis=2)
        done = start + self.dur[cands][None, :]
        shift = done + T[cands[None, :], nl[:, None]] - old[:, None]
        for row, o, c, d_f, x, x_old, _x_slack in special:
            s_f = np.maximum(done[row], o)
            shift[row] = s_f + d_f + T[cands, x] - x_old
            ok[row] &= s_f <= c + EPS
        ok &= shift <= slack[:, None] + EPS
        return ok, shift, pos_arrays

    def excess(self, sol: Solution, cands: np.ndarray, r: int) -> np.ndarray:
        """Per candidate, how much too late its best insertion into day ``r`` is (<= 0: fits).

        Over every position: the larger of the delay beyond the next stop's slack and the
        start beyond the window's close. One window a day and no lunch break only.
        """
        pl, dep, nl, old, slack, _rid, _pos, _special = self.positions(sol, [r])
        T = self.T
        start = np.maximum(dep[:, None] + T[pl[:, None], cands[None, :]],
                           self.wopen1[r, cands][None, :])
        over = start - self.wclose1[r, cands][None, :]
        late = start + self.dur[cands][None, :] + T[cands[None, :], nl[:, None]] \
            - old[:, None] - slack[:, None]
        return np.maximum(late, over).min(axis=0)

    def best(self, sol: Solution, cands: np.ndarray, noise: np.ndarray | None = None,
             routes: list[int] | None = None) -> tuple[int, int, int] | None:
        """Best (route, position, node) by score² / shift, or None if nothing fits."""
        if cands.size == 0:
            return None
        ok, shift, pos_arrays = self.evaluate(sol, cands, routes)
        if not ok.any():
            return None
        ratio = self.sq_score[cands][None, :] / np.maximum(shift, 1e-6)
        if noise is not None:
            ratio = ratio * noise[None, :]
        ratio = np.where(ok, ratio, -1.0)
        flat = int(ratio.argmax())
        row, col = divmod(flat, ratio.shape[1])
        rid, pos = pos_arrays[5], pos_arrays[6]
        return int(rid[row]), int(pos[row]), int(cands[col])
