"""Catalogue endpoints for the app (read) and the board (moderation)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from causeway.api.attractions.schemas import (
    FIELDS,
    AttractionEdit,
    AttractionPage,
    AttractionRead,
)
from causeway.api.deps import (
    DbSession,
    EditorPrincipal,
    OptionalPrincipal,
    SettingsDep,
    rate_limit,
)
from causeway.api.errors import Conflict, Forbidden, NotFound, Unprocessable
from causeway.api.params import IdPath
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
from causeway.auth.service import Principal
from causeway.content import catalogue, revisions, taxonomy
from causeway.content.models import Attraction, Revision, Status
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
        "website": att.website, "contact": {"phone": att.phone, "email": att.email},
        "image_url": att.image_url, "wikidata": att.wikidata,
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
    q: Annotated[str | None,
                 Query(min_length=2, max_length=100, description="words in name, description, tags")] = None,
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
    if status and (principal is None or not principal.is_board):
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
        or (principal is not None and principal.may_manage(att.provider_id)))
    if not visible or att is None:
        raise NotFound(f"attraction {attraction_id} does not exist or is not published")
    doc = render(att, languages(accept_language), settings)
    headers = {"Content-Language": doc["language"]} if doc["language"] else {}
    return etag_json(request, doc, headers=headers)


def revision_doc(rev: Revision) -> dict:
    """A revision as the venue and the board see it, with its field-by-field diff."""
    att = rev.attraction
    return {
        "id": rev.id, "attraction": {"id": att.id, "name": next(iter(att.name.values()), None),
                                     "provider": att.provider.slug, "status": att.status,
                                     "version": att.version},
        "kind": rev.kind, "author": rev.author, "status": rev.status, "reason": rev.reason,
        "base_version": rev.base_version, "changes": revisions.diff(rev), "applied": rev.applied,
        "created_at": rev.created_at, "decided_by": rev.decided_by, "decided_at": rev.decided_at,
    }


def editable(db: DbSession, attraction_id: int, principal: Principal) -> Attraction:
    """The attraction if ``principal`` may change it: the board, or the venue that owns it.

    Another provider's attraction is a 404, the same as one that does not exist."""
    att = catalogue.get(db, attraction_id)
    mine = att is not None and principal.may_manage(att.provider_id)
    if att is None or not mine:
        raise NotFound(f"attraction {attraction_id} does not exist")
    if att.merged_into_id is not None:
        raise Conflict(f"attraction {attraction_id} was merged into {att.merged_into_id}; edit that one",
                       merged_into=att.merged_into_id)
    return att


_EDIT_PATHS = {"wheelchair": "body.accessibility.wheelchair", "phone": "body.contact.phone",
               "email": "body.contact.email", "lat": "body.location.lat", "lon": "body.location.lon"}


def edit_problem(exc: revisions.EditInvalid) -> Unprocessable:
    errors = [{"field": _EDIT_PATHS.get(f, f"body.{f}"), "message": r} for f, r in exc.errors]
    return Unprocessable("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


def stale_problem(exc: revisions.Stale, att: Attraction, settings: Settings) -> Conflict:
    return Conflict(str(exc), current_version=exc.current_version, fields=exc.fields,
                    current=jsonable_encoder(render(att, [], settings)))


def changes_of(att: Attraction, body: AttractionEdit) -> dict:
    """The request body as full values of the editable fields (texts merged per language)."""
    sent = body.model_dump(exclude_unset=True)
    out: dict = {}
    for name in ("name", "description"):
        if name in sent:
            texts = dict(getattr(att, name) or {})
            for lang, text in (sent[name] or {}).items():
                if text is None or not str(text).strip():
                    texts.pop(lang.lower(), None)
                else:
                    texts[lang.lower()] = text
            out[name] = texts
    for name in ("categories", "tags", "opening_hours", "visit_minutes", "price_band", "website",
                 "address", "town", "postcode"):
        if name in sent:
            out[name] = sent[name]
    if sent.get("accessibility") is not None:
        out["wheelchair"] = sent["accessibility"]["wheelchair"]
    if sent.get("contact") is not None:
        out.update(sent["contact"])  # only the keys sent (exclude_unset is recursive)
    if sent.get("location") is not None:
        out["lat"], out["lon"] = sent["location"]["lat"], sent["location"]["lon"]
    return out


def if_match_version(if_match: str | None) -> int | None:
    """``If-Match: "7"`` (or W/"7", "v7"): the version an edit was made on."""
    if not if_match or if_match.strip() == "*":
        return None
    tag = if_match.split(",")[0].strip().removeprefix("W/").strip('"').removeprefix("v")
    if not tag.isdigit() or len(tag) > 9:
        raise Unprocessable("If-Match must carry the attraction's version, e.g. \"7\"",
                            errors=[{"field": "header.if-match", "message": "not a version"}])
    return int(tag)


@router.patch("/{attraction_id}", response_model=AttractionRead, summary="Edit an attraction (venue or board)",
              responses={202: {"description": "A venue's change to a published attraction: a pending revision"},
                         409: {"description": "The attraction changed since `version`; the body has the current one"},
                         422: {"description": "Invalid values, each field with its reason"}})
def edit_attraction(attraction_id: IdPath, body: AttractionEdit, db: DbSession, settings: SettingsDep,
                    principal: EditorPrincipal,
                    if_match: Annotated[str | None, Header()] = None) -> Response:
    """Change an attraction's content (and, for the board, its status).

    The board's edits apply at once (200, recorded as an approved revision). A venue edits its
    own attractions only: a published one changes when the board approves the revision this
    creates (202 with the revision); a draft or submitted one changes at once. A trusted
    provider's edits apply at once.
    """
    att = editable(db, attraction_id, principal)
    by_board = principal.is_board
    expected = body.version if body.version is not None else if_match_version(if_match)
    status = body.status
    if status is not None and not by_board and not (
            status == Status.submitted.value and att.status in (Status.draft.value, Status.submitted.value)):
        raise Forbidden("a venue can only submit its draft for review; the board publishes and archives")
    try:
        outcome = revisions.edit(db, att, changes_of(att, body), author=principal.label, by_board=by_board,
                                 version=expected)
    except revisions.EditInvalid as exc:
        raise edit_problem(exc) from exc
    except revisions.Stale as exc:
        raise stale_problem(exc, att, settings) from exc
    if status is not None and status != att.status:
        att.status = status
        if outcome.revision is None:  # otherwise the edit already gave it a new version
            att.version += 1
        db.flush()
    if outcome.pending:
        assert outcome.revision is not None
        doc = revision_doc(outcome.revision)
        return JSONResponse(jsonable_encoder(doc), status_code=202,
                            headers={"Location": f"/v1/attractions/{att.id}/revisions/{outcome.revision.id}"})
    return JSONResponse(jsonable_encoder(render(att, [], settings)),
                        headers={"ETag": f'"{att.version}"'})


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
