"""A stored itinerary version as the app sees it: local ISO times, names, places."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from causeway.itineraries.service import Found


def _hhmm(minutes: float) -> str:
    m = int(round(minutes))
    return f"{m // 60:02d}:{m % 60:02d}"


def _at(date: dt.date, minutes: float, tz: ZoneInfo) -> dt.datetime:
    """Wall-clock ``minutes`` after local midnight of ``date`` (to the second)."""
    return dt.datetime.combine(date, dt.time(0), tzinfo=tz) + dt.timedelta(seconds=round(minutes * 60))


def _leg(leg: dict[str, Any]) -> dict[str, Any]:
    return {"mode": leg["mode"], "km": round(leg["km"], 2), "minutes": round(leg["minutes"], 1)}


def parameters(params: dict[str, Any]) -> dict[str, Any]:
    lunch = params.get("lunch")
    return {
        "days": [{"date": d["date"], "start": _hhmm(d["start_min"]), "end": _hhmm(d["end_min"]),
                  "start_place": d["start"], "end_place": d["end"]} for d in params["days"]],
        "travel_modes": params["modes"], "interests": params["interests"],
        "must_see": params["must_see"], "exclude": params["exclude"],
        "lunch": None if lunch is None else {"earliest": _hhmm(lunch["earliest"]),
                                             "latest": _hhmm(lunch["latest"]),
                                             "minutes": lunch["minutes"]},
        "time_limit": params["time_limit"], "wheelchair": params["wheelchair"],
    }


def _unplanned(u: dict[str, Any]) -> dict[str, Any]:
    return {"attraction_id": u["id"], "name": u["name"], "score": round(u["score"], 3),
            "reason": u["reason"], "detail": u["detail"]}


def render(found: Found) -> dict[str, Any]:
    itinerary, version = found.itinerary, found.version
    params, doc = itinerary.parameters, version.plan
    tz = ZoneInfo(params["timezone"])
    by_id = {str(c["id"]): c for c in itinerary.candidates}
    must = set(params["must_see"])
    days = []
    for d in doc["days"]:
        spec = params["days"][d["day"]]
        date = dt.date.fromisoformat(spec["date"])
        stops = []
        for s in d["stops"]:
            c = by_id.get(s["id"]) if s["kind"] == "visit" else None
            stops.append({
                "kind": s["kind"], "attraction_id": c["id"] if c else None,
                "name": c["name"] if c else None,
                "location": {"lat": c["lat"], "lon": c["lon"]} if c else None,
                "arrival": _at(date, s["arrival"], tz), "wait_min": round(s["wait"], 1),
                "start": _at(date, s["start"], tz), "end": _at(date, s["end"], tz),
                "departure": _at(date, s["departure"], tz), "travel": _leg(s["leg"]),
                "score": round(s["score"], 3) if c else None,
                "must_see": c is not None and c["id"] in must, "done": bool(s.get("done"))})
        resumed = d.get("resumed")
        days.append({
            "date": date, "start": _at(date, spec["start_min"], tz), "end": _at(date, d["end_min"], tz),
            "start_place": spec["start"], "end_place": spec["end"],
            "resumed": None if not resumed else {
                "at": _at(date, resumed["at"], tz),
                "location": {"lat": resumed["lat"], "lon": resumed["lon"]}},
            "stops": stops, "back": {**_leg(d["leg_home"]), "arrival": _at(date, d["back_at"], tz)},
            "slack_min": round(d["end_min"] - d["back_at"], 1), "score": round(d["score"], 3)})
    names = {int(c["id"]): c["name"] for c in itinerary.candidates}
    return {
        "id": itinerary.id, "version": version.version, "current_version": itinerary.version,
        "created_at": version.created_at, "parameters": parameters(params), "days": days,
        "virtual_visits": [_unplanned(u) for u in doc["virtual_visits"]],
        "must_see_unmet": [_unplanned(u) for u in doc["unmet_must_see"]],
        "changes": [{"attraction_id": int(c["id"]), "name": names.get(int(c["id"]), ""),
                     "kind": c["kind"], "detail": c["detail"]} for c in version.changes],
        "score": round(doc["score"], 3),
        "solver": {"iterations": doc["iterations"], "seconds": doc["seconds"]},
        "history": [{"version": v.version, "created_at": v.created_at,
                     "kind": "replanned" if v.replanned else "created",
                     "changes": v.changes} for v in found.history],
    }
