"""The stored form of a plan (JSON, times in minutes of the day) and the way back.

A version's ``plan`` document::

    {"days": [{"day": 0, "start_min": 600, "end_min": 1080, "back_at": 1062.5, "score": 3.1,
               "resumed": null | {"at": 690, "lat": .., "lon": ..},
               "leg_home": {"mode": "walking", "km": 1.2, "minutes": 15.6},
               "stops": [{"id": "17" | "lunch", "kind": "visit" | "lunch", "arrival": 612.0,
                          "wait": 0.0, "start": 612.0, "end": 702.0, "departure": 702.0,
                          "leg": {"mode": "public_transport", "km": 3.1, "minutes": 16.7},
                          "score": 0.75, "done": false}]}],
     "virtual_visits": [{"id": 40, "name": "..", "score": .., "reason": "..", "detail": ".."}],
     "unmet_must_see": [...same shape...], "score": 9.3, "iterations": 51, "seconds": 0.15}

Leg modes are the fastest of the itinerary's modes for that leg (``None`` for a leg that
does not move). Ids are the planner's (strings) in stops, attraction ids (ints) elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from causeway.itineraries.candidates import Place
from causeway.itineraries.travel import MultiModeTravel
from causeway.recommender.planner import (
    Candidate, Day, DayPlan, LunchBreak, Plan, PlanRequest, Stop, TravelLeg, Unplanned)
from causeway.recommender.travel import Mode
from causeway.settings import Settings

Doc = dict[str, Any]


def _r(x: float) -> float:
    return round(float(x), 3)


def plan_request(params: Doc, snapshot: Sequence[Doc], settings: Settings) -> PlanRequest:
    """The planner's request for an itinerary's parameters and candidate snapshot."""
    candidates = [
        Candidate(str(c["id"]), c["lat"], c["lon"], c["score"], c["minutes"],
                  [[(o, cl) for o, cl in day] for day in c["windows"]],
                  must_see=c["must_see"], name=c["name"])
        for c in snapshot]
    days = [Day((d["start"]["lat"], d["start"]["lon"]), d["start_min"], d["end_min"],
                (d["end"]["lat"], d["end"]["lon"])) for d in params["days"]]
    lunch = params.get("lunch")
    return PlanRequest(
        candidates, days, mode=Mode(params["modes"][0]),
        lunch=LunchBreak(lunch["earliest"], lunch["latest"], lunch["minutes"]) if lunch else None,
        time_limit=params["time_limit"], max_iterations=settings.itinerary_max_iterations,
        seed=params["seed"], virtual_limit=settings.itinerary_virtual_visits)


def unplanned_json(u: Unplanned, names: dict[int, str]) -> Doc:
    aid = int(u.id)
    return {"id": aid, "name": names.get(aid, ""), "score": _r(u.score), "reason": u.reason,
            "detail": u.detail}


def _leg(mode: Mode | None, leg: TravelLeg) -> Doc:
    return {"mode": mode.value if mode and leg.km > 0 else None, "km": _r(leg.km),
            "minutes": _r(leg.minutes)}


def day_json(dp: DayPlan, start: tuple[float, float], end: tuple[float, float],
             by_id: dict[str, Doc], travel: MultiModeTravel) -> Doc:
    """One planned day; ``start`` is where it begins (the visitor's position on a re-plan)."""
    here = start
    stops: list[Doc] = []
    for s in dp.stops:
        mode = None
        if s.kind == "visit":
            c = by_id[s.id]
            mode = travel.mode_of(here, (c["lat"], c["lon"]))
            here = (c["lat"], c["lon"])
        stops.append({"id": s.id, "kind": s.kind, "arrival": _r(s.arrival), "wait": _r(s.wait),
                      "start": _r(s.start), "end": _r(s.end), "departure": _r(s.departure),
                      "leg": _leg(mode, s.leg_in), "score": _r(s.score), "done": False})
    return {"day": dp.day, "start_min": _r(dp.start_min), "end_min": _r(dp.end_min),
            "back_at": _r(dp.back_at), "score": _r(dp.score), "resumed": None,
            "leg_home": _leg(travel.mode_of(here, end), dp.leg_home), "stops": stops}


def _virtual(found: Iterable[Unplanned], left_out: Sequence[Doc], names: dict[int, str],
             must_see: set[int], taken: set[int], limit: int) -> tuple[list[Doc], list[Doc]]:
    """(virtual visits, unmet must-sees) from the planner's list and those left out before."""
    pool = [unplanned_json(u, names) for u in found] + [dict(d) for d in left_out]
    pool = [d for d in pool if d["id"] not in taken]
    unmet = [d for d in pool if d["id"] in must_see]
    virtual = sorted((d for d in pool if d["id"] not in must_see),
                     key=lambda d: (-d["score"], d["id"]))
    return virtual[:limit], unmet


def plan_json(result: Plan, params: Doc, snapshot: Sequence[Doc], travel: MultiModeTravel,
              settings: Settings) -> Doc:
    """The stored document of a fresh plan."""
    by_id = {str(c["id"]): c for c in snapshot}
    names = {int(c["id"]): c["name"] for c in snapshot}
    days = []
    for dp in result.days:
        d = params["days"][dp.day]
        days.append(day_json(dp, (d["start"]["lat"], d["start"]["lon"]),
                             (d["end"]["lat"], d["end"]["lon"]), by_id, travel))
    virtual, _ = _virtual(result.virtual_visits, params["left_out"], names, set(), set(),
                          settings.itinerary_virtual_visits)
    must = set(params["must_see"])
    unmet = [unplanned_json(u, names) for u in result.unmet_must_see]
    unmet += [d for d in params["left_out"] if d["id"] in must]
    virtual = [v for v in virtual if v["id"] not in must]
    return {"days": days, "virtual_visits": virtual, "unmet_must_see": unmet,
            "score": _r(result.score), "iterations": result.iterations,
            "seconds": _r(result.seconds)}


def plan_from_json(doc: Doc, travel: MultiModeTravel) -> Plan:
    """The planner's :class:`Plan` for a stored document (what ``replan`` repairs)."""
    fallback = travel.modes[0]

    def leg(x: Doc) -> TravelLeg:
        return TravelLeg(Mode(x["mode"]) if x["mode"] else fallback, x["km"], x["minutes"])

    days = [DayPlan(day=d["day"], start_min=d["start_min"], end_min=d["end_min"],
                    stops=[Stop(s["id"], s["kind"], s["arrival"], s["wait"], s["start"], s["end"],
                                s["departure"], leg(s["leg"]), s["score"]) for s in d["stops"]],
                    leg_home=leg(d["leg_home"]), back_at=d["back_at"], score=d["score"])
            for d in doc["days"]]
    return Plan(days=days, score=doc["score"])


def merge_replanned(doc: Doc, new: Plan, *, day: int, now_min: float, params: Doc,
                    candidates: Sequence[Doc], travel: MultiModeTravel, settings: Settings,
                    position: Place) -> Doc:
    """The next version: earlier days and today's stops so far kept (as done), the rest new."""
    by_id = {str(c["id"]): c for c in candidates}
    names = {int(c["id"]): c["name"] for c in candidates}
    repaired = {dp.day: dp for dp in new.days}
    days: list[Doc] = []
    for old in doc["days"]:
        d = params["days"][old["day"]]
        end = (d["end"]["lat"], d["end"]["lon"])
        if old["day"] < day:
            days.append({**old, "stops": [{**s, "done": True} for s in old["stops"]]})
            continue
        start = position.point if old["day"] == day else (d["start"]["lat"], d["start"]["lon"])
        fresh = day_json(repaired[old["day"]], start, end, by_id, travel)
        if old["day"] == day:
            kept = [{**s, "done": True} for s in old["stops"]
                    if s.get("done") or s["start"] < now_min]
            fresh["score"] = _r(fresh["score"] + sum(s["score"] for s in kept if s["kind"] == "visit"))
            fresh["stops"] = kept + fresh["stops"]
            fresh["resumed"] = {"at": fresh["start_min"], "lat": position.lat, "lon": position.lon}
            fresh["start_min"] = old["start_min"]
        days.append(fresh)
    taken = {int(s["id"]) for d in days for s in d["stops"] if s["kind"] == "visit"}
    must = {int(c["id"]) for c in candidates if c["must_see"]} | set(params["must_see"])
    virtual, unmet_left = _virtual([*new.virtual_visits], params["left_out"], names, must, taken,
                                   settings.itinerary_virtual_visits)
    unmet = [unplanned_json(u, names) for u in new.unmet_must_see]
    unmet += [d for d in unmet_left if d["id"] not in {u["id"] for u in unmet}]
    return {"days": days, "virtual_visits": virtual, "unmet_must_see": unmet,
            "score": _r(sum(d["score"] for d in days)), "iterations": new.iterations,
            "seconds": _r(new.seconds)}
