"""Duplicate candidates for the board: list, compare side by side, merge field by field, dismiss."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from causeway.api.attractions.router import render
from causeway.api.deps import BoardPrincipal, DbSession, SettingsDep, rate_limit
from causeway.api.params import IdPath
from causeway.api.errors import NotFound, Unprocessable
from causeway.bounds import Id
from causeway.content import dedup
from causeway.content.media.models import MediaAsset
from causeway.content.models import Attraction, DuplicateCandidate

router = APIRouter(prefix="/v1/board/duplicates", tags=["board"], dependencies=[Depends(rate_limit)])


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"keep": 5, "take": {"opening_hours": 9, "wheelchair": 9, "description": 5}}]})

    keep: Id = Field(description="id of the attraction that stays; the other is archived into it",
                     examples=[5])
    take: dict[str, Id] = Field(
        default_factory=dict, max_length=40,
        description="field -> id of the record (of the pair) whose value the kept record takes; "
                    "`location` for lat and lon. Fields not named keep the kept record's value, "
                    "or the other's where the kept one has none (empty, unknown, a category default).")


def _doc(c: DuplicateCandidate) -> dict:
    def side(a):  # type: ignore[no-untyped-def]
        return {"id": a.id, "name": next(iter(a.name.values()), None), "provider": a.provider.slug,
                "status": a.status, "location": {"lat": a.lat, "lon": a.lon}}

    return {"id": c.id, "status": c.status, "name_similarity": c.name_similarity,
            "distance_m": c.distance_m, "a": side(c.attraction_a), "b": side(c.attraction_b),
            "decided_by": c.decided_by, "decided_at": c.decided_at, "created_at": c.created_at}


def _get(db: DbSession, candidate_id: int) -> DuplicateCandidate:
    cand = db.get(DuplicateCandidate, candidate_id)
    if cand is None:
        raise NotFound(f"duplicate candidate {candidate_id} does not exist")
    return cand


@router.get("", summary="Duplicate candidates")
def list_candidates(db: DbSession, principal: BoardPrincipal,
                    status: Annotated[str, Query(pattern="^(pending|merged|dismissed|all)$")] = "pending",
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    stmt = select(DuplicateCandidate).order_by(DuplicateCandidate.id).limit(limit)
    if status != "all":
        stmt = stmt.where(DuplicateCandidate.status == status)
    return {"items": [_doc(c) for c in db.scalars(stmt)]}


def _side(att: Attraction) -> dict:
    return {"id": att.id, "provider": att.provider.slug, "status": att.status, "version": att.version,
            "source": att.source, "estimated": dict(att.defaults_applied or {})}


@router.get("/{candidate_id}", summary="A candidate pair side by side, field by field")
def compare_candidate(candidate_id: IdPath, db: DbSession, principal: BoardPrincipal) -> dict:
    """Both records' values of every mergeable field, whether each lacks it, and what a merge
    keeping `a` (or `b`) would hold when the board picks nothing."""
    cand = _get(db, candidate_id)
    a, b = cand.attraction_a, cand.attraction_b
    va, vb = dedup.values_of(a), dedup.values_of(b)
    keep_a, _ = dedup.merged_values(a, b, {})
    keep_b, _ = dedup.merged_values(b, a, {})
    fields = [{"field": f, "a": va[f], "b": vb[f], "same": va[f] == vb[f],
               "a_lacks": dedup.lacks(a, f), "b_lacks": dedup.lacks(b, f),
               "default_keep_a": keep_a[f], "default_keep_b": keep_b[f]} for f in dedup.MERGEABLE]
    return {"candidate": _doc(cand), "a": _side(a), "b": _side(b), "fields": fields}


@router.post("/{candidate_id}/merge", summary="Merge a candidate pair, choosing fields")
def merge_candidate(request: Request, candidate_id: IdPath, body: MergeRequest, db: DbSession,
                    settings: SettingsDep, principal: BoardPrincipal) -> dict:
    """Keep one record and archive the other into it, in one transaction: the kept record takes
    every field in `take`, fills what it lacks from the other, gains the other's media, and
    lists both provenances; the change is recorded as a `merge` revision."""
    cand = _get(db, candidate_id)
    gone_id = cand.attraction_b_id if body.keep == cand.attraction_a_id else cand.attraction_a_id
    moved = list(db.scalars(select(MediaAsset.identifier).where(MediaAsset.attraction_id == gone_id)))
    try:
        kept = dedup.merge(db, cand, keep_id=body.keep, decided_by=principal.label, take=body.take)
    except dedup.MergeInvalid as exc:
        raise Unprocessable(str(exc), errors=[{"field": "body.take", "message": str(exc)}]) from exc
    for identifier in moved:  # their attraction (and so who may see them) changed
        request.app.state.media.forget(identifier)
    return {"candidate": _doc(_get(db, candidate_id)), "attraction": render(kept, [], settings)}


@router.post("/{candidate_id}/dismiss", summary="Dismiss a candidate pair")
def dismiss_candidate(candidate_id: IdPath, db: DbSession, principal: BoardPrincipal) -> dict:
    cand = _get(db, candidate_id)
    dedup.dismiss(db, cand, decided_by=principal.label)
    return _doc(cand)
