"""Anonymous visitor registration: a device gets an identity and a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from causeway.analytics.erasure import erase_visitor_events
from causeway.api.deps import CurrentVisitor, DbSession, rate_limit
from causeway.api.events.router import EventStreamDep
from causeway.auth import profile as profile_model
from causeway.auth.profile import Profile
from causeway.auth.service import register_visitor

router = APIRouter(prefix="/v1/visitors", tags=["visitors"], dependencies=[Depends(rate_limit)])


class VisitorCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"visitor_id": 42, "token": "cw_visitor_3q2+...", "token_type": "bearer"}]})

    visitor_id: int
    token: str
    token_type: str = "bearer"


@router.post("", status_code=201, response_model=VisitorCreated, summary="Register this device")
def create_visitor(db: DbSession) -> VisitorCreated:
    """A new anonymous visitor. Keep the token: it is shown once and identifies the device."""
    visitor, token = register_visitor(db)
    return VisitorCreated(visitor_id=visitor.id, token=token)


@router.delete("/me", status_code=204, summary="Forget me")
def delete_me(db: DbSession, visitor: CurrentVisitor, events: EventStreamDep) -> None:
    """Delete the calling visitor, its profile and its tokens. Their events stay counted in
    aggregates but are unlinked, including those still queued for writing."""
    erase_visitor_events(db, events, visitor.id)
    db.delete(visitor)


class Me(BaseModel):
    visitor_id: int
    profile: Profile


@router.get("/me", response_model=Me, summary="The calling visitor and their profile")
def get_me(visitor: CurrentVisitor) -> Me:
    return Me(visitor_id=visitor.id, profile=profile_model.read(visitor.profile))


@router.put("/me/profile", response_model=Me, summary="State interests, stay, base and needs")
def put_profile(body: Profile, visitor: CurrentVisitor) -> Me:
    """Replace the profile as a whole. Recommendations and itineraries use it from the next
    request on; nothing of it is ever shown to venues or the board."""
    visitor.profile = body.model_dump(mode="json", exclude_none=True)
    return Me(visitor_id=visitor.id, profile=body)
