"""Request ids, access logs and latency metrics per request; `/metrics`, `/healthz`, `/readyz`.

The middleware is plain ASGI (no body buffering): it takes the client's ``X-Request-ID``
when it is short and plain or makes one, puts it in every log line of the request and in
the response, and observes the latency under the route's template (``/v1/attractions/{id}``,
not the raw path, so ids do not explode the label set).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causeway import __version__
from causeway.api.errors import PROBLEM
from causeway.observability import HTTP_LATENCY, new_request_id, refresh_stream_gauges, render_metrics, request_id
from causeway.recommendations.service import NoModel

access_log = logging.getLogger("causeway.access")


class RequestContext:
    """ASGI middleware: request id, access log line, latency histogram by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = new_request_id(offered)
        token = request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_LATENCY.labels(scope["method"], template, str(status)).observe(elapsed)
            access_log.info(
                "%s %s %d %.1f ms",
                scope["method"],
                template,
                status,
                elapsed * 1000,
                extra={
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)


router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz(request: Request) -> dict[str, str]:
    """Liveness only (no dependency is touched): restart the process if this fails."""
    app = request.app
    return {
        "status": "ok",
        "version": __version__,
        "database": app.state.engine.dialect.name,
        "cache": type(app.state.cache).__name__,
    }


def _check(fn: Any) -> str:
    try:
        fn()
    except NoModel as exc:
        return f"missing: {exc}"
    except Exception as exc:  # noqa: BLE001  (any failure means "not ready"; the text says which)
        return f"unavailable: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    return "ok"


@router.get(
    "/readyz",
    summary="Readiness: database, Redis (when configured) and the model",
    responses={503: {"description": "A dependency is not ready", "content": {PROBLEM: {}}}},
)
def readyz(request: Request) -> Response:
    """Ready to take traffic: the database answers, Redis answers when configured, and a
    recommender model is loaded. A 503 problem lists each check's state."""
    app: FastAPI = request.app

    def database() -> None:
        with app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def redis() -> None:
        if not app.state.cache.ping():
            raise RuntimeError("ping failed")

    checks = {"database": _check(database)}
    if app.state.settings.redis_url:
        checks["redis"] = _check(redis)
    checks["model"] = _check(app.state.recommender.current)
    if all(v == "ok" for v in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
    return JSONResponse(
        {
            "type": "https://causeway.example/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": failing,
            "instance": "/readyz",
            "checks": checks,
        },
        status_code=503,
        media_type=PROBLEM,
    )


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}}
)
def metrics(request: Request) -> Response:
    """Request latency by route, events received/stored, and the event stream's backlog."""
    refresh_stream_gauges(request.app.state.event_stream)
    return Response(render_metrics(), media_type="text/plain; version=0.0.4; charset=utf-8")
