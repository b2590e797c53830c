"""Venue invitations over HTTP.

The board creates one for a provider (``POST /v1/board/invitations``) and sends the venue its
link (``/portal#invite=<code>``); the portal exchanges the code at ``POST /v1/invitations/accept``
for a venue token. A code works once and until ``invitation_ttl_hours`` after it was made.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from causeway.api.deps import BoardPrincipal, DbSession, SettingsDep, rate_limit
from causeway.api.errors import ApiError, NotFound
from causeway.api.params import IdPath
from causeway.auth import invitations
from causeway.auth.models import Invitation
from causeway.content import providers
from causeway.content.models import Provider

board = APIRouter(prefix="/v1/board/invitations", tags=["board"], dependencies=[Depends(rate_limit)])
public = APIRouter(prefix="/v1/invitations", tags=["venue"], dependencies=[Depends(rate_limit)])


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"provider": "ulster-museum", "label": "Front of house manager"}]})

    provider: str = Field(min_length=1, max_length=64, description="the provider's slug")
    label: str = Field("", max_length=200, description="who it is for (shown to the board only)")


class Acceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=8, max_length=100, description="the code from the invitation link")


class InvitationProblem(ApiError):
    def __init__(self, exc: invitations.InvitationError) -> None:
        super().__init__(str(exc), reason=exc.reason)
        self.status = 404 if exc.reason == "unknown" else 410
        self.slug = f"invitation-{exc.reason}"


def _doc(inv: Invitation, provider: Provider) -> dict:
    return {"id": inv.id, "provider": provider.slug, "provider_name": provider.name, "label": inv.label,
            "state": invitations.state(inv), "created_by": inv.created_by, "created_at": inv.created_at,
            "expires_at": inv.expires_at, "used_at": inv.used_at}


@board.post("", status_code=201, summary="Invite a venue to the portal")
def create_invitation(request: Request, body: InvitationCreate, db: DbSession, settings: SettingsDep,
                      principal: BoardPrincipal) -> JSONResponse:
    """A one-time code for the provider's venue, and the portal link that carries it (shown
    once: only its digest is kept). It works once, for `invitation_ttl_hours`."""
    provider = providers.get_by_slug(db, body.provider)
    if provider is None:
        raise NotFound(f"provider {body.provider!r} does not exist")
    inv, code = invitations.create(db, provider, created_by=principal.label,
                                   ttl_hours=settings.invitation_ttl_hours, label=body.label.strip())
    base = str(request.base_url).rstrip("/")
    doc = {**_doc(inv, provider), "code": code, "url": f"{base}/portal#invite={code}"}
    return JSONResponse(jsonable_encoder(doc), status_code=201)


@board.get("", summary="Invitations and whether each is open, used or expired")
def list_invitations(db: DbSession, principal: BoardPrincipal,
                     provider: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    stmt = select(Invitation, Provider).join(Provider, Provider.id == Invitation.provider_id)
    if provider:
        stmt = stmt.where(Provider.slug == provider)
    rows = db.execute(stmt.order_by(Invitation.id.desc()).limit(limit)).all()
    return {"items": [_doc(inv, p) for inv, p in rows]}


@board.delete("/{invitation_id}", summary="Withdraw an open invitation")
def revoke_invitation(invitation_id: IdPath, db: DbSession, principal: BoardPrincipal) -> dict:
    inv = db.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound(f"invitation {invitation_id} does not exist")
    invitations.revoke(db, inv)
    provider = db.get(Provider, inv.provider_id)
    assert provider is not None
    return _doc(inv, provider)


@public.post("/accept", summary="Exchange an invitation code for a venue token",
             responses={404: {"description": "Not a code the board issued"},
                        410: {"description": "Used already, or expired"}})
def accept_invitation(body: Acceptance, db: DbSession) -> dict:
    """No token needed: the code is the credential. The venue token it returns is shown once."""
    try:
        provider, token = invitations.accept(db, body.code)
    except invitations.InvitationError as exc:
        raise InvitationProblem(exc) from exc
    return {"token": token, "provider": {"slug": provider.slug, "name": provider.name}}
