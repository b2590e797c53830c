"""Opening hours as a person reads them: the open windows of each day of a date range.

`opening_hours` on an attraction is OpenStreetMap syntax, which an app should not have to
evaluate (public holidays, sunrise, seasons): this endpoint evaluates it in the destination's
time zone and answers, per local day, the open intervals as local ``HH:MM`` pairs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from causeway.api.deps import DbSession, SettingsDep, rate_limit
from causeway.api.errors import NotFound, Unprocessable
from causeway.api.http import etag_json
from causeway.content import catalogue
from causeway.content.hours import InvalidOpeningHours, Schedule
from causeway.content.models import Status

MAX_DAYS = 31
router = APIRouter(prefix="/v1/attractions", tags=["attractions"], dependencies=[Depends(rate_limit)])


class Window(BaseModel):
    opens: str = Field(description="local HH:MM")
    closes: str = Field(description="local HH:MM; 24:00 when open until midnight")


class DayHours(BaseModel):
    date: dt.date
    open: bool
    windows: list[Window]


class Hours(BaseModel):
    attraction_id: int
    timezone: str
    opening_hours: str | None = Field(description="the expression evaluated (OSM syntax)")
    estimated: bool = Field(description="the hours are an estimate (a category default, or marked as an "
                                       "estimate by the provider's feed), not confirmed by the venue")
    days: list[DayHours] = Field(description="empty when the attraction has no opening hours")


def _hhmm(t: dt.datetime, day: dt.date) -> str:
    return "24:00" if t.date() > day else t.strftime("%H:%M")


@router.get("/{attraction_id}/hours", response_model=Hours, summary="Opening hours per day",
            responses={404: {"description": "No such published attraction"}})
def get_hours(request: Request, attraction_id: int, db: DbSession, settings: SettingsDep,
              start: Annotated[dt.date | None,
                               Query(alias="from", description="first local day; default today")] = None,
              to: Annotated[dt.date | None, Query(description=f"last local day (at most {MAX_DAYS} days); "
                                                              "default a week from `from`")] = None,
              ) -> Response:
    """The attraction's open windows on each local day from `from` to `to` (both included),
    evaluated in the destination's time zone with its public holidays."""
    att = catalogue.get(db, attraction_id)
    if att is not None and att.merged_into_id is not None:
        att = catalogue.get(db, att.merged_into_id)
    if att is None or att.status != Status.published.value:
        raise NotFound(f"attraction {attraction_id} does not exist or is not published")
    first = start or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    last = to or first + dt.timedelta(days=6)
    if last < first:
        raise Unprocessable("`to` is before `from`", errors=[{"field": "query.to", "message": "before from"}])
    if (last - first).days + 1 > MAX_DAYS:
        message = f"at most {MAX_DAYS} days at once"
        raise Unprocessable(message, errors=[{"field": "query.to", "message": message}])
    days: list[dict] = []
    if att.opening_hours:
        schedule = Schedule(att.opening_hours, settings.timezone, settings.country, att.lat, att.lon)
        try:
            for i in range((last - first).days + 1):
                day = first + dt.timedelta(days=i)
                windows = [{"opens": a.strftime("%H:%M"), "closes": _hhmm(b, day)} for a, b in schedule.windows(day)]
                days.append({"date": day.isoformat(), "open": bool(windows), "windows": windows})
        except (InvalidOpeningHours, ValueError):
            days = []
    doc = {"attraction_id": att.id, "timezone": settings.timezone, "opening_hours": att.opening_hours,
           "estimated": "opening_hours" in (att.defaults_applied or {}), "days": days}
    return etag_json(request, doc)
