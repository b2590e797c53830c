"""Duplicate candidates for the board: list, merge, dismiss."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from causeway.api.attractions.router import render
from causeway.api.deps import BoardPrincipal, DbSession, SettingsDep, rate_limit
from causeway.api.params import IdPath
from causeway.api.errors import NotFound
from causeway.bounds import Id
from causeway.content import dedup
from causeway.content.models import DuplicateCandidate

router = APIRouter(prefix="/v1/board/duplicates", tags=["board"], dependencies=[Depends(rate_limit)])


class MergeRequest(BaseModel):
    keep: Id = Field(description="id of the attraction that stays; the other is archived into it",
                      examples=[5])


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


@router.post("/{candidate_id}/merge", summary="Merge a candidate pair")
def merge_candidate(candidate_id: IdPath, body: MergeRequest, db: DbSession, settings: SettingsDep,
                    principal: BoardPrincipal) -> dict:
    """Keep one record, archive the other into it; the kept one lists both provenances."""
    kept = dedup.merge(db, _get(db, candidate_id), keep_id=body.keep, decided_by=principal.label)
    return {"candidate": _doc(_get(db, candidate_id)), "attraction": render(kept, [], settings)}


@router.post("/{candidate_id}/dismiss", summary="Dismiss a candidate pair")
def dismiss_candidate(candidate_id: IdPath, db: DbSession, principal: BoardPrincipal) -> dict:
    cand = _get(db, candidate_id)
    dedup.dismiss(db, cand, decided_by=principal.label)
    return _doc(cand)
