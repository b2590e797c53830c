"""The visitor profile: what a visitor tells the app about their trip.

Stored as JSON on :class:`~causeway.auth.models.Visitor`; validated here, once, so every
reader (recommendations, itineraries, analytics) can rely on its shape. Every field is
optional: a visitor who says nothing still gets recommendations (popular places).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from causeway.bounds import BoundedDate, Text
from causeway.content.taxonomy import CATEGORIES

TravelMode = Literal["walking", "cycling", "driving", "public_transport"]
Party = Literal["solo", "couple", "family", "group"]
MAX_STAY_DAYS = 60


class Stay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: BoundedDate
    end: BoundedDate

    @model_validator(mode="after")
    def _ordered(self) -> Stay:
        if self.end < self.start:
            raise ValueError("the stay ends before it starts")
        if (self.end - self.start).days + 1 > MAX_STAY_DAYS:
            raise ValueError(f"a stay is at most {MAX_STAY_DAYS} days")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class BaseLocation(BaseModel):
    """Where the visitor stays (a hotel): the default start and end of each day."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: Text | None = Field(None, max_length=200)


class Accessibility(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wheelchair: bool = False


class Profile(BaseModel):
    """What the visitor states. ``PUT /v1/visitors/me/profile`` replaces it as a whole."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "interests": ["history", "food"], "languages": ["en", "fr"],
        "stay": {"start": "2026-07-14", "end": "2026-07-16"},
        "base": {"lat": 54.5973, "lon": -5.9301, "label": "Hotel, Donegall Square"},
        "travel_mode": "public_transport", "accessibility": {"wheelchair": False},
        "party": "couple", "home_country": "FR"}]})

    interests: list[str] = Field(default_factory=list, max_length=20,
                                 description="Category slugs, as listed by GET /v1/categories")
    languages: list[str] = Field(default_factory=list, max_length=10,
                                 description="Preferred languages, most preferred first")
    stay: Stay | None = None
    base: BaseLocation | None = None
    travel_mode: TravelMode | None = None
    accessibility: Accessibility = Field(default_factory=Accessibility)
    party: Party | None = None
    home_country: str | None = Field(None, pattern=r"^[A-Z]{2}$",
                                     description="ISO 3166-1 alpha-2; used only as an origin market")

    @field_validator("interests")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {sorted(CATEGORIES)}")
        return list(dict.fromkeys(value))

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, value: list[str]) -> list[str]:
        import re

        bad = [v for v in value if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", v)]
        if bad:
            raise ValueError(f"not language tags: {bad}")
        return [v.lower() for v in dict.fromkeys(value)]


def read(raw: dict | None) -> Profile:
    """The stored profile, tolerant of records written before a field existed."""
    try:
        return Profile.model_validate(raw or {})
    except ValueError:
        known = {k: v for k, v in (raw or {}).items() if k in Profile.model_fields}
        try:
            return Profile.model_validate(known)
        except ValueError:
            return Profile()
