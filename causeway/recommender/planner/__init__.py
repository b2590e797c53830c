"""Itinerary planning: the (team) orienteering problem with time windows.

Pure functions from candidates and constraints to a plan; no web, database or Redis.
``plan(PlanRequest) -> Plan`` builds a multi-day itinerary; ``replan(...)`` repairs one in
the street. The solver itself (``problem``, ``insertion``, ``search``) works on arrays and
is what ``causeway bench optw`` measures on the published instances.
"""

from causeway.recommender.planner.models import (
    REASON_CLOSED, REASON_NO_TIME, REASON_TOO_FAR, Candidate, Day, DayPlan, LunchBreak, Plan,
    PlanRequest, Stop, TravelLeg, Unplanned)
from causeway.recommender.planner.plan import plan
from causeway.recommender.planner.replan import Change, Edits, Replan, replan

__all__ = [
    "REASON_CLOSED", "REASON_NO_TIME", "REASON_TOO_FAR", "Candidate", "Change", "Day",
    "DayPlan", "Edits", "LunchBreak", "Plan", "PlanRequest", "Replan", "Stop", "TravelLeg",
    "Unplanned", "plan", "replan",
]
