"""Plan, store, read and re-plan a visitor's itinerary.

Functions take keyword arguments, flush but never commit (the caller owns the
transaction), and raise :class:`InvalidRequest` (bad input, with the offending field),
:class:`NotFound` or :class:`Conflict`; none of them knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from causeway.auth import profile as profile_model
from causeway.auth.models import Visitor
from causeway.itineraries import candidates as cands
from causeway.itineraries import stored
from causeway.itineraries.candidates import DaySpec, Place
from causeway.itineraries.models import Itinerary, ItineraryVersion
from causeway.itineraries.travel import MultiModeTravel
from causeway.recommender.planner import Edits, plan, replan
from causeway.recommender.travel import Mode
from causeway.settings import Settings

# (scoring profile, attraction ids) -> {id: score}; the API binds the recommender to it.
Scorer = Callable[[dict[str, Any], list[int]], dict[int, float]]
REASON_NOT_ACCESSIBLE = "not_wheelchair_accessible"
DEFAULT_START, DEFAULT_END = dt.time(10, 0), dt.time(18, 0)


class InvalidRequest(ValueError):
    """Bad input; ``field`` is the request path it is about (``body.days.0.end``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """No such itinerary for this visitor."""


class Conflict(RuntimeError):
    """Someone else re-planned the same itinerary at the same moment."""


@dataclass(frozen=True)
class DayAsk:
    date: dt.date
    start: dt.time | None = None
    end: dt.time | None = None
    start_place: Place | None = None
    end_place: Place | None = None


@dataclass(frozen=True)
class LunchAsk:
    earliest: dt.time
    latest: dt.time
    minutes: int = 60


@dataclass(frozen=True)
class Ask:
    """What the visitor asks for; ``None`` means "from my profile, or the default"."""

    days: Sequence[DayAsk] | None = None
    modes: Sequence[str] | None = None
    interests: Sequence[str] | None = None
    must_see: Sequence[int] = ()
    exclude: Sequence[int] = ()
    lunch: LunchAsk | None = None
    time_limit: float | None = None
    wheelchair: bool | None = None
    languages: Sequence[str] = ()


@dataclass(frozen=True)
class EditsAsk:
    skip: Sequence[int] = ()
    lock: Sequence[int] = ()
    late_min: float = 0.0
    add: Sequence[int] = ()


@dataclass(frozen=True)
class VersionInfo:
    """One line of an itinerary's history (without its plan)."""

    version: int
    created_at: dt.datetime
    replanned: bool
    changes: int

    @classmethod
    def of(cls, v: ItineraryVersion) -> VersionInfo:
        return cls(v.version, v.created_at, v.edits is not None, len(v.changes))


@dataclass
class Found:
    itinerary: Itinerary
    version: ItineraryVersion
    history: list[VersionInfo] = field(default_factory=list)


def _minutes(t: dt.time) -> float:
    return t.hour * 60 + t.minute + t.second / 60


# ------------------------------------------------------------------ request -> parameters
def _resolve_days(ask: Ask, profile: profile_model.Profile, settings: Settings) -> list[DaySpec]:
    base = Place(profile.base.lat, profile.base.lon, profile.base.label) if profile.base else None
    if ask.days is not None:
        asked = list(ask.days)
        if not asked:
            raise InvalidRequest("body.days", "give at least one day")
    elif profile.stay is not None:
        asked = [DayAsk(profile.stay.start + dt.timedelta(days=i)) for i in range(profile.stay.days)]
    else:
        raise InvalidRequest("body.days", "give the days, or set a stay in your profile "
                                          "(PUT /v1/visitors/me/profile)")
    if len(asked) > settings.itinerary_max_days:
        raise InvalidRequest("body.days", f"at most {settings.itinerary_max_days} days per itinerary "
                                          f"(got {len(asked)})")
    seen: set[dt.date] = set()
    for i, d in enumerate(asked):
        if d.date in seen:
            raise InvalidRequest(f"body.days.{i}.date", f"{d.date} appears twice")
        seen.add(d.date)
    days: list[DaySpec] = []
    for i, d in sorted(enumerate(asked), key=lambda x: x[1].date):
        start, end = d.start or DEFAULT_START, d.end or DEFAULT_END
        if _minutes(end) <= _minutes(start):
            raise InvalidRequest(f"body.days.{i}.end",
                                 f"the day ends ({end:%H:%M}) before it starts ({start:%H:%M})")
        place = d.start_place or base
        if place is None:
            raise InvalidRequest(f"body.days.{i}.start_place",
                                 "no start place: give one, or set your base in your profile")
        days.append(DaySpec(d.date, _minutes(start), _minutes(end), place, d.end_place or place))
    return days


def _check_ids(known: set[int], ids: Sequence[int], where: str) -> None:
    unknown = sorted({i for i in ids if i not in known})
    if unknown:
        raise InvalidRequest(where, f"unknown or unpublished attraction ids {unknown}")


def _parameters(ask: Ask, profile: profile_model.Profile, settings: Settings,
                days: list[DaySpec]) -> dict[str, Any]:
    modes = list(ask.modes or ([profile.travel_mode] if profile.travel_mode else ["walking"]))
    limit = settings.itinerary_time_limit if ask.time_limit is None else ask.time_limit
    if limit > settings.itinerary_max_time_limit:
        raise InvalidRequest("body.time_limit",
                             f"at most {settings.itinerary_max_time_limit} seconds")
    lunch = None
    if ask.lunch is not None:
        lunch = {"earliest": _minutes(ask.lunch.earliest), "latest": _minutes(ask.lunch.latest),
                 "minutes": ask.lunch.minutes}
    return {
        "days": [{"date": d.date.isoformat(), "start_min": d.start_min, "end_min": d.end_min,
                  "start": vars(d.start), "end": vars(d.end)} for d in days],
        "modes": [Mode(m).value for m in dict.fromkeys(modes)],
        "interests": list(profile.interests if ask.interests is None else ask.interests),
        "must_see": list(dict.fromkeys(ask.must_see)), "exclude": list(dict.fromkeys(ask.exclude)),
        "lunch": lunch, "time_limit": limit,
        "wheelchair": profile.accessibility.wheelchair if ask.wheelchair is None else ask.wheelchair,
        "timezone": settings.timezone, "seed": 0,
    }


# ------------------------------------------------------------------ create
def create(db: Session, *, visitor: Visitor, ask: Ask, settings: Settings,
           scorer: Scorer) -> Found:
    """Plan a new itinerary for the visitor from the published catalogue, and store it."""
    profile = profile_model.read(visitor.profile)
    days = _resolve_days(ask, profile, settings)
    params = _parameters(ask, profile, settings, days)
    must, exclude = set(params["must_see"]), set(params["exclude"])
    if must & exclude:
        raise InvalidRequest("body.exclude", f"attractions {sorted(must & exclude)} are also must-sees")
    entries = cands.load_published(db)
    known = {e.id for e in entries}
    _check_ids(known, params["must_see"], "body.must_see")
    _check_ids(known, params["exclude"], "body.exclude")
    inaccessible = {e.id for e in entries if e.wheelchair == "no"} if params["wheelchair"] else set()
    scoring_profile = profile.model_dump(mode="json", exclude_none=True)
    scoring_profile["interests"] = params["interests"]
    ids = [e.id for e in entries if e.id not in exclude and e.id not in inaccessible]
    scores = cands.apply_wishes(scorer(scoring_profile, ids), must_see=must - inaccessible,
                                exclude=exclude | inaccessible)
    travel = MultiModeTravel(params["modes"])
    selection = cands.select_candidates(
        entries, scores, days, travel, must_see=must - inaccessible,
        max_candidates=settings.itinerary_max_candidates, timezone=settings.timezone,
        country=settings.country)
    # Only the best of what was left out can ever be offered (twice the offer, in case a
    # re-plan fits some of them in); must-sees are kept for their explanation.
    left = sorted(selection.left_out, key=lambda u: (int(u.id) not in must, -u.score, int(u.id)))
    left = left[:len(must) + 2 * settings.itinerary_virtual_visits]
    shown = [c["id"] for c in selection.candidates] + [int(u.id) for u in left] + sorted(must)
    names = cands.load_names(db, shown, [*ask.languages, *profile.languages], settings.default_language)
    for c in selection.candidates:
        c["name"] = names.get(c["id"], "")
    left_out = [stored.unplanned_json(u, names) for u in left]
    left_out += [{"id": aid, "name": names[aid], "score": 1.0, "reason": REASON_NOT_ACCESSIBLE,
                  "detail": "its wheelchair access is recorded as 'no'"}
                 for aid in params["must_see"] if aid in inaccessible]
    params["left_out"] = left_out
    request = stored.plan_request(params, selection.candidates, settings)
    result = plan(request, travel)
    doc = stored.plan_json(result, params, selection.candidates, travel, settings)
    itinerary = Itinerary(visitor_id=visitor.id, parameters=params,
                          candidates=selection.candidates, version=1)
    db.add(itinerary)
    db.flush()
    version = ItineraryVersion(itinerary_id=itinerary.id, version=1, plan=doc, edits=None, changes=[])
    db.add(version)
    db.flush()
    return Found(itinerary, version, [VersionInfo.of(version)])


# ------------------------------------------------------------------ read
def get(db: Session, *, visitor_id: int, itinerary_id: int, version: int | None = None,
        for_update: bool = False) -> Found:
    """The visitor's own itinerary at ``version`` (default: the current one)."""
    query = select(Itinerary).where(Itinerary.id == itinerary_id, Itinerary.visitor_id == visitor_id)
    if for_update:
        query = query.with_for_update()
    itinerary = db.scalar(query)
    if itinerary is None:
        raise NotFound(f"itinerary {itinerary_id} does not exist")
    wanted = itinerary.version if version is None else version
    chosen = db.scalar(select(ItineraryVersion).where(ItineraryVersion.itinerary_id == itinerary.id,
                                                      ItineraryVersion.version == wanted))
    if chosen is None:
        raise NotFound(f"itinerary {itinerary_id} has no version {wanted} "
                       f"(versions 1 to {itinerary.version})")
    # The history without every version's plan: those grow with each re-plan.
    rows = db.execute(select(ItineraryVersion.version, ItineraryVersion.created_at,
                             ItineraryVersion.edits, ItineraryVersion.changes).where(
        ItineraryVersion.itinerary_id == itinerary.id).order_by(ItineraryVersion.version)).tuples()
    history = [VersionInfo(v, created, edits is not None, len(changes))
               for v, created, edits, changes in rows]
    return Found(itinerary, chosen, history)


# ------------------------------------------------------------------ re-plan
def _position_at(doc: dict[str, Any], day: int, now_min: float, params: dict[str, Any],
                 by_id: dict[str, dict[str, Any]]) -> Place:
    """Where the current plan has the visitor at ``now_min``: the last stop begun, or the start."""
    start = params["days"][day]["start"]
    here = Place(start["lat"], start["lon"], start.get("label"))
    for s in doc["days"][day]["stops"]:
        if s["kind"] == "visit" and s["start"] <= now_min:
            c = by_id[s["id"]]
            here = Place(c["lat"], c["lon"], c["name"])
    return here


def replan_itinerary(db: Session, *, visitor: Visitor, itinerary_id: int, now: dt.datetime,
                     position: Place | None, edits: EditsAsk, settings: Settings,
                     scorer: Scorer) -> Found:
    """Repair the current version from ``now`` at ``position``; store it as the next version."""
    found = get(db, visitor_id=visitor.id, itinerary_id=itinerary_id, for_update=True)
    itinerary, current = found.itinerary, found.version
    params = itinerary.parameters
    tz = ZoneInfo(params["timezone"])
    local = now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)
    dates = [d["date"] for d in params["days"]]
    if local.date().isoformat() not in dates:
        raise InvalidRequest("body.now", f"{local.date()} is not a day of this itinerary "
                                         f"({', '.join(dates)})")
    day = dates.index(local.date().isoformat())
    now_min = max(local.hour * 60 + local.minute + local.second / 60, params["days"][day]["start_min"])
    snapshot = list(itinerary.candidates)
    by_id = {str(c["id"]): c for c in snapshot}
    for name, ids in (("skip", edits.skip), ("lock", edits.lock)):
        missing = sorted({i for i in ids if str(i) not in by_id})
        if missing:
            raise InvalidRequest(f"body.edits.{name}",
                                 f"attractions {missing} are not candidates of this itinerary")
    new_ids = sorted({i for i in edits.add if str(i) not in by_id})
    if new_ids:
        snapshot += _more_candidates(db, new_ids, itinerary, visitor, settings, scorer)
        by_id = {str(c["id"]): c for c in snapshot}
    doc = current.plan
    here = position or _position_at(doc, day, now_min, params, by_id)
    travel = MultiModeTravel(params["modes"])
    request = stored.plan_request(params, snapshot, settings)
    old = stored.plan_from_json(doc, travel)
    done = {s["id"] for d in doc["days"] for s in d["stops"] if s["kind"] == "visit"
            and (s.get("done") or d["day"] < day or (d["day"] == day and s["start"] < now_min))}
    result = replan(request, old, day=day, now_min=now_min, position=here.point,
                    edits=Edits(skip=[str(i) for i in edits.skip], lock=[str(i) for i in edits.lock],
                                late_min=edits.late_min, add=[str(i) for i in edits.add],
                                done=sorted(done)), travel=travel)
    already = {s["id"] for d in doc["days"] for s in d["stops"] if s.get("done")}
    new_doc = stored.merge_replanned(doc, result.plan, day=day, now_min=now_min, params=params,
                                     candidates=snapshot, travel=travel, settings=settings,
                                     position=here)
    changes = [{"id": c.id, "kind": c.kind, "detail": c.detail} for c in result.changes
               if not (c.kind == "done" and c.id in already)]
    itinerary.candidates = snapshot
    itinerary.version = current.version + 1
    version = ItineraryVersion(
        itinerary_id=itinerary.id, version=itinerary.version, plan=new_doc, changes=changes,
        edits={"now": local.isoformat(), "position": vars(here), "skip": list(edits.skip),
               "lock": list(edits.lock), "late_min": edits.late_min, "add": list(edits.add)})
    db.add(version)
    try:
        db.flush()
    except IntegrityError as exc:  # a concurrent re-plan took this version number first
        raise Conflict("the itinerary was re-planned at the same moment; fetch it and try again") from exc
    return Found(itinerary, version, [*found.history, VersionInfo.of(version)])


def _more_candidates(db: Session, ids: list[int], itinerary: Itinerary, visitor: Visitor,
                     settings: Settings, scorer: Scorer) -> list[dict[str, Any]]:
    """Snapshot entries for attractions added in a re-plan that were not candidates before."""
    params = itinerary.parameters
    entries = cands.load_published(db, ids)
    _check_ids({e.id for e in entries}, ids, "body.edits.add")
    profile = profile_model.read(visitor.profile)
    scoring_profile = profile.model_dump(mode="json", exclude_none=True)
    scoring_profile["interests"] = params["interests"]
    scores = scorer(scoring_profile, ids)
    dates = [dt.date.fromisoformat(d["date"]) for d in params["days"]]
    names = cands.load_names(db, ids, profile.languages, settings.default_language)
    return [{"id": e.id, "name": names.get(e.id, ""),
             "lat": e.lat, "lon": e.lon, "minutes": e.minutes,
             "score": round(cands.visit_value(max(float(scores.get(e.id, 0.0)), 0.01), e.minutes), 6),
             "must_see": False,
            "wheelchair": e.wheelchair,
             "windows": cands.day_windows(e.opening_hours, dates, timezone=params["timezone"],
                                          country=settings.country, lat=e.lat, lon=e.lon)}
            for e in entries]


__all__ = ["Ask", "Conflict", "DayAsk", "EditsAsk", "Found", "InvalidRequest", "LunchAsk",
           "NotFound", "Place", "VersionInfo", "create", "get", "replan_itinerary"]
