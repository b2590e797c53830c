"""Catalogue endpoints for the app (read) and the board (moderation)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AfterValidator

from causeway.api.attractions.schemas import (
    FIELDS,
    AttractionPage,
    AttractionRead,
    StatusUpdate,
)
from causeway.api.deps import (
    BoardPrincipal,
    DbSession,
    OptionalPrincipal,
    SettingsDep,
    rate_limit,
)
from causeway.api.params import IdPath
from causeway.api.errors import NotFound, Unprocessable
from causeway.api.http import (
    categories,
    csv_list,
    decode_cursor,
    encode_cursor,
    etag_json,
    languages,
    lat_lon,
    one_of,
    pick,
)
from causeway.auth.models import Role
from causeway.content import catalogue, taxonomy
from causeway.content.models import Attraction, Status
from causeway.settings import Settings

router = APIRouter(prefix="/v1/attractions", tags=["attractions"], dependencies=[Depends(rate_limit)])


def render(att: Attraction, langs: list[str], settings: Settings, distance_km: float | None = None) -> dict:
    lang, name = pick(att.name, langs, settings.default_language)
    desc_lang = lang if lang in att.description else None
    _, description = (desc_lang, att.description[desc_lang]) if desc_lang else pick(
        att.description, langs, settings.default_language)
    records = [att, *att.merged]
    return {
        "id": att.id, "name": name, "language": lang, "description": description,
        "categories": att.categories, "tags": att.tags,
        "location": {"lat": att.lat, "lon": att.lon}, "distance_km": distance_km,
        "address": att.address, "town": att.town, "postcode": att.postcode,
        "opening_hours": att.opening_hours, "visit_minutes": att.visit_minutes,
        "price_band": att.price_band, "accessibility": {"wheelchair": att.wheelchair},
        "website": att.website, "image_url": att.image_url, "wikidata": att.wikidata,
        "provider": {"slug": att.provider.slug, "name": att.provider.name,
                     "size_class": att.provider.size_class},
        "estimated": dict(att.defaults_applied),
        "provenance": [{"provider": r.provider.slug, "source": r.source, "external_id": r.external_id,
                        "last_imported_at": r.last_imported_at} for r in records],
        "status": att.status, "version": att.version, "updated_at": att.updated_at,
    }


_fields = one_of(FIELDS, "fields")
_statuses = one_of(Status.__members__, "status")


@router.get("", response_model=AttractionPage, summary="List attractions",
            responses={304: {"description": "Not modified (If-None-Match)"}})
def list_attractions(
    request: Request, db: DbSession, settings: SettingsDep, principal: OptionalPrincipal,
    category: Annotated[list[str] | None, Query(description="taxonomy slug(s); any of them matches",
                                                examples=["castle,history"]),
                        AfterValidator(categories)] = None,
    tag: Annotated[list[str] | None, Query(description="free tag(s); all must match"),
                   AfterValidator(csv_list)] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="words in name, description, tags")] = None,
    near: Annotated[str | None, Query(description="lat,lon: nearest first", examples=["54.597,-5.930"]),
                    AfterValidator(lat_lon)] = None,
    radius_km: Annotated[float, Query(gt=0, le=500, description="with `near`")] = 25.0,
    open_at: Annotated[dt.datetime | None, Query(description="ISO time; naive means destination time",
                                                 examples=["2026-07-14T11:00"])] = None,
    wheelchair: Annotated[str | None, Query(pattern="^(yes|limited)$",
                                            description="yes: step-free; limited: yes or limited")] = None,
    provider: Annotated[str | None, Query(description="provider slug")] = None,
    status: Annotated[list[str] | None, Query(description="board only; default published"),
                      AfterValidator(_statuses)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    fields: Annotated[list[str] | None, Query(description="sparse fieldset, e.g. id,name,location"),
                      AfterValidator(_fields)] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """Attractions matching the filters, nearest first with `near`, in pages."""
    statuses = tuple(status or [Status.published.value])
    if status and (principal is None or principal.role not in (Role.board, Role.admin)):
        raise Unprocessable("only board tokens may filter by status",
                            errors=[{"field": "query.status", "message": "board only"}])
    query = catalogue.Query(
        categories=category or [], tags=tag or [], text=q, near=near,  # type: ignore[arg-type]
        radius_km=radius_km, open_at=open_at, wheelchair=wheelchair, provider=provider,
        statuses=statuses, timezone=settings.timezone, country=settings.country)
    fingerprint = hashlib.sha256(repr((query.categories, query.tags, q, near, radius_km, open_at,
                                       wheelchair, provider, statuses)).encode()).hexdigest()[:12]
    after = decode_cursor(cursor, fingerprint) if cursor else None
    size = min(limit or settings.page_size_default, settings.page_size_max)
    page = catalogue.search(db, query, limit=size, after=after)
    langs = languages(accept_language)
    items = []
    for hit in page.hits:
        doc = render(hit.attraction, langs, settings, hit.distance_km)
        items.append({k: doc[k] for k in fields} if fields else doc)
    body = {"items": items,
            "next_cursor": encode_cursor(page.next_key, fingerprint) if page.next_key else None}
    return etag_json(request, body)


@router.get("/{attraction_id}", response_model=AttractionRead, summary="Get one attraction",
            responses={304: {"description": "Not modified"}, 404: {"description": "No such attraction"}})
def get_attraction(request: Request, attraction_id: IdPath, db: DbSession, settings: SettingsDep,
                   principal: OptionalPrincipal,
                   accept_language: Annotated[str | None, Header()] = None) -> Response:
    """One attraction in the best language for Accept-Language; a merged record redirects its id."""
    att = catalogue.get(db, attraction_id)
    if att is not None and att.merged_into_id is not None:
        att = catalogue.get(db, att.merged_into_id)
    visible = att is not None and (
        att.status == Status.published.value
        or (principal is not None and principal.role in (Role.board, Role.admin))
        or (principal is not None and principal.role is Role.venue and principal.provider_id == att.provider_id))
    if not visible or att is None:
        raise NotFound(f"attraction {attraction_id} does not exist or is not published")
    doc = render(att, languages(accept_language), settings)
    headers = {"Content-Language": doc["language"]} if doc["language"] else {}
    return etag_json(request, doc, headers=headers)


@router.patch("/{attraction_id}", response_model=AttractionRead, summary="Moderate an attraction (board)")
def moderate(attraction_id: IdPath, body: StatusUpdate, db: DbSession, settings: SettingsDep,
             principal: BoardPrincipal) -> dict:
    """Set an attraction's status: publish a venue's submission, archive, send back to draft."""
    att = catalogue.get(db, attraction_id)
    if att is None:
        raise NotFound(f"attraction {attraction_id} does not exist")
    if att.status != body.status:
        att.status = body.status
        att.version += 1
        db.flush()
    return render(att, [], settings)


categories_router = APIRouter(prefix="/v1/categories", tags=["attractions"],
                              dependencies=[Depends(rate_limit)])


@categories_router.get("", summary="The category taxonomy, with published attraction counts")
def list_categories(request: Request, db: DbSession) -> Response:
    """Every category slug an attraction, a filter or a visitor's interests can use."""
    from sqlalchemy import func, select

    from causeway.content.models import AttractionCategory

    counts = dict(db.execute(
        select(AttractionCategory.category, func.count())
        .join(Attraction, Attraction.id == AttractionCategory.attraction_id)
        .where(Attraction.status == Status.published.value)
        .group_by(AttractionCategory.category)).all())
    items = [{"slug": slug, "label": label, "attractions": int(counts.get(slug, 0))}
             for slug, label in taxonomy.CATEGORIES.items()]
    return etag_json(request, {"items": items})
