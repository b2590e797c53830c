"""Request ids, structured logs, Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from causeway.analytics.consumer import Writer, WriterConfig
from causeway.observability import JsonFormatter, configure_logging, request_id
from causeway.recommendations.train import train
from tests.conftest import bearer


@pytest.fixture
def app_client(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from causeway.api.app import create_app

    with TestClient(create_app(settings.model_copy(update={"recommender_reload_seconds": 0.0}))) as c:
        yield c


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_response_carries_a_request_id(app_client: TestClient) -> None:
    first = app_client.get("/healthz").headers["x-request-id"]
    second = app_client.get("/v1/attractions").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    # A proxy's or the app's own id is kept when it is short and plain, replaced otherwise.
    assert app_client.get("/healthz", headers={"X-Request-ID": "app-42.a:b"}).headers["x-request-id"] == "app-42.a:b"
    replaced = app_client.get("/healthz", headers={"X-Request-ID": "x" * 200}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    # Errors too.
    missing = app_client.get("/v1/attractions/999999")
    assert missing.status_code == 404 and missing.headers["x-request-id"]


def test_access_log_names_the_route_and_request(app_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="causeway.access"):
        r = app_client.get("/v1/attractions/123456", headers={"X-Request-ID": "trace-1"})
    assert r.status_code == 404
    line = next(rec for rec in caplog.records if rec.name == "causeway.access")
    assert line.route == "/v1/attractions/{attraction_id}" and line.status == 404  # type: ignore[attr-defined]
    assert line.method == "GET" and line.duration_ms >= 0  # type: ignore[attr-defined]


def test_json_logs_carry_the_request_id() -> None:
    record = logging.LogRecord("causeway.x", logging.WARNING, __file__, 1, "slow %s", ("query",), None)
    record.route = "/v1/x"
    token = request_id.set("abc123")
    try:
        doc = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert doc["message"] == "slow query" and doc["level"] == "warning" and doc["request_id"] == "abc123"
    assert doc["route"] == "/v1/x" and doc["logger"] == "causeway.x" and doc["time"].endswith("+00:00")


def test_configure_logging_json_writes_one_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("json", "info")
        logging.getLogger("causeway.t").info("hello", extra={"n": 3})
        err = capsys.readouterr().err.strip().splitlines()
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    doc = json.loads(err[-1])
    assert doc["message"] == "hello" and doc["n"] == 3 and doc["request_id"] == "-"


def test_metrics_latency_by_route_template_and_events(app_client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    before = app_client.get("/metrics").text
    route = "/v1/attractions/{attraction_id}"
    seen = metric(before, "causeway_http_request_duration_seconds_count", route=route, status="404")
    for n in (11, 12, 13):  # three different ids, one label set
        app_client.get(f"/v1/attractions/{n}")
    headers = bearer(app_client.post("/v1/visitors").json()["token"])
    now = dt.datetime.now(dt.UTC).isoformat()
    good = {"event_id": str(uuid.uuid4()), "type": "itinerary_created", "itinerary_id": "it-1", "occurred_at": now}
    bad = {"event_id": str(uuid.uuid4()), "type": "itinerary_created", "occurred_at": now}
    body = app_client.post("/v1/events", json={"events": [good, bad, good]}, headers=headers).json()
    assert body["accepted"] == 1 and body["rejected"] == 1
    after = app_client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    assert metric(text, "causeway_http_request_duration_seconds_count", route=route, status="404") == seen + 3
    assert "/v1/attractions/11" not in text
    for outcome in ("accepted", "duplicate", "rejected"):
        delta = metric(text, "causeway_events_received_total", outcome=outcome) - metric(
            before, "causeway_events_received_total", outcome=outcome
        )
        assert delta == body[outcome]
    stored = metric(text, "causeway_events_stored_total") - metric(before, "causeway_events_stored_total")
    if settings.redis_url:  # a worker writes them: none yet, one batch waiting in the stream
        assert stored == 0 and metric(text, "causeway_event_stream_backlog_entries") == 1
        state = app_client.app.state  # type: ignore[attr-defined]
        Writer(state.event_stream, state.sessionmaker, "test", WriterConfig.from_settings(settings)).drain()
        text = app_client.get("/metrics").text
        stored = metric(text, "causeway_events_stored_total") - metric(before, "causeway_events_stored_total")
    assert stored == body["accepted"]
    assert metric(text, "causeway_event_stream_backlog_entries") == 0


def test_healthz_is_liveness_and_readyz_checks_dependencies(
    app_client: TestClient, catalogue: None, session: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    assert app_client.get("/healthz").json()["status"] == "ok"
    r = app_client.get("/readyz")
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    checks = r.json()["checks"]
    assert checks["database"] == "ok" and checks["model"].startswith("missing")
    assert ("redis" in checks) == bool(settings.redis_url)
    train(session, settings.models_dir, simulate_visitors_n=60, epochs=2, components=4, holdout_users=0)
    ready = app_client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"].values()) == {"ok"}
