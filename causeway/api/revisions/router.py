"""Revisions and venue self-service.

* ``/v1/attractions/{id}/revisions``, ``/content``: the owning venue and the board.
* ``POST /v1/attractions``: a new attraction (the publication rule decides its status).
* ``/v1/board/revisions``: the board's queue; approve (optionally with edits) or reject.
* ``/v1/venue/me``, ``/v1/venue/attractions``: what a venue token is and owns.
* ``POST /v1/hours/preview``: validate and explain an opening-hours expression.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from causeway.api.attractions.router import (
    changes_of,
    edit_problem,
    editable,
    render,
    revision_doc,
    stale_problem,
)
from causeway.api.attractions.schemas import AttractionCreate, HoursPreviewIn
from causeway.api.deps import (
    BoardPrincipal,
    DbSession,
    EditorPrincipal,
    SettingsDep,
    VenuePrincipal,
    rate_limit,
)
from causeway.api.errors import Conflict, NotFound, Unprocessable
from causeway.api.params import IdPath
from causeway.auth.models import Role
from causeway.content import providers, revisions
from causeway.content.hours import InvalidOpeningHours, preview
from causeway.content.models import Attraction, Provider, Revision, Status

attractions = APIRouter(prefix="/v1/attractions", tags=["revisions"], dependencies=[Depends(rate_limit)])
board = APIRouter(prefix="/v1/board/revisions", tags=["board"], dependencies=[Depends(rate_limit)])
venue = APIRouter(prefix="/v1/venue", tags=["venue"], dependencies=[Depends(rate_limit)])
hours = APIRouter(prefix="/v1/hours", tags=["attractions"], dependencies=[Depends(rate_limit)])

_STATUSES = "^(pending|approved|rejected|superseded|all)$"


def _content(att: Attraction) -> dict[str, Any]:
    """Everything a venue edits, every language, with the version to send back."""
    live = revisions.live_fields(att)
    return {
        "id": att.id, "provider": att.provider.slug, "status": att.status, "version": att.version,
        "name": live["name"], "description": live["description"], "categories": live["categories"],
        "tags": live["tags"], "opening_hours": live["opening_hours"], "visit_minutes": live["visit_minutes"],
        "price_band": live["price_band"], "accessibility": {"wheelchair": live["wheelchair"]},
        "website": live["website"], "contact": {"phone": live["phone"], "email": live["email"]},
        "address": live["address"], "town": live["town"], "postcode": live["postcode"],
        "location": {"lat": live["lat"], "lon": live["lon"]}, "image_url": live["image_url"],
        "estimated": dict(att.defaults_applied or {}), "updated_at": att.updated_at,
    }


def _latest(db: DbSession, attraction_ids: list[int]) -> dict[int, Revision]:
    """The most recent venue- or feed-made revision of each attraction."""
    if not attraction_ids:
        return {}
    newest = (select(func.max(Revision.id)).where(Revision.attraction_id.in_(attraction_ids),
                                                 Revision.kind.in_(("edit", "import")))
              .group_by(Revision.attraction_id))
    return {r.attraction_id: r for r in db.scalars(select(Revision).where(Revision.id.in_(newest)))}


@attractions.get("/{attraction_id}/content", summary="An attraction's editable content (venue or board)")
def get_content(attraction_id: IdPath, db: DbSession, principal: EditorPrincipal) -> dict:
    """Every language of name and description, the version to send as `version` or
    `If-Match`, and the pending revision, if any (what the board has not decided yet)."""
    att = editable(db, attraction_id, principal)
    pending = revisions.pending(db, att.id)
    return {**_content(att), "pending_revision": revision_doc(pending) if pending else None}


@attractions.get("/{attraction_id}/revisions", summary="An attraction's revisions (venue or board)")
def list_revisions(attraction_id: IdPath, db: DbSession, principal: EditorPrincipal,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """Newest first: pending, approved (with what was applied), rejected (with the reason)."""
    att = editable(db, attraction_id, principal)
    rows = db.scalars(select(Revision).where(Revision.attraction_id == att.id)
                      .order_by(Revision.id.desc()).limit(limit))
    return {"items": [revision_doc(r) for r in rows]}


@attractions.get("/{attraction_id}/revisions/{revision_id}", summary="One revision (venue or board)")
def get_revision(attraction_id: IdPath, revision_id: IdPath, db: DbSession, principal: EditorPrincipal) -> dict:
    att = editable(db, attraction_id, principal)
    rev = db.get(Revision, revision_id)
    if rev is None or rev.attraction_id != att.id:
        raise NotFound(f"attraction {attraction_id} has no revision {revision_id}")
    return revision_doc(rev)


@attractions.post("", status_code=201, summary="Add an attraction (venue or board)",
                  responses={422: {"description": "Invalid values, each field with its reason"}})
def create_attraction(body: AttractionCreate, db: DbSession, settings: SettingsDep,
                      principal: EditorPrincipal) -> JSONResponse:
    """A new attraction of the venue's own provider (the board names one with `provider`).

    Published at once when the provider is trusted; otherwise `submitted`, for the board to
    publish: the same rule as feed imports."""
    if principal.role is Role.venue:
        if body.provider is not None:
            raise Unprocessable("a venue adds attractions to its own provider; leave out `provider`",
                                errors=[{"field": "body.provider", "message": "venue tokens have one provider"}])
        provider = db.get(Provider, principal.provider_id)
    else:
        if not body.provider:
            raise Unprocessable("name the provider the attraction belongs to",
                                errors=[{"field": "body.provider", "message": "required for board tokens"}])
        provider = providers.get_by_slug(db, body.provider)
        if provider is None:
            raise NotFound(f"provider {body.provider!r} does not exist")
    assert provider is not None
    if body.status is not None:
        raise Unprocessable("a new attraction's status follows the publication rule",
                            errors=[{"field": "body.status", "message": "not accepted on create"}])
    if not body.name or body.location is None:
        missing = [f for f, v in (("name", body.name), ("location", body.location)) if not v]
        raise Unprocessable("a new attraction needs a name and a location",
                            errors=[{"field": f"body.{f}", "message": "required"} for f in missing])
    att = Attraction(provider_id=provider.id, external_id=f"portal-{uuid.uuid4().hex[:12]}",
                     source=f"api:{principal.label}", name={}, description={}, sort_name="",
                     lat=body.location.lat, lon=body.location.lon, status=Status.draft.value,
                     version=1, content_hash="")
    att.provider = provider
    changes = changes_of(att, body)
    changes.setdefault("visit_minutes", 60)
    try:
        fields = revisions.validate_changes(att, changes)
    except revisions.EditInvalid as exc:
        raise edit_problem(exc) from exc
    revisions.write(att, fields)
    att.status = revisions.publication_status(provider)
    db.add(att)
    db.flush()
    return JSONResponse(jsonable_encoder(render(att, [], settings)), status_code=201,
                        headers={"Location": f"/v1/attractions/{att.id}"})


# The board ------------------------------------------------------------------------------
class Decision(BaseModel):
    """Approve: optionally with the board's edits on top of the proposed fields."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {}, {"edits": {"opening_hours": "Mo-Su 10:00-17:00"}, "version": 4}]})

    edits: dict[str, Any] | None = Field(
        None, description="field -> value in the revision vocabulary (name, description, categories, tags, "
                          "opening_hours, visit_minutes, price_band, wheelchair, website, phone, email, "
                          "address, town, postcode, lat, lon, image_url)")
    version: int | None = Field(None, ge=1, le=2**31 - 1,
                                description="the attraction version the board reviewed; 409 if it moved on")


class Rejection(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, examples=["The opening hours on your website say 10:00."])


def _revision(db: DbSession, revision_id: int) -> Revision:
    rev = db.get(Revision, revision_id)
    if rev is None:
        raise NotFound(f"revision {revision_id} does not exist")
    return rev


@board.get("", summary="The board's revision queue")
def board_revisions(db: DbSession, principal: BoardPrincipal,
                    status: Annotated[str, Query(pattern=_STATUSES)] = "pending",
                    provider: Annotated[str | None, Query(max_length=64)] = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    """Oldest first for pending ones (the queue), newest first otherwise; with diffs."""
    stmt = select(Revision)
    if status != "all":
        stmt = stmt.where(Revision.status == status)
    if provider:
        stmt = stmt.where(Revision.provider_id.in_(select(Provider.id).where(Provider.slug == provider)))
    stmt = stmt.order_by(Revision.id if status == "pending" else Revision.id.desc()).limit(limit)
    return {"items": [revision_doc(r) for r in db.scalars(stmt)]}


@board.get("/{revision_id}", summary="One revision with its diff")
def board_revision(revision_id: IdPath, db: DbSession, principal: BoardPrincipal) -> dict:
    return revision_doc(_revision(db, revision_id))


@board.post("/{revision_id}/approve", summary="Approve a revision (optionally edited)",
            responses={409: {"description": "Decided already, or the live record changed: edit and approve"}})
def approve(revision_id: IdPath, body: Decision, db: DbSession, settings: SettingsDep,
            principal: BoardPrincipal) -> dict:
    """The proposed fields (with `edits` over them) go live in one transaction."""
    rev = _revision(db, revision_id)
    try:
        att = revisions.approve(db, rev, decided_by=principal.label, edits=body.edits, version=body.version)
    except revisions.RevisionError as exc:
        raise Conflict(str(exc)) from exc
    except revisions.EditInvalid as exc:
        problem = edit_problem(exc)
        for e in problem.extra["errors"]:
            e["field"] = "body.edits." + e["field"].split(".")[-1]
        raise problem from exc
    except revisions.Stale as exc:
        raise stale_problem(exc, rev.attraction, settings) from exc
    return {"revision": revision_doc(rev), "attraction": render(att, [], settings)}


@board.post("/{revision_id}/reject", summary="Reject a revision with a reason the venue sees")
def reject(revision_id: IdPath, body: Rejection, db: DbSession, principal: BoardPrincipal) -> dict:
    rev = _revision(db, revision_id)
    try:
        revisions.reject(db, rev, reason=body.reason.strip(), decided_by=principal.label)
    except revisions.RevisionError as exc:
        raise Conflict(str(exc)) from exc
    return revision_doc(rev)


# The venue ------------------------------------------------------------------------------
@venue.get("/me", summary="The venue this token belongs to")
def venue_me(db: DbSession, principal: VenuePrincipal) -> dict:
    provider = db.get(Provider, principal.provider_id)
    assert provider is not None
    return {"provider": {"slug": provider.slug, "name": provider.name, "size_class": provider.size_class,
                         "website": provider.website, "trusted": provider.trusted}}


@venue.get("/attractions", summary="The venue's own attractions, every status")
def venue_attractions(db: DbSession, principal: VenuePrincipal,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> dict:
    """With each one's latest revision (pending, approved or rejected with the reason)."""
    rows = list(db.scalars(select(Attraction).where(
        Attraction.provider_id == principal.provider_id, Attraction.merged_into_id.is_(None))
        .order_by(Attraction.sort_name, Attraction.id).limit(limit)))
    latest = _latest(db, [a.id for a in rows])
    items = []
    for att in rows:
        rev = latest.get(att.id)
        items.append({"id": att.id, "name": next(iter(att.name.values()), None), "status": att.status,
                      "version": att.version, "categories": att.categories, "updated_at": att.updated_at,
                      "latest_revision": None if rev is None else {
                          "id": rev.id, "status": rev.status, "reason": rev.reason,
                          "created_at": rev.created_at, "decided_at": rev.decided_at,
                          "fields": sorted(rev.fields)}})
    return {"items": items}


# Opening hours --------------------------------------------------------------------------
@hours.post("/preview", summary="Validate an opening-hours expression and show it in words")
def hours_preview(body: HoursPreviewIn, settings: SettingsDep) -> dict:
    """The next seven days and a typical week per season, in the destination's time zone;
    a 422 with the parser's reason when the syntax is wrong."""
    start = body.start or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        return preview(body.opening_hours, start=start, timezone=settings.timezone, country=settings.country)
    except InvalidOpeningHours as exc:
        raise Unprocessable(str(exc), errors=[{"field": "body.opening_hours", "message": str(exc)}]) from exc


