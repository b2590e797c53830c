"""Request ids, structured logs and Prometheus metrics, shared by the API and the worker.

No web framework here: the API's middleware (``causeway.api.observability``) sets the
request id and observes latency; the event intake and the worker count events. Metrics
live in the default ``prometheus_client`` registry of the process. With several server
processes (``causeway serve --workers N``) set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory shared by them and ``/metrics`` aggregates every process (the client library's
multiprocess mode).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

#: The id of the request being served (``-`` outside one).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# A client may pass its own id (a proxy's or the app's) if it is short and plain.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTTP_LATENCY = Histogram(
    "causeway_http_request_duration_seconds",
    "API request latency by route template",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
)
EVENTS_RECEIVED = Counter(
    "causeway_events_received_total", "Events answered by POST /v1/events, by outcome", ["outcome"]
)
EVENTS_STORED = Counter("causeway_events_stored_total", "Events written to the database")
EVENTS_DEAD = Counter("causeway_events_dead_lettered_total", "Events that could not be written")
STREAM_BACKLOG = Gauge(
    "causeway_event_stream_backlog_entries",
    "Stream entries (POST batches) not yet written to the database: queued or being written",
    multiprocess_mode="max",
)
STREAM_PENDING = Gauge(
    "causeway_event_stream_pending_entries",
    "Entries delivered to a worker and not yet acknowledged",
    multiprocess_mode="max",
)


def new_request_id(offered: str | None) -> str:
    """The client's id when it is acceptable, else a fresh one."""
    if offered and _CLIENT_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def render_metrics() -> bytes:
    """The exposition text for this process, or for all of them in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and extras."""

    _standard = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                doc[key] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, for text formats that name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(fmt: str, level: str = "info") -> None:
    """Root logging for a process: ``json`` (one object a line) or ``text``; both carry the request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def refresh_stream_gauges(stream: Any) -> None:
    """Set the backlog/pending gauges from the stream (an unreachable stream leaves them as they were)."""
    try:
        STREAM_BACKLOG.set(stream.backlog())
        STREAM_PENDING.set(stream.pending())
    except Exception:  # noqa: BLE001
        logging.getLogger("causeway.metrics").warning("event stream unreachable for metrics", exc_info=True)


def serve_metrics(port: int, stream: Any, *, every_s: float = 5.0) -> None:
    """For `causeway worker --metrics-port`: Prometheus text on ``port`` (a daemon thread), with
    the stream gauges refreshed every ``every_s`` seconds."""
    import threading

    from prometheus_client import start_http_server

    start_http_server(port)

    def refresh() -> None:
        while True:
            refresh_stream_gauges(stream)
            time.sleep(every_s)

    threading.Thread(target=refresh, name="metrics-refresh", daemon=True).start()
