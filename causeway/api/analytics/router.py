"""Engagement analytics: the board's (`/v1/board/analytics/...`) and each venue's
(`/v1/providers/{slug}/analytics/...`), as JSON or CSV.

The same reports serve both audiences; a venue's scope is fixed to its own provider's
attractions before any filter applies, so no filter or id can widen it. Fairness compares
providers and is the board's only.
"""

import csv
import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from sqlalchemy import select

from causeway.analytics import service
from causeway.analytics.frames import FrameCache, Scope
from causeway.api.deps import BoardPrincipal, DbSession, OptionalPrincipal, SettingsDep, rate_limit
from causeway.api.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from causeway.api.http import categories, csv_list, lat_lon
from causeway.auth.models import Role
from causeway.bounds import MAX_ID, BoundedDate
from causeway.content import providers
from causeway.content.models import Attraction, Provider
from causeway.settings import Settings

board_router = APIRouter(prefix="/v1/board/analytics", tags=["analytics"], dependencies=[Depends(rate_limit)])
venue_router = APIRouter(prefix="/v1/providers/{slug}/analytics", tags=["analytics"],
                         dependencies=[Depends(rate_limit)])


def _ids(values: list[str] | None) -> list[int]:
    items = csv_list(values)
    if not all(v.isascii() and v.isdigit() and 1 <= int(v) <= MAX_ID for v in items):
        raise ValueError(f"must be attraction ids (1..{MAX_ID}), e.g. 12,40")
    return [int(v) for v in items]


def _floats(value: str, n: int, example: str) -> list[float]:
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError as exc:
        raise ValueError(f"must be {n} comma-separated numbers, e.g. {example}") from exc
    if len(parts) != n or not all(math.isfinite(p) for p in parts):
        raise ValueError(f"must be {n} comma-separated numbers, e.g. {example}")
    return parts


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    west, south, east, north = _floats(value, 4, "-6.6,54.9,-5.9,55.3 (west,south,east,north)")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError("must be west,south,east,north in degrees, south <= north")
    return west, south, east, north


@dataclass
class Filters:
    """The query parameters every report takes."""

    start: dt.date | None
    end: dt.date | None
    categories: list[str]
    bbox: tuple[float, float, float, float] | None
    near: tuple[float, float] | None
    radius_km: float
    town: str | None
    attractions: list[int]
    format: str | None
    accept: str | None


def filters(
    from_: Annotated[BoundedDate | None, Query(alias="from", description="first local date (default: "
                                           "`analytics_default_days` before `to`)")] = None,
    to: Annotated[BoundedDate | None, Query(description="last local date, included (default: today)")] = None,
    category: Annotated[list[str] | None, Query(description="taxonomy slug(s); attractions with any"),
                        AfterValidator(categories)] = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north in degrees",
                                      examples=["-6.7,55.0,-6.1,55.3"]), AfterValidator(_bbox)] = None,
    near: Annotated[str | None, Query(description="lat,lon: attractions within radius_km",
                                      examples=["54.597,-5.930"]), AfterValidator(lat_lon)] = None,
    radius_km: Annotated[float, Query(gt=0, le=500, description="with `near`")] = 25.0,
    town: Annotated[str | None, Query(max_length=200, description="the attractions' town (catalogue field)")] = None,
    attraction: Annotated[list[str] | None, Query(description="attraction id(s)"), AfterValidator(_ids)] = None,
    format: Annotated[str | None, Query(pattern="^(json|csv)$",
                                        description="csv: the report's rows as CSV (or send Accept: text/csv)")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Filters:
    return Filters(from_, to, category or [], bbox, near, radius_km, town, attraction or [],  # type: ignore[arg-type]
                   format, accept)


FiltersDep = Annotated[Filters, Depends(filters)]


@dataclass
class Request_:
    """A validated analytics request: whose scope, with which settings."""

    scope: Scope
    settings: Settings
    cache: FrameCache
    format: str
    audience: str  # "board" or "venue"


def _dates(f: Filters, settings: Settings) -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    end = f.end or today
    start = f.start or end - dt.timedelta(days=settings.analytics_default_days - 1)
    if start > end:
        raise Unprocessable("`from` is after `to`", errors=[{"field": "query.from", "message": "after `to`"}])
    if (end - start).days + 1 > settings.analytics_max_days:
        raise Unprocessable(f"a date range spans at most {settings.analytics_max_days} days",
                            errors=[{"field": "query.from", "message": "range too long"}])
    return start, end


def _format(f: Filters) -> str:
    if f.format:
        return f.format
    return "csv" if f.accept and "text/csv" in f.accept.lower() else "json"


def _check_attractions(db: DbSession, ids: list[int], provider: Provider | None) -> None:
    """Every id must be an attraction (of ``provider``, for a venue); the message is the
    same whether an id exists elsewhere or not at all, so a venue learns nothing from it."""
    if not ids:
        return
    stmt = select(Attraction.id).where(Attraction.id.in_(ids))
    if provider is not None:
        stmt = stmt.where(Attraction.provider_id == provider.id)
    found = set(db.scalars(stmt))
    missing = [i for i in ids if i not in found]
    if missing:
        whose = f"attractions of provider {provider.slug}" if provider else "attractions"
        raise NotFound(f"{missing} are not {whose}")


def board_request(
    request: Request, db: DbSession, settings: SettingsDep, principal: BoardPrincipal, f: FiltersDep,
    provider: Annotated[list[str] | None, Query(description="provider slug(s) (board only)"),
                        AfterValidator(csv_list)] = None,
) -> Request_:
    provider_ids = None
    if provider:
        rows = dict(db.execute(select(Provider.slug, Provider.id).where(Provider.slug.in_(provider))).all())
        unknown = [p for p in provider if p not in rows]
        if unknown:
            raise Unprocessable(f"unknown provider(s) {unknown}",
                                errors=[{"field": "query.provider", "message": "unknown provider"}])
        provider_ids = tuple(sorted(rows.values()))
    _check_attractions(db, f.attractions, None)
    return Request_(_scope(f, settings, provider_ids), settings, request.app.state.analytics_cache,
                    _format(f), "board")


def venue_request(request: Request, slug: str, db: DbSession, settings: SettingsDep,
                  principal: OptionalPrincipal, f: FiltersDep) -> Request_:
    if principal is None:
        raise Unauthorized("this endpoint needs a bearer token")
    if principal.role is not Role.venue and not principal.is_board:
        raise Forbidden(f"a {principal.role.value} token cannot do this; needs venue, board or admin")
    provider = providers.get_by_slug(db, slug)
    if not principal.is_board and (provider is None or not principal.may_manage(provider.id)):
        raise Forbidden("a venue token sees only its own provider's analytics")  # unknown slugs too: no probing
    if provider is None:
        raise NotFound(f"provider {slug} does not exist")
    _check_attractions(db, f.attractions, provider)
    return Request_(_scope(f, settings, (provider.id,)), settings, request.app.state.analytics_cache,
                    _format(f), "venue")


def _scope(f: Filters, settings: Settings, provider_ids: tuple[int, ...] | None) -> Scope:
    start, end = _dates(f, settings)
    return Scope(start=start, end=end, timezone=settings.timezone, categories=tuple(f.categories),
                 bbox=f.bbox, near=f.near, radius_km=f.radius_km, town=f.town,
                 provider_ids=provider_ids, attraction_ids=tuple(sorted(set(f.attractions))) or None)


BoardRequest = Annotated[Request_, Depends(board_request)]
VenueRequest = Annotated[Request_, Depends(venue_request)]


def _run(db: DbSession, req: Request_, report: str, **params: Any) -> Response:
    source = service.choose_source(db, req.settings.analytics_source, req.settings.timezone,
                                   refresh_max=req.settings.analytics_refresh_on_read_max)
    try:
        doc = service.build(db, report, req.scope, k=req.settings.analytics_k,
                            head_fraction=req.settings.analytics_head_fraction, cache=req.cache, source=source,
                            **params)
    except service.ReportError as exc:
        raise Unprocessable(str(exc), errors=[{"field": f"query.{exc.field}", "message": str(exc)}]) from exc
    doc["audience"] = req.audience
    headers = {"Cache-Control": "private, max-age=0", "X-Causeway-K": str(doc["k"]),
               "X-Causeway-Suppressed-Cells": str(doc["suppressed_cells"]),
               "X-Causeway-Simulated-Share": str(doc["simulated_share"]),
               "X-Causeway-Analytics-Source": source}
    if req.format == "csv":
        name = f"causeway-{report}-{doc['scope']['from']}-{doc['scope']['to']}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(to_csv(doc["rows"]), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(doc, headers=headers)


def to_csv(rows: list[dict]) -> str:
    """Rows as CSV: columns in first-seen order, empty for hidden values, ``suppressed`` joined by ';'."""
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    if "suppressed" in columns:  # last, so the numbers line up whatever a row has
        columns.remove("suppressed")
        columns.append("suppressed")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


Interval = Annotated[str, Query(pattern="^(day|week|month)$", description="bucket of local dates")]
RollupInterval = Annotated[str, Query(pattern="^(total|day|week|month)$",
                                      description="total: one row per key over the range")]
Limit = Annotated[int, Query(ge=1, le=100)]
Metric = Annotated[str, Query(pattern="^(" + "|".join(service.RANKED_METRICS) + ")$")]


def _register(router: APIRouter, dep: Callable[..., Request_], *, board: bool) -> None:
    """The report endpoints on ``router``, authorised and scoped by ``dep``.

    (This module does not use postponed annotations: the endpoints' ``Req`` is local, and
    FastAPI must see the real object, not the string "Req".)"""
    Req = Annotated[Request_, Depends(dep)]
    who = "the board's destination" if board else "this provider's attractions"

    @router.get("/overview", summary=f"Totals of every metric over {who}")
    def overview(db: DbSession, req: Req) -> Response:
        """Impressions, detail views, media plays, virtual visits, saves, shares, itinerary
        plans, visits, attention and distinct visitors; k-anonymous, labelled if simulated."""
        return _run(db, req, "overview")

    @router.get("/timeseries", summary="Every metric per day, week or month")
    def timeseries(db: DbSession, req: Req, interval: Interval = "day") -> Response:
        return _run(db, req, "timeseries", interval=interval)

    @router.get("/rollups", summary="Every metric by attraction, provider, category, market or size class")
    def rollups(db: DbSession, req: Req,
                by: Annotated[str, Query(pattern="^(" + "|".join(service.ROLLUP_BY) + ")$")] = "attraction",
                interval: RollupInterval = "total") -> Response:
        """Daily (or weekly, monthly) rollups; `market` is the visitor's origin market."""
        return _run(db, req, "rollups", by=by, interval=interval)

    @router.get("/funnel", summary="Impression -> detail view -> save or itinerary -> visit")
    def funnel(db: DbSession, req: Req,
               by: Annotated[str | None, Query(pattern="^(" + "|".join(service.FUNNEL_BY) + ")$")] = None,
               ) -> Response:
        return _run(db, req, "funnel", by=by)

    @router.get("/dwell", summary="Virtual-visit dwell time")
    def dwell(db: DbSession, req: Req, limit: Limit = 10) -> Response:
        return _run(db, req, "dwell", limit=limit)

    @router.get("/dispersal", summary="How widely visits and attention spread (map points, Gini, HHI)")
    def dispersal(db: DbSession, req: Req) -> Response:
        """Rows are attractions with coordinates; the summary gives the lesser-known share
        (outside the top `analytics_head_fraction` by visits), Gini and HHI."""
        return _run(db, req, "dispersal")

    if board:
        @router.get("/fairness", summary="Exposure by provider size class vs share of the catalogue")
        def fairness(db: DbSession, req: Req) -> Response:
            return _run(db, req, "fairness")

    @router.get("/patterns", summary="Seasonality and time of day (local)")
    def patterns(db: DbSession, req: Req,
                 by: Annotated[str, Query(pattern="^(hour|weekday|month)$")] = "hour") -> Response:
        return _run(db, req, "patterns", by=by)

    @router.get("/itineraries", summary="Itineraries: stay length, stops planned vs done")
    def itineraries(db: DbSession, req: Req) -> Response:
        return _run(db, req, "itineraries")

    @router.get("/top", summary="Top attractions by a metric")
    def top(db: DbSession, req: Req, metric: Metric = "visits", limit: Limit = 10) -> Response:
        return _run(db, req, "top", metric=metric, limit=limit)

    @router.get("/rising", summary="Attractions rising most against the previous period")
    def rising(db: DbSession, req: Req, metric: Metric = "visits", limit: Limit = 10) -> Response:
        return _run(db, req, "rising", metric=metric, limit=limit)


_register(board_router, board_request, board=True)
_register(venue_router, venue_request, board=False)
