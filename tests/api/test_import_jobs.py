"""Imports as background jobs (issue 12): 202 and a status to poll, one job per provider,
failures recorded, interrupted jobs marked failed, and the API answering while a 50k-row
import runs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway.auth.models import Role
from causeway.auth.service import issue
from causeway.content import providers
from causeway.content.ingest import jobs as jobs_module
from causeway.content.ingest.jobs import ImportBusy, ImportJobs, ImportRequest, QueueFull
from causeway.content.ingest.synthetic import feed_csv
from causeway.content.models import Attraction, ImportRun
from causeway.db import make_engine, make_sessionmaker, transaction
from causeway.migrate import upgrade
from tests.conftest import DATA, bearer

OSM = (DATA / "belfast-overpass.json").read_bytes()
URL = "/v1/providers/castle-venue/imports"


def _wait(client: TestClient, href: str, token: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        doc = client.get(href, headers=bearer(token)).json()
        if doc["status"] in ("done", "failed") or time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def test_a_background_import_is_queued_then_done_with_its_report(
        client: TestClient, tokens: dict[str, str], factory: sessionmaker[Session]) -> None:
    r = client.post(URL, content=OSM, params={"background": "true", "filename": "belfast.json"},
                    headers=bearer(tokens["venue"]))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running", "done") and r.headers["location"] == job["href"]
    assert job["href"] == f"{URL}/{job['import_id']}"
    doc = _wait(client, job["href"], tokens["venue"])
    assert doc["status"] == "done", doc
    assert doc["format"] == "osm" and doc["counts"]["created"] == 4 and doc["counts"]["rejected"] == 3
    rejected = {(e["position"], e["field"]) for e in doc["rejected"]}
    assert rejected == {(4, "tourism"), (5, "geometry"), (6, "wheelchair")}
    assert doc["started_at"] and doc["finished_at"] and doc["error"] is None
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Attraction)) == 4
    # Another venue cannot read it.
    assert client.get(job["href"], headers=bearer(tokens["other"])).status_code == 403


def test_feeds_over_the_threshold_go_to_the_background(database_url: str, tmp_path: Path,
                                                       tokens: dict[str, str], factory: sessionmaker[Session]) -> None:
    from causeway.api.app import create_app
    from causeway.settings import Settings

    settings = Settings(database_url=database_url, data_dir=tmp_path, rate_limit_per_minute=10_000,
                        import_background_bytes=len(OSM) - 1)
    with TestClient(create_app(settings)) as c:
        r = c.post(URL, content=OSM, params={"dry_run": "true"}, headers=bearer(tokens["venue"]))
        assert r.status_code == 202
        doc = _wait(c, r.json()["href"], tokens["venue"])
        assert doc["status"] == "done" and doc["dry_run"] and doc["counts"]["created"] == 4
        small = c.post(URL, content=OSM[: len(OSM)], params={"dry_run": "true"}, headers=bearer(tokens["venue"]))
        assert small.status_code == 202  # same size: over the threshold
    with factory() as s:  # the dry run kept its record (its report) and nothing else
        assert s.scalar(select(func.count()).select_from(Attraction)) == 0
        assert s.scalar(select(func.count()).select_from(ImportRun)) == 2


def test_an_unreadable_feed_fails_with_its_reason(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post(URL, content=b"{nope", params={"background": "true"}, headers=bearer(tokens["venue"]))
    assert r.status_code == 202
    doc = _wait(client, r.json()["href"], tokens["venue"])
    assert doc["status"] == "failed" and "not valid JSON" in doc["error"] and doc["counts"] == {}


def test_one_import_at_a_time_per_provider(client: TestClient, tokens: dict[str, str],
                                           factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        venue = providers.get_by_slug(s, "castle-venue")
        run = ImportRun(provider_id=venue.id, source="big.csv", format="csv", status="running",
                        runner="elsewhere:1", counts={}, report={})
        s.add(run)
        s.flush()
        busy = run.id
    for params in ({}, {"background": "true"}):
        r = client.post(URL, content=OSM, params=params, headers=bearer(tokens["venue"]))
        assert r.status_code == 409 and r.json()["import_id"] == busy, r.text
        assert r.headers["content-type"] == "application/problem+json"
    # Another provider is not held up.
    r = client.post("/v1/providers/other-venue/imports", content=OSM, headers=bearer(tokens["other"]))
    assert r.status_code == 200
    assert client.get(f"{URL}/{busy}", headers=bearer(tokens["venue"])).json()["status"] == "running"


def _venue(factory: sessionmaker[Session], slug: str) -> int:
    with transaction(factory) as s:
        return providers.create(s, slug=slug, name=slug, size_class="small").id


def test_the_queue_is_bounded_and_close_stops_the_jobs(factory: sessionmaker[Session],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    started = threading.Event()
    real = jobs_module.run_import

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "run_import", slow)
    a, b, c = (_venue(factory, f"venue-{n}") for n in "abc")
    jobs = ImportJobs(factory, workers=1, queue_max=2)
    first = jobs.submit(ImportRequest(provider_id=a, data=OSM, source="a.json"))
    assert started.wait(30)
    with pytest.raises(ImportBusy):
        jobs.submit(ImportRequest(provider_id=a, data=OSM, source="again.json"))
    second = jobs.submit(ImportRequest(provider_id=b, data=OSM, source="b.json"))
    with pytest.raises(QueueFull):
        jobs.submit(ImportRequest(provider_id=c, data=OSM, source="c.json"))
    closer = threading.Thread(target=jobs.close)
    closer.start()
    time.sleep(0.2)
    release.set()  # the running import resumes and stops at its first row; the queued one never starts
    closer.join(30)
    assert not closer.is_alive()
    with factory() as s:
        stopped, cancelled = s.get(ImportRun, first), s.get(ImportRun, second)
        assert stopped.status == "failed" and "stopped during the import" in stopped.error
        assert cancelled.status == "failed" and "stopped before the import started" in cancelled.error
        assert s.scalar(select(func.count()).select_from(Attraction)) == 0  # nothing half-written
    with pytest.raises(QueueFull):
        jobs.submit(ImportRequest(provider_id=c, data=OSM, source="late.json"))


def test_jobs_of_a_dead_process_are_marked_failed(factory: sessionmaker[Session]) -> None:
    provider = _venue(factory, "venue-d")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    jobs = ImportJobs(factory)
    with transaction(factory) as s:
        dead = ImportRun(provider_id=provider, source="x", format="csv", status="running",
                         runner=f"{jobs.host}:{gone.pid}", counts={}, report={})
        other_host = ImportRun(provider_id=provider, source="y", format="csv", status="queued",
                               runner="another-host:1", counts={}, report={})
        s.add_all([dead, other_host])
        s.flush()
        ids = dead.id, other_host.id
    assert jobs.recover() == 1
    with factory() as s:
        assert s.get(ImportRun, ids[0]).status == "failed" and "interrupted" in s.get(ImportRun, ids[0]).error
        assert s.get(ImportRun, ids[1]).status == "queued"  # not ours to judge
    jobs.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real uvicorn server (SQLite file) and a venue token."""
    from causeway.settings import Settings
    from tests.api.live import serve

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as s:
        venue = providers.create(s, slug="big-venue", name="Big Venue", size_class="large")
        token = issue(s, role=Role.venue, provider=venue)
    engine.dispose()
    with serve(Settings(database_url=url, data_dir=tmp_path, rate_limit_per_minute=100_000)) as base:
        yield base, token


def test_healthz_answers_within_a_second_while_a_50k_row_import_runs(live_server: tuple[str, str]) -> None:
    """The issue's stall: a 50k-row feed used to hold the event loop for minutes. Each probe
    below must answer within 1 s (generous: a blocked loop takes the whole import), and only
    probes made while the import is still running count. That it finishes, and how long it
    takes, is `make bench-hardening`'s business."""
    base, token = live_server
    feed = feed_csv(50_000)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        r = http.post("/v1/providers/big-venue/imports", content=feed, headers=auth,
                      params={"dry_run": "true", "filename": "big.csv"})
        assert r.status_code == 202, r.text
        href = r.json()["href"]
        timings: list[float] = []
        status = r.json()["status"]
        deadline = time.monotonic() + 600
        while len(timings) < 5 and time.monotonic() < deadline:
            status = http.get(href, headers=auth).json()["status"]
            if status != "running":
                if status in ("done", "failed"):
                    break
                time.sleep(0.05)
                continue
            t0 = time.monotonic()
            assert http.get("/healthz", timeout=10).status_code == 200
            elapsed = time.monotonic() - t0
            if http.get(href, headers=auth).json()["status"] == "running":  # still running after the probe
                timings.append(elapsed)
            time.sleep(0.2)
        assert len(timings) == 5, f"the import finished ({status}) before 5 probes could be made"
        assert max(timings) < 1.0, timings
        doc = http.get(href, headers=auth).json()
        assert doc["status"] == "running"
        assert doc["progress"] is None or 0 < doc["progress"]["done"] <= doc["progress"]["total"] == 100_000
    # Shutting the server down stopped the import (it would have taken minutes more on a busy machine).
