"""Feed imports over HTTP: the same ingestion as `causeway ingest`, scoped by token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from causeway.api.deps import DbSession, SettingsDep, rate_limit, require
from causeway.api.params import IdPath
from causeway.api.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, TooLarge, Unprocessable
from causeway.auth.models import Role
from causeway.auth.service import Principal
from causeway.content import providers
from causeway.content.dedup import Thresholds
from causeway.content.ingest.base import FeedUnreadable, load_json
from causeway.content.ingest.jobs import ImportBusy, ImportJobs, ImportRequest, QueueFull, active_import
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


class ImportJobRead(BaseModel):
    """An import's record: its status, and once done its counts and report."""

    import_id: int
    status: str = Field(description="queued, running, done or failed")
    source: str
    format: str
    dry_run: bool
    counts: dict[str, int]
    rejected: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    error: str | None = None
    progress: dict[str, int] | None = Field(
        None, description="rows handled so far (read, then applied: total is twice the rows) while running")
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    href: str


def _job_doc(slug: str, run: ImportRun, jobs: ImportJobs) -> dict[str, Any]:
    return {"import_id": run.id, "status": run.status, "source": run.source, "format": run.format,
            "dry_run": run.dry_run, "counts": run.counts or {}, "rejected": (run.report or {}).get("rejected", []),
            "duplicates": (run.report or {}).get("duplicates", []), "error": run.error,
            "progress": jobs.progress(run.id) if run.status == "running" else None,
            "created_at": run.created_at, "started_at": run.started_at, "finished_at": run.finished_at,
            "href": f"/v1/providers/{slug}/imports/{run.id}"}


@router.post("", response_model=ImportReportRead, summary="Import a feed",
             responses={202: {"model": ImportJobRead, "description": "a large feed, queued as a background "
                              "job: poll the Location (GET .../imports/{import_id}) for its status and report"}},
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
    background: Annotated[bool, Query(description="run as a background job even when the feed is small")] = False,
) -> Any:
    """Import the request body as a feed for provider `slug`.

    Valid rows are applied in one transaction; the report lists every rejected row with
    its position, field and reason. New records are `published` for a trusted provider and
    otherwise wait as `submitted` for the board; changes to published records of an untrusted
    provider become pending revisions (`counts.proposed`).

    A feed over `import_background_bytes` (or any feed with `background=true`) is a
    background job: the answer is 202 with the import's id and `status: queued`, and
    `GET .../imports/{import_id}` tells `queued`, `running`, `done` (with the report) or
    `failed` (with the reason). A provider has one import queued or running at a time (409).
    """
    provider = await run_in_threadpool(_provider_for, db, slug, principal)  # 404/403 before the body
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
            parsed_mapping = Mapping.from_dict(load_json(mapping))
        except FeedUnreadable as exc:
            raise Unprocessable(f"mapping: {exc}", errors=[{"field": "query.mapping", "message": str(exc)}]) from exc
    jobs: ImportJobs = request.app.state.imports
    job = ImportRequest(provider_id=provider.id, data=bytes(data), source=filename, fmt=format, mapping=parsed_mapping,
                        full=not partial, dry_run=dry_run,
                        thresholds=Thresholds(settings.dedup_max_distance_m, settings.dedup_min_name_similarity),
                        language=settings.default_language)
    del data
    # Everything below touches the database or parses the feed: never on the event loop.
    if background or len(job.data) > settings.import_background_bytes:
        return await run_in_threadpool(_queue, db, slug, jobs, job)
    return await run_in_threadpool(_import_now, db, slug, provider, job)


def _import_now(db: Session, slug: str, provider: Provider, job: ImportRequest) -> dict:
    busy = active_import(db, provider.id)
    if busy is not None:
        raise Conflict(f"import {busy.id} of {slug!r} is {busy.status}; wait for it to finish",
                       import_id=busy.id)
    report = run_import(
        db, provider, job.data, source=job.source, fmt=job.fmt, mapping=job.mapping,
        full=job.full, dry_run=job.dry_run, thresholds=job.thresholds, language=job.language)
    if job.dry_run:
        db.rollback()  # a dry run writes nothing, not even its own import record
        report.import_id = None
    return report.as_dict()


def _queue(db: Session, slug: str, jobs: ImportJobs, job: ImportRequest) -> JSONResponse:
    try:
        run_id = jobs.submit(job)
    except ImportBusy as exc:
        raise Conflict(f"import {exc.run_id} of {slug!r} is {exc.status}; wait for it to finish",
                       import_id=exc.run_id) from exc
    except QueueFull as exc:
        raise ServiceUnavailable(f"the import queue is full ({exc}); retry later",
                                 headers={"Retry-After": "30"}) from exc
    run = db.get(ImportRun, run_id)
    assert run is not None
    doc = _job_doc(slug, run, jobs)
    return JSONResponse(jsonable_encoder(doc), status_code=202, headers={"Location": doc["href"]})


@router.get("/{import_id}", response_model=ImportJobRead, summary="An import's status and report")
def get_import(slug: str, import_id: IdPath, db: DbSession, principal: Uploader, request: Request) -> dict:
    provider = _provider_for(db, slug, principal)
    run = db.get(ImportRun, import_id)
    if run is None or run.provider_id != provider.id:
        raise NotFound(f"import {import_id} of {slug!r} does not exist")
    return _job_doc(slug, run, request.app.state.imports)
