"""``plan(request) -> Plan``: the planner's entry point."""

from __future__ import annotations

from causeway.recommender.planner.build import Built
from causeway.recommender.planner.models import Plan, PlanRequest
from causeway.recommender.planner.search import Search, SearchParams
from causeway.recommender.travel import GeodesicTravelModel, TravelModel


def plan(request: PlanRequest, travel: TravelModel | None = None) -> Plan:
    """A near-optimal feasible multi-day itinerary for ``request``.

    Each day is one route from the day's start to its end place within its hours; stops
    respect their opening windows on that day (a visit ends by closing time) and the
    optional lunch break. The search is deterministic for a given ``request.seed`` when
    ``request.max_iterations`` is reached before ``request.time_limit``.
    """
    built = Built(request.candidates, request.days, request.mode, request.lunch,
                  travel or GeodesicTravelModel())
    params = SearchParams(time_limit=request.time_limit,
                          max_iterations=request.max_iterations, seed=request.seed)
    sol, stats = Search(built.prob, params).run(built.solution())
    return built.decode(sol, stats, request.virtual_limit)
