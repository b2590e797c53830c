"""RFC 9457 problem+json for every error the API returns.

Domain code raises HTTP-free exceptions (``ProviderError``, ``DuplicateError``, ``FeedUnreadable``);
this module maps them, and FastAPI's own errors, to problem documents in one place.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import redis
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from causeway.bounds import MAX_JSON_DEPTH
from causeway.content.dedup import DuplicateError
from causeway.content.ingest.base import FeedUnreadable
from causeway.analytics.stream import StreamUnavailable
from causeway.content.media.service import MediaConflict, MediaError, MediaTooLarge
from causeway.content.providers import ProviderError, ProviderExists
from causeway.itineraries import service as itineraries

log = logging.getLogger("causeway.api")
PROBLEM = "application/problem+json"


class ApiError(Exception):
    """An error with a status, a short slug for its ``type`` URI and a human detail."""

    status = 400
    slug = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(ApiError):
    status, slug = 404, "not-found"


class Unauthorized(ApiError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="causeway"'})


class Forbidden(ApiError):
    status, slug = 403, "forbidden"


class Conflict(ApiError):
    status, slug = 409, "conflict"


class TooLarge(ApiError):
    status, slug = 413, "payload-too-large"


class Unprocessable(ApiError):
    status, slug = 422, "unprocessable"


class RateLimited(ApiError):
    status, slug = 429, "rate-limited"


class ServiceUnavailable(ApiError):
    """A dependency is not ready or not reachable; the client may retry (see Retry-After)."""

    status, slug = 503, "service-unavailable"


def problem(status: int, slug: str, detail: str, instance: str, *,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": f"https://causeway.example/problems/{slug}",
            "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.slug, exc.detail, request.url.path, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, "validation-error", detail or "invalid request", request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
            # FastAPI's body parser met JSON nested too deep for the decoder.
            detail = f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
            return problem(422, "validation-error", detail, request.url.path,
                           errors=[{"field": "body", "message": detail, "type": "json_too_deep"}])
        slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        return problem(exc.status_code, slug, str(exc.detail), request.url.path,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(StreamUnavailable)
    async def _stream(request: Request, exc: StreamUnavailable) -> JSONResponse:
        log.warning("event stream unavailable on %s: %s", request.url.path, exc)
        return problem(503, "service-unavailable", "the event stream is unreachable; nothing was "
                       "taken: retry the same request shortly", request.url.path,
                       headers={"Retry-After": "1"})

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    async def _redis(request: Request, exc: Exception) -> JSONResponse:
        # Redis restarting (cache, rate limits): a retryable outage, not a crash.
        log.warning("Redis unavailable on %s: %s", request.url.path, exc)
        return problem(503, "service-unavailable", "a backing service is restarting; retry shortly",
                       request.url.path, headers={"Retry-After": "1"})

    @app.exception_handler(sqlalchemy.exc.DataError)
    async def _data(request: Request, exc: sqlalchemy.exc.DataError) -> JSONResponse:
        # A value the schema let through but the database cannot hold (a NUL character in
        # text on PostgreSQL): the request's fault, and nothing was written (rolled back).
        log.info("database refused a value on %s: %s", request.url.path, str(exc.orig).splitlines()[0][:200])
        return problem(422, "validation-error", "a parameter holds a value the database cannot store "
                       "(for example a NUL character)", request.url.path)

    # The itinerary and media services' HTTP-free exceptions: mapped here, once (routers do not catch them).
    @app.exception_handler(itineraries.InvalidRequest)
    async def _itinerary_invalid(request: Request, exc: itineraries.InvalidRequest) -> JSONResponse:
        return await _api(request, Unprocessable(exc.message, errors=[{"field": exc.field, "message": exc.message}]))

    @app.exception_handler(itineraries.NotFound)
    async def _itinerary_missing(request: Request, exc: itineraries.NotFound) -> JSONResponse:
        return await _api(request, NotFound(str(exc)))

    @app.exception_handler(itineraries.Conflict)
    async def _itinerary_conflict(request: Request, exc: itineraries.Conflict) -> JSONResponse:
        return await _api(request, Conflict(str(exc)))

    @app.exception_handler(MediaError)
    async def _media(request: Request, exc: MediaError) -> JSONResponse:
        status, slug = ((413, "payload-too-large") if isinstance(exc, MediaTooLarge)
                        else (409, "conflict") if isinstance(exc, MediaConflict) else (422, "media-rejected"))
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else []
        return problem(status, slug, exc.detail, request.url.path, reason=exc.reason, errors=errors)

    @app.exception_handler(ProviderError)
    async def _provider(request: Request, exc: ProviderError) -> JSONResponse:
        # The class decides, not the message: ProviderExists is a conflict, the rest invalid input.
        status = 409 if isinstance(exc, ProviderExists) else 422
        return problem(status, "provider-invalid", str(exc), request.url.path)

    @app.exception_handler(DuplicateError)
    async def _dup(request: Request, exc: DuplicateError) -> JSONResponse:
        return problem(409, "duplicate-decided", str(exc), request.url.path)

    @app.exception_handler(FeedUnreadable)
    async def _feed(request: Request, exc: FeedUnreadable) -> JSONResponse:
        return problem(422, "feed-unreadable", str(exc), request.url.path)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "internal-error", "an unexpected error occurred; it has been logged",
                       request.url.path)
