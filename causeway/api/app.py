"""The FastAPI application: one factory, state created once in the lifespan."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from causeway import __version__
from causeway.analytics import rollups
from causeway.analytics.consumer import Writer, WriterConfig
from causeway.analytics.stream import make_stream
from causeway.analytics.frames import FrameCache
from causeway.api import errors
from causeway.api.analytics.router import board_router as analytics_board_router
from causeway.api.analytics.router import venue_router as analytics_venue_router
from causeway.api.attractions.hours import router as hours_router
from causeway.api.attractions.router import categories_router
from causeway.api.bodylimit import BodyLimit, rules_for
from causeway.api.attractions.router import router as attractions_router
from causeway.api.board.router import router as board_page_router
from causeway.api.duplicates.router import router as duplicates_router
from causeway.api.events.router import router as events_router
from causeway.api.iiif.router import router as iiif_router
from causeway.api.imports.router import router as imports_router
from causeway.api.itineraries.router import router as itineraries_router
from causeway.api.media.router import files as media_files_router
from causeway.api.media.router import router as media_router
from causeway.api.observability import RequestContext
from causeway.api.observability import router as ops_router
from causeway.api.portal.router import router as portal_page_router
from causeway.api.providers.router import router as providers_router
from causeway.api.recommendations.router import router as recommendations_router
from causeway.api.invitations import router as invitations_api
from causeway.api.revisions import router as revisions_api
from causeway.api.visitors.router import router as visitors_router
from causeway.api.webapp.router import router as webapp_router
from causeway.cache import make_cache
from causeway.content.ingest.jobs import ImportJobs
from causeway.content.media import service as media_service
from causeway.content.media.config import MediaConfig
from causeway.content.media.runtime import MediaRuntime
from causeway.db import make_engine, make_sessionmaker
from causeway.recommendations.service import RecommendationService
from causeway.settings import Settings, get_settings

DESCRIPTION = """One visitor app instead of two hundred: the destination catalogue, for the
mobile app (visitors), venues and the tourism board.

Errors are RFC 9457 `application/problem+json`; validation errors list field paths in
`errors`. Catalogue reads carry ETags (send `If-None-Match` for a 304) and honour
`Accept-Language`. Authenticate with `Authorization: Bearer <token>`: visitors get one from
`POST /v1/visitors`; venue and board tokens come from `causeway token create`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        media_service.resume(app.state.media)  # images left pending by a previous process
        app.state.imports.recover()  # background imports of processes that died
        yield
        app.state.imports.close()
        app.state.media.close()
        app.state.event_stream.close()
        app.state.cache.close()
        app.state.engine.dispose()

    app = FastAPI(title="Causeway API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = make_engine(settings.effective_database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.cache = make_cache(settings.redis_url)
    # Events: Redis Streams for `causeway worker`, or (embedded) an in-process stream this
    # process drains itself at the end of each POST /v1/events.
    app.state.event_stream = make_stream(settings)
    app.state.event_writer = (Writer(app.state.event_stream, app.state.sessionmaker, f"api-{os.getpid()}",
                                     WriterConfig.from_settings(settings),
                                     refresher=rollups.Refresher(app.state.sessionmaker, settings.timezone,
                                                                 max_batches=None))
                              if app.state.event_stream.inline else None)
    app.state.recommender = RecommendationService(settings, app.state.sessionmaker)
    app.state.media = MediaRuntime(MediaConfig.from_settings(settings), app.state.sessionmaker)
    app.state.analytics_cache = FrameCache(settings.analytics_cache_seconds)
    app.state.imports = ImportJobs(app.state.sessionmaker, workers=settings.import_workers,
                                   queue_max=settings.import_queue_max)
    errors.install(app)
    # Outermost first: request ids and logs, then body caps (before any body is read), then
    # compression: text answers of 1 KiB or more (the visitor app's scripts and styles, JSON)
    # are gzipped for clients that accept it; images, audio, video and partial (206) answers
    # go as they are.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(BodyLimit, rules=rules_for(settings), default_cap=settings.max_body_bytes)
    app.add_middleware(RequestContext)
    app.include_router(ops_router)
    for router in (attractions_router, categories_router, providers_router, imports_router, duplicates_router,
                   visitors_router, recommendations_router):
        app.include_router(router)

    app.include_router(events_router)

    for router in (media_router, media_files_router, iiif_router):
        app.include_router(router)

    app.include_router(itineraries_router)

    for router in (analytics_board_router, analytics_venue_router, board_page_router, portal_page_router):
        app.include_router(router)

    for router in (revisions_api.attractions, revisions_api.board, revisions_api.venue, revisions_api.hours,
                   invitations_api.board, invitations_api.public):
        app.include_router(router)

    # The visitor app at /app/ (and / redirecting to it), and the hours it shows.
    app.include_router(hours_router)
    app.include_router(webapp_router)

    return app
