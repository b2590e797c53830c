"""Attraction representations for the app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE: dict[str, Any] = {
    "id": 8, "name": "Dunluce Castle", "language": "en",
    "description": None,
    "categories": ["castle", "history"], "tags": [],
    "location": {"lat": 55.210811, "lon": -6.579535}, "distance_km": 1.2,
    "address": "87 Dunluce Road, Portrush, Co. Antrim", "town": "Portrush", "postcode": "BT57 8UY",
    "opening_hours": "Mo-Su 10:00-17:00", "visit_minutes": 90, "price_band": "unknown",
    "accessibility": {"wheelchair": "unknown"},
    "website": "http://www.discovernorthernireland.com/Dunluce-Castle",
    "contact": {"phone": "+44 28 2073 1938", "email": None}, "image_url": None,
    "wikidata": None,
    "provider": {"slug": "causeway-coast-glens", "name": "Causeway Coast and Glens Borough Council",
                 "size_class": "medium"},
    "estimated": {"opening_hours": "default:castle", "visit_minutes": "default:castle",
                  "categories": "keywords"},
    "provenance": [{"provider": "causeway-coast-glens", "source": "causeway-coast-and-glens-places.geojson",
                    "external_id": "8", "last_imported_at": "2026-11-23T16:00:00Z"}],
    "status": "published", "version": 1, "updated_at": "2026-11-23T16:00:00Z",
}


class Location(BaseModel):
    lat: float
    lon: float


class ProviderRef(BaseModel):
    slug: str
    name: str
    size_class: str


class Accessibility(BaseModel):
    wheelchair: str = Field(description="yes, limited, no or unknown")


class Contact(BaseModel):
    phone: str | None
    email: str | None


class Provenance(BaseModel):
    provider: str
    source: str
    external_id: str
    last_imported_at: dt.datetime | None


class AttractionRead(BaseModel):
    """One attraction, text in the negotiated language."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: int
    name: str
    language: str | None = Field(description="language of name and description")
    description: str | None
    categories: list[str]
    tags: list[str]
    location: Location
    distance_km: float | None = Field(None, description="geodesic distance from `near`")
    address: str | None
    town: str | None
    postcode: str | None
    opening_hours: str | None = Field(description="OpenStreetMap opening_hours syntax")
    visit_minutes: int
    price_band: str
    accessibility: Accessibility
    website: str | None
    contact: Contact
    image_url: str | None
    wikidata: str | None
    provider: ProviderRef
    estimated: dict[str, str] = Field(
        description="fields that are estimates: filled from category defaults (`default:<category>`) or "
                    "keyword rules (`keywords`), or marked by the provider's feed as its own estimate "
                    "(`estimate:provider`)")
    provenance: list[Provenance]
    status: str
    version: int
    updated_at: dt.datetime


FIELDS = tuple(AttractionRead.model_fields)


class AttractionPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE], "next_cursor": "eyJrIjox..."}]})

    items: list[dict] = Field(description="AttractionRead objects (only the requested `fields`)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class AccessibilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wheelchair: str = Field(max_length=20, description="yes, limited, no or unknown")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)


Texts = dict[str, str | None]


class AttractionEdit(BaseModel):
    """Fields to change; absent fields stay as they are.

    ``name`` and ``description`` are merged per language (``{"ga": "..."}`` adds or replaces
    Irish, ``{"ga": null}`` removes it). ``opening_hours`` is OSM ``opening_hours`` syntax,
    seasons included (``Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00``); check one
    with ``POST /v1/hours/preview``. ``status`` is the board's (a venue may only submit its
    draft). ``version`` (or an ``If-Match`` header) is the version the edit was made on:
    if the attraction has moved on, the answer is 409 with the current version.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"opening_hours": "Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00",
         "description": {"en": "A ruined medieval castle on the cliffs."}, "version": 3}]})

    name: Texts | None = Field(None, max_length=20)
    description: Texts | None = Field(None, max_length=20)
    categories: list[str] | None = Field(None, max_length=10)
    tags: list[str] | None = Field(None, max_length=30)
    opening_hours: str | None = Field(None, max_length=1000)
    visit_minutes: int | None = Field(None, ge=5, le=1440)
    price_band: str | None = Field(None, max_length=10)
    accessibility: AccessibilityIn | None = None
    website: str | None = Field(None, max_length=500)
    contact: ContactIn | None = None
    address: str | None = Field(None, max_length=500)
    town: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, max_length=20)
    location: LocationIn | None = None
    status: str | None = Field(None, pattern="^(draft|submitted|published|archived)$")
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class AttractionCreate(AttractionEdit):
    """A new attraction: published at once for a trusted provider, otherwise submitted."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": {"en": "Causeway Coffee Barn"}, "location": {"lat": 55.2408, "lon": -6.5116},
         "categories": ["food"], "opening_hours": "Mo-Su 09:00-17:00"}]})

    provider: str | None = Field(None, max_length=64, description="provider slug (board only; a venue's is its own)")


class HoursPreviewIn(BaseModel):
    opening_hours: str = Field(max_length=1000, examples=["Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00"])
    start: dt.date | None = Field(None, description="first day of the week shown (default: today)")
