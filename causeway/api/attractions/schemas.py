"""Attraction representations for the app."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE = {
    "id": 8, "name": "Dunluce Castle", "language": "en",
    "description": None,
    "categories": ["castle", "history"], "tags": [],
    "location": {"lat": 55.210811, "lon": -6.579535}, "distance_km": 1.2,
    "address": "87 Dunluce Road, Portrush, Co. Antrim", "town": "Portrush", "postcode": "BT57 8UY",
    "opening_hours": "Mo-Su 10:00-17:00", "visit_minutes": 90, "price_band": "unknown",
    "accessibility": {"wheelchair": "unknown"},
    "website": "http://www.discovernorthernireland.com/Dunluce-Castle", "image_url": None,
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
    image_url: str | None
    wikidata: str | None
    provider: ProviderRef
    estimated: dict[str, str] = Field(
        description="fields filled from category defaults or keyword rules, not from the provider")
    provenance: list[Provenance]
    status: str
    version: int
    updated_at: dt.datetime


FIELDS = tuple(AttractionRead.model_fields)


class AttractionPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE], "next_cursor": "eyJrIjox..."}]})

    items: list[dict] = Field(description="AttractionRead objects (only the requested `fields`)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class StatusUpdate(BaseModel):
    status: str = Field(pattern="^(draft|submitted|published|archived)$", examples=["published"])
