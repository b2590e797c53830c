"""Anonymous visitor registration: a device gets an identity and a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from causeway.api.deps import DbSession, VisitorPrincipal, rate_limit
from causeway.auth.models import Visitor
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
def delete_me(db: DbSession, principal: VisitorPrincipal) -> None:
    """Delete the calling visitor, its profile and its tokens."""
    visitor = db.get(Visitor, principal.visitor_id)
    if visitor is not None:
        db.delete(visitor)
