"""From the published catalogue to planner candidates.

Every published attraction is scored (the far ones too: a high-scoring place out of reach
is exactly what a virtual visit is for). Then, per attraction:

- out of reach: it cannot be reached from a day's start, visited and brought back to the
  day's end within that day's hours, on any day, even with no other stop
  (:data:`REASON_TOO_FAR`). This is exact for the travel model, whose times obey the
  triangle inequality, so no plan could contain it;
- closed: no opening window on any day of the stay is long enough for the visit
  (:data:`REASON_CLOSED`), or it publishes no opening hours at all;
- otherwise a candidate. The planner gets the ``max_candidates`` best-scoring ones (every
  must-see among them): its search cost grows with the number of candidates, and the
  lowest-scoring places rarely make a plan.

A candidate's ``score`` for the planner is its **visit value**, :func:`visit_value`: the
visitor's score for the place times the hours the visit takes. The planner maximises the
sum of its stops' values, so with scores alone (percentiles, close together at the top) it
would fill a day with ten-minute stops rather than a two-hour museum that scores as high;
valued by the hour, a day is the interest-weighted time spent visiting, and the travel
between many short stops is what it loses.

Opening windows come from ``content.hours`` in the destination's time zone and are given
to the planner as wall-clock minutes of each day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content.hours import InvalidOpeningHours, Schedule
from causeway.content.models import Attraction, Status
from causeway.itineraries.travel import MultiModeTravel
from causeway.recommender.planner import REASON_CLOSED, REASON_TOO_FAR, Unplanned

Window = tuple[float, float]
MUST_SEE_SCORE = 1.0  # the top of the score scale; the planner adds its must-see bonus on top
VALUE_MINUTES = 60.0  # a visit's value is its score per hour of visit


def visit_value(score: float, minutes: float) -> float:
    """What a visit is worth to the planner: the score for each hour it takes."""
    return float(score) * float(minutes) / VALUE_MINUTES
_SOLAR = re.compile(r"sunrise|sunset|dawn|dusk", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str | None = None

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class DaySpec:
    """One day of the stay: its date, hours (minutes since local midnight) and places."""

    date: dt.date
    start_min: float
    end_min: float
    start: Place
    end: Place


@dataclass
class Entry:
    """The few columns of a published attraction that planning needs."""

    id: int
    lat: float
    lon: float
    opening_hours: str | None
    minutes: int
    wheelchair: str


def apply_wishes(scores: dict[int, float], *, must_see: Iterable[int], exclude: Iterable[int],
                 floor: float = 0.01) -> dict[int, float]:
    """Must-sees go to the top, excluded ones are dropped, and nothing else scores 0.

    The model's scores are percentiles, so its least favourite place would otherwise score
    0, which the planner reads as "never"; ``floor`` keeps it as a filler.
    """
    out = {aid: max(float(s), floor) for aid, s in scores.items()}
    for aid in exclude:
        out.pop(aid, None)
    for aid in must_see:
        out[aid] = MUST_SEE_SCORE
    return out


def load_published(db: Session, ids: Sequence[int] | None = None) -> list[Entry]:
    """Published attractions (not merged away), optionally only ``ids``; column reads only."""
    cond = [Attraction.status == Status.published.value, Attraction.merged_into_id.is_(None)]
    if ids is not None:
        cond.append(Attraction.id.in_(list(ids)))
    rows = db.execute(select(Attraction.id, Attraction.lat, Attraction.lon,
                             Attraction.opening_hours, Attraction.visit_minutes,
                             Attraction.wheelchair).where(*cond).order_by(Attraction.id)).tuples()
    return [Entry(*row) for row in rows]


def load_names(db: Session, ids: Sequence[int], languages: Sequence[str],
               default: str) -> dict[int, str]:
    """Each attraction's name in the first of ``languages`` it has (then ``default``, then any).

    Read only for the few attractions an itinerary shows: decoding every name costs more
    than the rest of the catalogue scan.
    """
    out: dict[int, str] = {}
    for aid, texts in db.execute(select(Attraction.id, Attraction.name).where(
            Attraction.id.in_(sorted(set(ids))))).tuples():
        chosen = next((texts[lang] for lang in [*languages, default] if lang in texts), None)
        out[aid] = chosen if chosen is not None else next(iter(texts.values()), "")
    return out


def _minutes(t: dt.datetime, day: dt.date) -> float:
    if t.date() > day:
        return 1440.0
    return t.hour * 60 + t.minute + t.second / 60


@lru_cache(maxsize=8192)
def _windows(expression: str, days: tuple[dt.date, ...], timezone: str, country: str | None,
             coords: tuple[float, float] | None) -> tuple[tuple[Window, ...], ...]:
    lat, lon = coords if coords else (None, None)
    schedule = Schedule(expression, timezone, country, lat, lon)
    return tuple(tuple((_minutes(a, d), _minutes(b, d)) for a, b in schedule.windows(d))
                 for d in days)


def day_windows(expression: str | None, days: Sequence[dt.date], *, timezone: str,
                country: str | None, lat: float, lon: float) -> list[list[Window]]:
    """Open windows per day in wall-clock minutes; empty lists when closed or unknown.

    Results are cached per expression (and per place, to 0.01°, only when the expression
    depends on the sun: 0.01° of longitude moves sunrise by under 3 seconds).
    """
    if not expression:
        return [[] for _ in days]
    coords = (round(lat, 2), round(lon, 2)) if _SOLAR.search(expression) else None
    try:
        found = _windows(expression, tuple(days), timezone, country, coords)
    except InvalidOpeningHours:
        return [[] for _ in days]
    return [list(w) for w in found]


@dataclass
class Selection:
    """The planner's candidates (as snapshot dicts) and what was left out before planning."""

    candidates: list[dict[str, Any]]
    left_out: list[Unplanned]


def _modes_text(travel: MultiModeTravel) -> str:
    return " or ".join(m.value.replace("_", " ") for m in travel.modes)


def select_candidates(entries: Sequence[Entry], scores: dict[int, float], days: Sequence[DaySpec],
                      travel: MultiModeTravel, *, must_see: set[int], max_candidates: int, timezone: str,
                      country: str | None) -> Selection:
    """Split scored entries into planner candidates and those out of reach or closed.

    Candidates come without names (``load_names`` fills in those that are kept).

    ``scores`` holds every attraction that may be planned; those missing (excluded,
    inaccessible) are not considered at all.
    """
    pool = [e for e in entries if e.id in scores and (scores[e.id] > 0 or e.id in must_see)]
    if not pool:
        return Selection([], [])
    pts = [(e.lat, e.lon) for e in pool]
    _, t_out, _ = travel.between([d.start.point for d in days], pts)     # [m, n]
    _, t_back, _ = travel.between(pts, [d.end.point for d in days])      # [n, m]
    dur = np.array([e.minutes for e in pool], dtype=np.float64)
    length = np.array([d.end_min - d.start_min for d in days])
    reachable = (t_out + dur[None, :] + t_back.T) <= length[:, None] + 1e-9  # [m, n]
    dates = [d.date for d in days]
    cap = max(max_candidates, len(must_see))
    keep: list[tuple[Entry, list[list[Window]]]] = []
    left: list[Unplanned] = []
    # Best first, so that opening hours are only evaluated until the cap is reached: what
    # comes after scores lower than every candidate and would not be offered anyway.
    order = sorted(range(len(pool)), key=lambda k: (pool[k].id not in must_see,
                                                    -scores[pool[k].id], pool[k].id))
    for k in order:
        e = pool[k]
        score = visit_value(scores[e.id], e.minutes)
        if not reachable[:, k].any():
            out = float(t_out[:, k].min())
            left.append(Unplanned(str(e.id), score, REASON_TOO_FAR,
                                  f"cannot be reached, visited and left within the day's hours "
                                  f"({out:.0f} min by {_modes_text(travel)} from the day's start)"))
            continue
        if len(keep) >= cap:
            continue
        wins = day_windows(e.opening_hours, dates, timezone=timezone, country=country,
                           lat=e.lat, lon=e.lon)
        if not any(c - o >= e.minutes for day in wins for o, c in day):
            detail = ("no opening hours are published" if not e.opening_hours else
                      f"not open long enough for a {e.minutes}-minute visit on any day of the stay")
            left.append(Unplanned(str(e.id), score, REASON_CLOSED, detail))
            continue
        keep.append((e, wins))
    chosen = [{"id": e.id, "name": "", "lat": e.lat, "lon": e.lon,
               "minutes": e.minutes, "score": round(visit_value(scores[e.id], e.minutes), 6),
               "must_see": e.id in must_see, "wheelchair": e.wheelchair, "windows": wins}
              for e, wins in keep]
    return Selection(chosen, left)
