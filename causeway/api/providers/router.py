"""Providers: public list; the board creates them and decides which are trusted."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from causeway.api.deps import BoardPrincipal, DbSession, rate_limit
from causeway.api.errors import NotFound
from causeway.content import providers
from causeway.content.models import Provider

router = APIRouter(prefix="/v1/providers", tags=["providers"], dependencies=[Depends(rate_limit)])


class ProviderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"slug": "causeway-coast-glens", "name": "Causeway Coast and Glens Borough Council",
         "size_class": "medium", "website": "https://www.causewaycoastandglens.gov.uk", "trusted": True}]})

    slug: str
    name: str
    size_class: str
    website: str | None
    trusted: bool = Field(description="new records and changes go live without the board's review")


class ProviderCreate(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$", examples=["ulster-museum"])
    name: str = Field(min_length=1, max_length=200, examples=["Ulster Museum"])
    size_class: str = Field("small", pattern="^(small|medium|large)$")
    website: str | None = Field(None, max_length=500)
    trusted: bool = Field(False, description="publish its new records and changes without review")


class ProviderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"trusted": True}]})

    name: str | None = Field(None, min_length=1, max_length=200)
    size_class: str | None = Field(None, pattern="^(small|medium|large)$")
    website: str | None = Field(None, max_length=500)
    trusted: bool | None = None


@router.get("", response_model=list[ProviderRead], summary="List providers")
def list_providers(db: DbSession) -> list[Provider]:
    return list(db.scalars(select(Provider).order_by(Provider.slug)))


@router.post("", status_code=201, response_model=ProviderRead, summary="Create a provider (board)")
def create_provider(body: ProviderCreate, db: DbSession, principal: BoardPrincipal) -> Provider:
    return providers.create(db, slug=body.slug, name=body.name, size_class=body.size_class,
                            website=body.website, trusted=body.trusted)


@router.patch("/{slug}", response_model=ProviderRead, summary="Change a provider, e.g. trust it (board)")
def update_provider(slug: str, body: ProviderUpdate, db: DbSession, principal: BoardPrincipal) -> Provider:
    provider = providers.get_by_slug(db, slug)
    if provider is None:
        raise NotFound(f"provider {slug!r} does not exist")
    return providers.update(db, provider, **body.model_dump(exclude_unset=True))
