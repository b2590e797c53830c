"""Itinerary requests and representations."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from causeway.bounds import BoundedDate, BoundedDateTime, Id, Text
from causeway.content.taxonomy import CATEGORIES
from causeway.itineraries.candidates import Place
from causeway.itineraries.service import Ask, DayAsk, EditsAsk, LunchAsk

TravelMode = Literal["walking", "cycling", "driving", "public_transport"]

CREATE_EXAMPLE: dict[str, Any] = {
    "days": [{"date": "2026-07-14"}, {"date": "2026-07-15", "start": "09:30", "end": "17:00"},
             {"date": "2026-07-16"}],
    "travel_modes": ["walking", "public_transport"], "interests": ["history", "food"],
    "must_see": [3], "exclude": [], "lunch": {"earliest": "12:00", "latest": "14:00", "minutes": 60},
}


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: Text | None = Field(None, max_length=200)

    def place(self) -> Place:
        return Place(self.lat, self.lon, self.label)


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: BoundedDate
    start: dt.time | None = Field(None, description="local time; default 10:00")
    end: dt.time | None = Field(None, description="local time; default 18:00")
    start_place: PlaceIn | None = Field(None, description="default: the base in your profile")
    end_place: PlaceIn | None = Field(None, description="default: the start place")


class LunchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    earliest: dt.time = Field(dt.time(12, 0), description="earliest start of the break")
    latest: dt.time = Field(dt.time(14, 0), description="latest start of the break")
    minutes: int = Field(60, ge=10, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> LunchIn:
        if self.latest < self.earliest:
            raise ValueError("latest must not be before earliest")
        return self


class ItineraryCreate(BaseModel):
    """Plan a trip. Everything is optional when the profile says it (stay, base, interests,
    travel mode, accessibility); what is given here overrides the profile."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CREATE_EXAMPLE]})

    days: list[DayIn] | None = Field(None, description="default: every day of the profile's stay")
    travel_modes: list[TravelMode] | None = Field(
        None, min_length=1, description="each leg uses the fastest of them; default: the profile's, "
                                        "else walking")
    interests: list[str] | None = Field(None, max_length=20, description="category slugs")
    must_see: list[Id] = Field(default_factory=list, max_length=50, description="attraction ids")
    exclude: list[Id] = Field(default_factory=list, max_length=1000, description="attraction ids")
    lunch: LunchIn | None = None
    time_limit: float | None = Field(None, gt=0, allow_inf_nan=False,
                                     description="seconds of search; default from settings")
    wheelchair: bool | None = Field(None, description="leave out places without wheelchair access; "
                                                      "default: the profile's")

    @field_validator("interests")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        unknown = [v for v in value or [] if v not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {', '.join(CATEGORIES)}")
        return value

    def ask(self, languages: list[str]) -> Ask:
        days = None if self.days is None else [
            DayAsk(d.date, d.start, d.end, d.start_place.place() if d.start_place else None,
                   d.end_place.place() if d.end_place else None) for d in self.days]
        lunch = LunchAsk(self.lunch.earliest, self.lunch.latest, self.lunch.minutes) if self.lunch else None
        return Ask(days=days, modes=self.travel_modes, interests=self.interests,
                   must_see=self.must_see, exclude=self.exclude, lunch=lunch,
                   time_limit=self.time_limit, wheelchair=self.wheelchair, languages=languages)


class EditsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skip: list[Id] = Field(default_factory=list, max_length=100, description="drop these stops")
    lock: list[Id] = Field(default_factory=list, max_length=100, description="keep these stops")
    late_minutes: float = Field(0.0, ge=0, le=720, description="running this many minutes late")
    add: list[Id] = Field(default_factory=list, max_length=20, description="fit these attractions in")

    def edits(self) -> EditsAsk:
        return EditsAsk(skip=self.skip, lock=self.lock, late_min=self.late_minutes, add=self.add)


class ReplanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"now": "2026-07-14T11:20", "position": {"lat": 54.6009, "lon": -5.9245},
         "edits": {"late_minutes": 40}}]})

    now: BoundedDateTime = Field(description="naive times are the destination's local time")
    position: PlaceIn | None = Field(None, description="default: where the plan has you at `now`")
    edits: EditsIn = Field(default_factory=EditsIn)


# ------------------------------------------------------------------ representations
class Location(BaseModel):
    lat: float
    lon: float
    label: str | None = None


class Leg(BaseModel):
    mode: str | None = Field(description="fastest allowed mode for this leg; null when it does not move")
    km: float
    minutes: float


class Back(Leg):
    arrival: dt.datetime


class StopRead(BaseModel):
    kind: str = Field(description="visit or lunch")
    attraction_id: int | None
    name: str | None
    location: Location | None
    arrival: dt.datetime
    wait_min: float
    start: dt.datetime
    end: dt.datetime
    departure: dt.datetime
    travel: Leg = Field(description="the leg that brings you here")
    score: float | None = Field(description="the visit's value to the planner: the visitor's score "
                                            "for the place (0..1) times the hours the visit takes")
    must_see: bool
    done: bool = Field(description="visited before the re-plan that made this version")


class Resumed(BaseModel):
    at: dt.datetime
    location: Location


class DayRead(BaseModel):
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    start_place: Location
    end_place: Location
    resumed: Resumed | None = Field(description="where and when a re-plan picked the day up")
    stops: list[StopRead]
    back: Back = Field(description="the leg to the day's end place")
    slack_min: float = Field(description="free minutes left at the end of the day")
    score: float


class UnplannedRead(BaseModel):
    attraction_id: int
    name: str
    score: float = Field(description="the visit's value (score times hours of visit), as for a stop")
    reason: str = Field(description="closed_on_all_stay_days, too_far_to_reach_within_the_day, "
                                    "not_enough_time or not_wheelchair_accessible")
    detail: str


class ChangeRead(BaseModel):
    attraction_id: int
    name: str
    kind: str = Field(description="done, skipped, dropped, added, moved, retimed or not_added")
    detail: str


class VersionRef(BaseModel):
    version: int
    created_at: dt.datetime
    kind: str = Field(description="created or replanned")
    changes: int


class Solver(BaseModel):
    iterations: int
    seconds: float


class ItineraryRead(BaseModel):
    id: int
    version: int
    current_version: int
    created_at: dt.datetime
    parameters: dict
    days: list[DayRead]
    virtual_visits: list[UnplannedRead] = Field(
        description="virtual visits tonight: high-scoring places that did not fit, and why")
    must_see_unmet: list[UnplannedRead] = Field(description="must-sees that cannot be fitted, and why")
    changes: list[ChangeRead] = Field(description="what this version changed (re-plans)")
    score: float
    solver: Solver
    history: list[VersionRef]
