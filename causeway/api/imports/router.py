"""Feed imports over HTTP: the same ingestion as `causeway ingest`, scoped by token."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from causeway.api.deps import DbSession, SettingsDep, rate_limit, require
from causeway.api.params import IdPath
from causeway.api.errors import Forbidden, NotFound, TooLarge, Unprocessable
from causeway.auth.models import Role
from causeway.auth.service import Principal
from causeway.content import providers
from causeway.content.dedup import Thresholds
from causeway.content.ingest.base import FeedUnreadable
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import run_import
from causeway.content.models import ImportRun, Provider

router = APIRouter(prefix="/v1/providers/{slug}/imports", tags=["imports"],
                   dependencies=[Depends(rate_limit)])
Uploader = Annotated[Principal, Depends(require(Role.venue, Role.board, Role.admin))]

REPORT_EXAMPLE: dict[str, Any] = {
    "provider": "ulster-museum", "source": "feed.jsonld", "format": "jsonld", "dry_run": False,
    "full": True, "counts": {"rows": 3, "created": 2, "updated": 0, "proposed": 0, "unchanged": 0, "archived": 0,
                             "rejected": 1}, "new_status": "submitted",
    "rejected": [{"position": 3, "external_id": "um-3", "field": "lat", "reason": "'abc' is not a number"}],
    "duplicates": [], "import_id": 7,
}


class ImportReportRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [REPORT_EXAMPLE]})

    provider: str
    source: str
    format: str
    dry_run: bool
    full: bool
    counts: dict[str, int]
    rejected: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    import_id: int | None
    new_status: str


def _provider_for(db: DbSession, slug: str, principal: Principal) -> Provider:
    provider = providers.get_by_slug(db, slug)
    if provider is None:
        raise NotFound(f"provider {slug!r} does not exist")
    if not principal.may_manage(provider.id):
        raise Forbidden("a venue token can import only for its own provider")
    return provider


@router.post("", response_model=ImportReportRead, summary="Import a feed",
             openapi_extra={"requestBody": {"content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                 "text/csv": {"schema": {"type": "string"}},
                 "application/ld+json": {"schema": {"type": "object"}},
                 "application/geo+json": {"schema": {"type": "object"}}}}})
async def create_import(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, principal: Uploader,
    format: Annotated[str, Query(pattern="^(auto|csv|geojson|jsonld|osm)$")] = "auto",
    dry_run: bool = False,
    partial: Annotated[bool, Query(description="do not archive records missing from this feed")] = False,
    mapping: Annotated[str | None, Query(description="JSON mapping for csv/geojson feeds")] = None,
    filename: Annotated[str, Query(max_length=200)] = "upload",
) -> dict:
    """Import the request body as a feed for provider `slug`.

    Valid rows are applied in one transaction; the report lists every rejected row with
    its position, field and reason. New records are `published` for a trusted provider and
    otherwise wait as `submitted` for the board; changes to published records of an untrusted
    provider become pending revisions (`counts.proposed`).
    """
    provider = _provider_for(db, slug, principal)
    declared = int(request.headers.get("content-length") or 0)
    if declared > settings.max_import_bytes:
        raise TooLarge(f"feeds over {settings.max_import_bytes} bytes are not accepted")
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > settings.max_import_bytes:
            raise TooLarge(f"feeds over {settings.max_import_bytes} bytes are not accepted")
    parsed_mapping = None
    if mapping:
        try:
            parsed_mapping = Mapping.from_dict(json.loads(mapping))
        except (json.JSONDecodeError, FeedUnreadable) as exc:
            raise Unprocessable(f"mapping: {exc}", errors=[{"field": "query.mapping", "message": str(exc)}]) from exc
    report = run_import(
        db, provider, bytes(data), source=filename, fmt=format, mapping=parsed_mapping,
        full=not partial, dry_run=dry_run,
        thresholds=Thresholds(settings.dedup_max_distance_m, settings.dedup_min_name_similarity),
        language=settings.default_language)
    if dry_run:
        db.rollback()  # a dry run writes nothing, not even its own import record
        report.import_id = None
    return report.as_dict()


@router.get("/{import_id}", summary="An earlier import's report")
def get_import(slug: str, import_id: IdPath, db: DbSession, principal: Uploader) -> dict:
    provider = _provider_for(db, slug, principal)
    run = db.get(ImportRun, import_id)
    if run is None or run.provider_id != provider.id:
        raise NotFound(f"import {import_id} of {slug!r} does not exist")
    return {"import_id": run.id, "source": run.source, "format": run.format, "dry_run": run.dry_run,
            "counts": run.counts, **run.report, "created_at": run.created_at}
