"""Re-planning in the street: repair the current itinerary instead of planning afresh.

The repaired plan starts today at the visitor's position and time (plus any delay) and
keeps the remaining stops in their order. It only removes what no longer fits (lowest
score first, never a locked stop unless nothing else helps), fits in added attractions
(dropping the cheapest stop of a day if that is the only way), then fills freed time by
greedy insertion, which never reorders the stops that stay. No iterated search runs, so
the rest of the trip changes as little as possible; :attr:`Replan.changes` lists what did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from causeway.recommender.planner.build import Built
from causeway.recommender.planner.models import Day, Plan, PlanRequest
from causeway.recommender.planner.problem import Solution, schedule
from causeway.recommender.planner.search import Search, SearchParams
from causeway.recommender.travel import GeodesicTravelModel, LatLon, TravelModel


@dataclass(frozen=True)
class Edits:
    """What the visitor asked for.

    Parameters
    ----------
    skip: ids to drop from the plan (and not to re-add).
    lock: ids that must stay in the plan on their day.
    late_min: minutes before the visitor can go on from ``position`` ("running 40 late").
    add: ids of candidates to fit in, as must-sees.
    done: ids already visited; default: today's stops planned to start before now and
        every stop of earlier days.
    """

    skip: Sequence[str] = ()
    lock: Sequence[str] = ()
    late_min: float = 0.0
    add: Sequence[str] = ()
    done: Sequence[str] | None = None


@dataclass(frozen=True)
class Change:
    """One difference between the old and the repaired plan.

    ``kind``: ``done`` | ``skipped`` | ``dropped`` | ``added`` | ``moved`` | ``retimed``
    | ``not_added`` (an attraction the visitor asked to add that cannot fit).
    """

    id: str
    kind: str
    detail: str = ""


@dataclass
class Replan:
    """The repaired plan (today and the following days) and what changed."""

    plan: Plan
    changes: list[Change] = field(default_factory=list)


def replan(request: PlanRequest, current: Plan, *, day: int, now_min: float,
           position: LatLon, edits: Edits | None = None,
           travel: TravelModel | None = None) -> Replan:
    """Repair ``current`` (planned from ``request``) at ``now_min`` on day index ``day``."""
    edits = edits or Edits()
    ids = {c.id for c in request.candidates}
    for name, group in (("skip", edits.skip), ("lock", edits.lock), ("add", edits.add)):
        unknown = [i for i in group if i not in ids]
        if unknown:
            raise ValueError(f"{name}: unknown candidate ids {unknown}")
    old_days = {d.day: d for d in current.days}
    if day not in old_days:
        raise ValueError(f"day {day} is not in the current plan.")
    today = old_days[day]
    if edits.done is not None:
        done = set(edits.done)
    else:
        done = {s.id for s in today.stops if s.kind == "visit" and s.start < now_min}
        done |= {i for d in current.days if d.day < day for i in d.visit_ids()}
    skip = set(edits.skip)
    lunch_today = not any(s.kind == "lunch" and s.start < now_min for s in today.stops)

    remaining = [d for d in sorted(current.days, key=lambda d: d.day) if d.day >= day]
    days = [request.days[d.day] for d in remaining]
    travel = travel or GeodesicTravelModel()
    start_min = max(now_min + edits.late_min, 0.0)
    # Past the day's end, away from its end place, the day still ends where it should: just
    # later, by the time it takes to get there (an empty day is then always feasible, which
    # _repair relies on). Found by the visitor app's "running late" button late in the day.
    home = travel.leg(position, days[0].end_place, request.mode).minutes
    days[0] = Day(start=position, start_min=start_min,
                  end_min=max(days[0].end_min, start_min + home), end=days[0].end_place)
    cands = [dataclasses.replace(c, must_see=True)
             if (c.id in edits.add or c.id in edits.lock) and not c.must_see else c
             for c in request.candidates]
    built = Built(cands, days, request.mode, request.lunch, travel,
                  day_index=[d.day for d in remaining], excluded=frozenset(done | skip),
                  fixed_ids=frozenset(edits.lock),
                  lunch_routes=frozenset(r for r in range(len(days)) if r > 0 or lunch_today))
    routes = [[s.id if s.kind == "visit" else "lunch" for s in d.stops
               if s.id not in done and s.id not in skip] for d in remaining]
    sol = built.solution(routes)
    dropped = _repair(built, sol)
    search = Search(built.prob, SearchParams(seed=request.seed))
    search.fill(sol, tabu=None)
    added = [built.index[i] for i in edits.add if i not in done | skip]
    for _ in range(len(added)):
        if not search.replace(sol, only=added):
            break
        search.fill(sol)
    new = built.decode(sol, None, request.virtual_limit)
    changes = _diff(remaining, new, done, skip, dropped)
    unmet = {u.id: u for u in new.unmet_must_see}
    changes += [Change(i, "not_added", f"{unmet[i].reason}: {unmet[i].detail}")
                for i in edits.add if i in unmet]
    return Replan(plan=new, changes=changes)


def _repair(built: Built, sol: Solution) -> dict[str, str]:
    """Drop stops until every day is feasible; returns {id: why} of the dropped ones."""
    prob = built.prob
    must = set(built.must)
    dropped: dict[str, str] = {}
    for r, rt in enumerate(sol.routes):
        while not schedule(prob, r, rt):
            best = None
            for p, j in enumerate(rt.nodes):
                trial = rt.copy()
                del trial.nodes[p]
                fixes = schedule(prob, r, trial)
                # keep locked stops, then lunch, then must-sees; fix the day if possible,
                # and lose as little score as possible
                rank = (j in prob.fixed and j not in prob.follower, j in prob.follower,
                        j in must, not fixes, prob.sl[j])
                if best is None or rank < best[0]:
                    best = (rank, p)
            assert best is not None  # an empty day is always feasible (end >= start)
            j = rt.nodes.pop(best[1])
            sol.where[j] = -1
            if j < built.n:
                dropped[built.candidates[j].id] = "no longer fits the day"
    return dropped


def _diff(old_days: list, new: Plan, done: set[str], skip: set[str],
          dropped: dict[str, str]) -> list[Change]:
    old_at = {s.id: (d.day, s.start) for d in old_days for s in d.stops if s.kind == "visit"}
    new_at = {s.id: (d.day, s.start) for d in new.days for s in d.stops if s.kind == "visit"}
    changes: list[Change] = []
    for i, (d, start) in old_at.items():
        if i in done:
            changes.append(Change(i, "done"))
        elif i in skip:
            changes.append(Change(i, "skipped", "removed at the visitor's request"))
        elif i not in new_at:
            changes.append(Change(i, "dropped", dropped.get(i, "replaced by a better fit")))
        elif new_at[i][0] != d:
            changes.append(Change(i, "moved", f"day {d} -> day {new_at[i][0]}"))
        elif abs(new_at[i][1] - start) > 0.5:
            changes.append(Change(i, "retimed", f"starts {new_at[i][1] - start:+.0f} min"))
    for i, (d, _) in new_at.items():
        if i not in old_at:
            changes.append(Change(i, "added", f"day {d}"))
    return changes
