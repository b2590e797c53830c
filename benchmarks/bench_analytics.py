"""Board analytics at a season's scale (issue 16): reports from the rollups vs the pandas path.

Run: ``python -m benchmarks.bench_analytics`` (``make bench-analytics ARGS="--events 10000000"``).

1. seed: a PostgreSQL database (``--database-url``, created if missing, kept afterwards so
   later runs reuse it; ``--reseed`` starts again) gets ``--attractions`` published
   attractions of ``--providers`` providers (small/medium/large), ``--visitors`` visitors
   (default events / 50) and ``--events`` events over ``--days`` days up to today, generated
   by SQL (``generate_series``, not the API). Each visitor makes a trip of a few days
   (50 events on average: impressions, detail views, media plays, virtual visits with a
   dwell, saves, shares, visits, itineraries with planned and done stops), attractions drawn
   with a long tail, one origin market per visitor.
2. backfill: ``rollups.refresh`` from an empty rollup (what ``causeway analytics backfill``
   runs): events/s and the time it takes, the size of the rollup tables.
3. reports: ``causeway serve`` (one uvicorn worker) on this database; every report of
   ``/v1/board/analytics/...`` over the whole year (and the last 30 days, and a venue's
   ``/v1/providers/{slug}/analytics/...``), ``--repeats`` times each after one warm-up
   request: p50/p95 latency, and the API process's peak RSS. The same reports through the
   pandas path (``CAUSEWAY_ANALYTICS_SOURCE=events``) when the events are at most
   ``--pandas-max`` (a smaller copy is measured instead otherwise: see ``--pandas-events``).
4. write cost: ``--write-events`` new events (same generator) inserted, then one refresh
   over them, as the worker runs it: events/s the rollup maintenance sustains.
5. freshness: a ``redis-server`` of its own, ``causeway worker`` and the API with the
   stream; events POSTed at ``--pace`` events/s for ``--seconds``; how long after an event
   is accepted the board's overview counts it (p50/max over probes sent during the run).

The load runs on the same cores as PostgreSQL and the server; run it under ``nice``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

MARKETS = ("GB", "IE", "US", "DE", "FR", "ES", "IT", "NL", "CA", "AU", "GB", "GB", "IE", "US")
# Type mix (cumulative thresholds of one uniform draw).
TYPE_MIX = (("impression", 0.50), ("detail_view", 0.68), ("media_play", 0.74), ("virtual_visit", 0.79),
            ("save", 0.84), ("share", 0.86), ("visit", 0.975), ("itinerary_created", 0.98),
            ("itinerary_stop_done", 1.0))
SECONDARY_INDEXES = {
    "events_event_id_key": "ALTER TABLE events ADD CONSTRAINT events_event_id_key UNIQUE (event_id)",
    "ix_events_attraction_occurred":
        "CREATE INDEX ix_events_attraction_occurred ON events (attraction_id, occurred_at)",
    "ix_events_occurred_type": "CREATE INDEX ix_events_occurred_type ON events (occurred_at, type)",
    "ix_events_visitor_id": "CREATE INDEX ix_events_visitor_id ON events (visitor_id)",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_database(url: str, reseed: bool) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(sa_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and reseed:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _type_case(r: str) -> str:
    parts = " ".join(f"WHEN {r} < {hi} THEN '{t}'" for t, hi in TYPE_MIX[:-1])
    return f"CASE {parts} ELSE '{TYPE_MIX[-1][0]}' END"


def event_sql(n_visitors: int, n_attractions: int, first_id: int, days: int) -> str:
    """INSERT ... SELECT of events ids :lo..:hi (the generator; deterministic per id range
    after setseed). Visitor v makes events 50(v-1)+1 .. 50v (modulo the visitors), in a trip
    of 1-5 days starting on a day drawn from v, attractions by a long-tailed draw."""
    return f"""
    INSERT INTO events (id, event_id, type, visitor_id, attraction_id, occurred_at, received_at, stored_at,
                        itinerary_id, dwell_seconds, market, simulated, context)
    SELECT g.i, md5('bench16:' || g.i)::uuid::text, g.type, g.v, g.att,
           g.ts, g.ts, g.ts,
           CASE WHEN g.type IN ('itinerary_created', 'itinerary_stop_done') THEN 'it-' || g.v END,
           CASE WHEN g.type = 'virtual_visit' THEN round((5 + 900 * power(g.r2, 2))::numeric, 1)::float8 END,
           (ARRAY{list(MARKETS)!r})[1 + g.v % {len(MARKETS)}],
           false,
           CASE WHEN g.type = 'itinerary_created' THEN json_build_object(
                 'days', 1 + g.v % 8,
                 'stops', json_build_array(1 + (g.v * 7) % {n_attractions}, 1 + (g.v * 13) % {n_attractions},
                                           1 + (g.v * 29) % {n_attractions}, g.att0))
                ELSE '{{}}'::json END
    FROM (
      SELECT s.i, s.v, s.type,
             CASE WHEN s.type = 'itinerary_created' THEN NULL ELSE s.att0 END AS att, s.att0, s.r2,
             now() - interval '{days} days'
               + CAST((s.v * 7919) % {days - 5} AS integer) * interval '1 day'
               + (s.r3 * 4 * 86400 + 8 * 3600 * s.r4) * interval '1 second' AS ts
      FROM (
        SELECT u.i, u.v, {_type_case('u.rt')} AS type,
               1 + least({n_attractions - 1}, floor({n_attractions} * power(u.ra, 2.2))::int) AS att0,
               u.r2, u.r3, u.r4
        FROM (SELECT i, 1 + ((i - {first_id}) / 50) % {n_visitors} AS v, random() AS rt, random() AS ra,
                     random() AS r2, random() AS r3, random() AS r4
              FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS i) u
      ) s
    ) g"""


def seed(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Catalogue, visitors and events; a board token. Reuses what a previous run left."""
    from causeway.auth.models import Role
    from causeway.auth.service import issue
    from causeway.db import make_engine, make_sessionmaker, transaction
    from causeway.migrate import upgrade

    ensure_database(url, args.reseed)
    engine = make_engine(url)
    upgrade(engine)
    eng = create_engine(sa_url(url))
    info: dict[str, Any] = {}
    with eng.begin() as c:
        have_att = c.scalar(text("SELECT count(*) FROM attractions"))
        if not have_att:
            log(f"seeding {args.providers} providers, {args.attractions} attractions")
            c.execute(text("""
                INSERT INTO providers (id, slug, name, size_class, created_at, trusted)
                SELECT p, 'provider-' || p, 'Provider ' || p,
                       CASE WHEN p % 10 = 0 THEN 'large' WHEN p % 10 < 4 THEN 'medium' ELSE 'small' END, now(), false
                FROM generate_series(1, :n) AS p"""), {"n": args.providers})
            c.execute(text("""
                INSERT INTO attractions (id, provider_id, external_id, source, name, description, sort_name,
                    search_text, lat, lon, town, visit_minutes, price_band, wheelchair, defaults_applied, extra,
                    status, version, content_hash, created_at, updated_at)
                SELECT a, 1 + (a - 1) % :p, 'a' || a, 'bench', json_build_object('en', 'Attraction ' || a), '{}',
                       'attraction ' || a, '', 54.0 + (a * 0.6180339 - floor(a * 0.6180339)) * 1.3,
                       -8.2 + (a * 0.7548776 - floor(a * 0.7548776)) * 2.7, 'Town ' || (a % 40), 60, 'unknown',
                       'unknown', '{}', '{}', 'published', 1, 'h', now(), now()
                FROM generate_series(1, :n) AS a"""), {"n": args.attractions, "p": args.providers})
            cats = ["history", "castle", "museum", "gallery", "garden", "nature", "coast", "walking", "food",
                    "drink", "family", "music"]
            c.execute(text("""
                INSERT INTO attraction_categories (attraction_id, category, position)
                SELECT a, (CAST(:cats AS text[]))[1 + a % 12], 0 FROM generate_series(1, :n) AS a
                UNION ALL
                SELECT a, (CAST(:cats AS text[]))[1 + (a / 12) % 12], 1 FROM generate_series(1, :n) AS a
                WHERE (a / 12) % 12 <> a % 12 AND a % 3 = 0"""), {"n": args.attractions, "cats": cats})
            for t in ("providers", "attractions"):
                c.execute(text(f"SELECT setval('{t}_id_seq', (SELECT max(id) FROM {t}))"))
        have_vis = c.scalar(text("SELECT count(*) FROM visitors"))
        if have_vis < args.visitors:
            log(f"seeding visitors {have_vis + 1}..{args.visitors}")
            c.execute(text("INSERT INTO visitors (id, profile, created_at) SELECT v, '{}', now() "
                           "FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) AS v"),
                      {"a": have_vis + 1, "b": args.visitors})
            c.execute(text("SELECT setval('visitors_id_seq', (SELECT max(id) FROM visitors))"))
    with eng.connect() as c:
        have_ev = int(c.scalar(text("SELECT coalesce(max(id), 0) FROM events")))
    if have_ev < args.events:
        insert_events(eng, have_ev + 1, args.events, args)
    with transaction(make_sessionmaker(engine)) as s:
        info["board_token"] = issue(s, role=Role.board, label="bench-analytics")
    with eng.connect() as c:
        info["events"] = int(c.scalar(text("SELECT count(*) FROM events")))
        info["events_size"] = c.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('events'))"))
        info["span"] = [str(d) for d in c.execute(text(
            "SELECT min(occurred_at)::date, max(occurred_at)::date FROM events")).one()]
    engine.dispose()
    eng.dispose()
    return info


def insert_events(eng, lo: int, hi: int, args: argparse.Namespace, *, chunk: int = 1_000_000,  # type: ignore[no-untyped-def]
                  drop_indexes: bool = True) -> float:
    """Events lo..hi by SQL, a chunk per transaction; secondary indexes dropped and rebuilt."""
    started = time.perf_counter()
    sql = text(event_sql(args.visitors, args.attractions, 1, args.days))
    with eng.connect() as c:
        present = {r[0] for r in c.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'"))}
    if drop_indexes:
        with eng.begin() as c:
            for name in SECONDARY_INDEXES:
                if name in present:
                    if name.endswith("_key"):
                        c.execute(text(f"ALTER TABLE events DROP CONSTRAINT {name}"))
                    else:
                        c.execute(text(f"DROP INDEX {name}"))
    for a in range(lo, hi + 1, chunk):
        b = min(hi, a + chunk - 1)
        t0 = time.perf_counter()
        with eng.begin() as c:
            c.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers per row
            c.execute(text("SELECT setseed(:s)"), {"s": (a % 100_003) / 100_003})
            c.execute(sql, {"lo": a, "hi": b})
        log(f"events {a:,}..{b:,} inserted in {time.perf_counter() - t0:.1f} s")
    if drop_indexes:
        with eng.begin() as c:
            c.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for name, ddl in SECONDARY_INDEXES.items():
                t0 = time.perf_counter()
                c.execute(text(ddl))
                log(f"{name} built in {time.perf_counter() - t0:.1f} s")
    with eng.begin() as c:
        c.execute(text("SELECT setval('events_id_seq', (SELECT max(id) FROM events))"))
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE events"))
    return time.perf_counter() - started


REPORTS: list[tuple[str, dict[str, str]]] = [
    ("overview", {}), ("timeseries", {"interval": "day"}), ("timeseries", {"interval": "week"}),
    ("rollups", {"by": "attraction"}), ("rollups", {"by": "provider"}), ("rollups", {"by": "category"}),
    ("rollups", {"by": "market", "interval": "week"}), ("rollups", {"by": "size_class", "interval": "month"}),
    ("rollups", {"by": "attraction", "interval": "month"}),
    ("funnel", {}), ("funnel", {"by": "category"}), ("dwell", {}), ("dispersal", {}), ("fairness", {}),
    ("patterns", {"by": "hour"}), ("patterns", {"by": "weekday"}), ("patterns", {"by": "month"}),
    ("itineraries", {}), ("top", {"metric": "visits"}), ("rising", {"metric": "visits"}),
]
VENUE_REPORTS = [("overview", {}), ("rollups", {"by": "attraction", "interval": "week"}), ("funnel", {}),
                 ("dwell", {}), ("top", {"metric": "visits"})]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(q * len(values)))], 1) if values else float("nan")


def backfill(url: str, timezone: str) -> dict[str, Any]:
    from causeway.analytics import rollups
    from causeway.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    rollups.rebuild(factory, timezone)
    last = [time.perf_counter(), 0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            log(f"backfill {done:,}/{total:,}")

    started = time.perf_counter()
    done = rollups.refresh(factory, timezone, progress=progress)
    took = time.perf_counter() - started
    eng = create_engine(sa_url(url))
    with eng.connect() as c:
        sizes = {t: {"rows": int(c.scalar(text(f"SELECT count(*) FROM {t}"))),
                     "size": c.scalar(text(f"SELECT pg_size_pretty(pg_total_relation_size('{t}'))"))}
                 for t in [r.__tablename__ for r in rollups.TABLES]}
    eng.dispose()
    engine.dispose()
    return {"events": done, "seconds": round(took, 1), "events_per_s": round(done / took) if took else None,
            "tables": sizes}


def _get(port: int, path: str, token: str, timeout: float) -> tuple[int, float, dict[str, Any] | None, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    took = time.perf_counter() - t0
    conn.close()
    doc = json.loads(body) if resp.status == 200 else None
    return resp.status, took, doc, resp.getheader("X-Causeway-Analytics-Source") or ""


def _rss_mb(pid: int) -> dict[str, float]:
    """Peak and current resident memory of a process and its children (uvicorn may fork)."""
    out = {"peak_mb": 0.0, "rss_mb": 0.0}
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                out["peak_mb"] = max(out["peak_mb"], int(line.split()[1]) / 1024)
            if line.startswith("VmRSS:"):
                out["rss_mb"] = max(out["rss_mb"], int(line.split()[1]) / 1024)
    return {k: round(v, 1) for k, v in out.items()}


def measure_reports(url: str, token: str, source: str, args: argparse.Namespace,
                    reports: list[tuple[str, dict[str, str]]], timeout: float) -> dict[str, Any]:
    """p50/p95 of each report over the whole span and the last 30 days, from one warm server."""
    today = dt.date.today()
    year = {"from": (today - dt.timedelta(days=args.days)).isoformat(), "to": today.isoformat()}
    month = {"from": (today - dt.timedelta(days=29)).isoformat(), "to": today.isoformat()}
    env = {**os.environ, "CAUSEWAY_DATABASE_URL": url, "CAUSEWAY_ANALYTICS_SOURCE": source,
           "CAUSEWAY_RATE_LIMIT_PER_MINUTE": "100000000", "CAUSEWAY_ANALYTICS_MAX_DAYS": str(args.days + 5),
           "CAUSEWAY_REDIS_URL": "", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if source == "events":
        env["CAUSEWAY_ANALYTICS_CACHE_SECONDS"] = "0"  # each request computes (no reuse of loaded events)
    workdir = Path(tempfile.mkdtemp(prefix="causeway-bench-analytics-"))
    env["CAUSEWAY_DATA_DIR"] = str(workdir)
    from benchmarks.server import spare_port

    port = spare_port()
    proc = subprocess.Popen([sys.executable, "-m", "causeway.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=(workdir / "api.log").open("ab"),
                            stderr=subprocess.STDOUT)
    results: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the server did not start (see {workdir / 'api.log'})")
            time.sleep(0.3)
        base = "/v1/board/analytics/"
        venue = f"/v1/providers/{args.venue}/analytics/"
        plan = [(f"{r}{'?' if p else ''}{urllib.parse.urlencode(p)}", base + r, p, rng_name, rng)
                for r, p in reports for rng_name, rng in (("year", year), ("30 days", month))]
        plan += [(f"venue {r}{'?' if p else ''}{urllib.parse.urlencode(p)}", venue + r, p, "year", year)
                 for r, p in VENUE_REPORTS if (r, p) in reports or source == "rollups"]
        for name, path, params, rng_name, rng in plan:
            q = urllib.parse.urlencode({**params, **rng})
            status, warm, doc, used = _get(port, f"{path}?{q}", token, timeout)  # warm-up
            if status != 200:
                results[f"{name} [{rng_name}]"] = {"status": status, "seconds": round(warm, 2)}
                log(f"{source} {name} [{rng_name}]: HTTP {status} after {warm:.1f} s")
                continue
            times = [warm]
            for _ in range(args.repeats - 1):
                _, took, _, _ = _get(port, f"{path}?{q}", token, timeout)
                times.append(took)
            times = times[1:] if len(times) > 1 else times
            results[f"{name} [{rng_name}]"] = {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95),
                                               "first_ms": round(1000 * warm, 1), "source": used,
                                               "rows": len(doc["rows"]) if doc else None,
                                               "suppressed_cells": doc["suppressed_cells"] if doc else None}
            log(f"{source} {name} [{rng_name}]: p50 {results[f'{name} [{rng_name}]']['p50_ms']} ms, "
                f"p95 {results[f'{name} [{rng_name}]']['p95_ms']} ms")
        results["_memory"] = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results


def write_cost(url: str, timezone: str, args: argparse.Namespace) -> dict[str, Any]:
    """Insert ``--write-events`` new events (spread over the year, as late uploads and new
    ones are), then run the refresh over them as the worker does: events/s it sustains."""
    from causeway.analytics import rollups
    from causeway.db import make_engine, make_sessionmaker

    eng = create_engine(sa_url(url))
    with eng.connect() as c:
        top = int(c.scalar(text("SELECT max(id) FROM events")))
    insert_events(eng, top + 1, top + args.write_events, args, chunk=args.write_events, drop_indexes=False)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    out = {}
    for i, batch in enumerate((5_000, 50_000)):  # the worker's chunk at 5,000 events/s a second; the default
        if i:  # take the new events out again (the same SQL, opposite sign) so each run starts alike
            with factory() as s, s.begin():
                rollups.retract(s, "e.id > :t", {"t": top})
            with eng.begin() as c:
                c.execute(text("UPDATE analytics_rollup_state SET last_event_id = :t"), {"t": top})
        t0 = time.perf_counter()
        n = rollups.refresh(factory, timezone, batch=batch)
        took = time.perf_counter() - t0
        out[f"chunk_{batch}"] = {"events": n, "seconds": round(took, 2), "events_per_s": round(n / took)}
        log(f"write cost, chunks of {batch:,}: {n / took:,.0f} events/s")
    engine.dispose()
    eng.dispose()
    return out


def freshness(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The production shape: Redis, one `causeway worker`, the API; events POSTed at --pace."""
    from benchmarks import bench_events as be
    from causeway.auth.service import register_visitor
    from causeway.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        tokens = [register_visitor(s)[1] for _ in range(64)]
    engine.dispose()
    workdir = Path(tempfile.mkdtemp(prefix="causeway-bench-fresh-"))
    redis_server = be.RedisServer(workdir)
    redis_server.start()
    procs = []
    out: dict[str, Any] = {"pace": args.pace, "seconds": args.seconds}
    eng = create_engine(sa_url(url))
    try:
        env = {**os.environ, "CAUSEWAY_DATABASE_URL": url, "CAUSEWAY_REDIS_URL": redis_server.url,
               "CAUSEWAY_RATE_LIMIT_PER_MINUTE": "100000000", "CAUSEWAY_DATA_DIR": str(workdir),
               "CAUSEWAY_ANALYTICS_SOURCE": "rollups", "CAUSEWAY_ANALYTICS_CACHE_SECONDS": "30",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        procs.append(be.spawn(["-m", "causeway.analytics.worker", "--consumer", "bench", "--log-level", "warning"],
                              env, workdir / "worker.log"))
        port = be.free_port()
        procs.append(be.spawn(["-m", "causeway.cli", "serve", "--port", str(port), "--log-level", "warning"],
                              env, workdir / "api.log"))
        board = args.board_token

        def healthy() -> bool:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                return c.getresponse().status == 200
            except OSError:
                return False

        be.wait_until(healthy, 120, "API start", every=0.2)
        with eng.connect() as c:
            places = [int(r[0]) for r in c.execute(text("SELECT id FROM attractions ORDER BY id LIMIT 200"))]
        batches = be.make_batches(int(args.pace * args.seconds / 500) + 1, 500, places, seed=16)
        types: dict[str, str] = {}
        for b in batches:
            for e in json.loads(b.body)["events"]:
                types[e["event_id"]] = e["type"]
        today = dt.date.today()
        q = urllib.parse.urlencode({"from": (today - dt.timedelta(days=2)).isoformat(), "to": today.isoformat()})
        path = f"/v1/board/analytics/overview?{q}"
        status, _, doc, _ = _get(port, path, board, 300)
        before = doc["rows"][0]["impressions"] if doc else 0
        # Sample the rollups' lag (events accepted by the database, not yet aggregated) during the run.
        lags: list[int] = []
        stop_sampling = [False]

        def sample() -> None:
            while not stop_sampling[0]:
                with eng.connect() as c:
                    row = c.execute(text("SELECT (SELECT max(id) FROM events) - last_event_id "
                                         "FROM analytics_rollup_state")).first()
                lags.append(int(row[0] or 0) if row else 0)
                time.sleep(1.0)

        import threading
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stats, took = be.run_clients(port, tokens, batches, 4, args.seconds, protocol=False, rate=args.pace)
        last_post = time.perf_counter()
        stop_sampling[0] = True
        sampler.join()
        expected = before + sum(1 for i in stats.sent_ids if types[i] == "impression")
        seen = None
        overview_ms = []
        while time.perf_counter() - last_post < 300:
            status, t, doc, used = _get(port, path, board, 300)
            overview_ms.append(t)
            if doc and doc["rows"][0]["impressions"] == expected:
                seen = time.perf_counter() - last_post
                break
            time.sleep(0.25)
        out.update({"events_per_s": round(stats.accepted / took), "accepted": stats.accepted,
                    "post_p50_ms": pct(stats.latencies, 0.5), "post_p99_ms": pct(stats.latencies, 0.99),
                    "counted_in_overview_after_last_post_s": round(seen, 2) if seen is not None else None,
                    "overview_ms_while_waiting_p50": pct(overview_ms, 0.5),
                    "rollup_lag_events_max": max(lags) if lags else None,
                    "rollup_lag_events_p50": int(statistics.median(lags)) if lags else None})
    finally:
        for p in procs:
            be.stop(p)
        redis_server.kill()
        eng.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get(
        "CAUSEWAY_BENCH_ANALYTICS_URL", "postgresql://postgres@127.0.0.1:5432/causeway_bench_analytics"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--visitors", type=int, default=0, help="default: events / 50")
    ap.add_argument("--attractions", type=int, default=5000)
    ap.add_argument("--providers", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--timezone", default="Europe/London")
    ap.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    ap.add_argument("--phases", default="seed,backfill,reports,write,freshness",
                    help="comma-separated, of seed,backfill,reports,pandas,write,freshness")
    ap.add_argument("--repeats", type=int, default=10, help="requests per report (after one warm-up)")
    ap.add_argument("--venue", default="provider-10", help="the provider whose venue reports are measured")
    ap.add_argument("--pandas-repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600.0, help="give up on a request after this long")
    ap.add_argument("--write-events", type=int, default=200_000)
    ap.add_argument("--pace", type=float, default=5000.0)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the freshness run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.visitors = args.visitors or max(1, args.events // 50)
    phases = set(args.phases.split(","))
    report: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                                         f"Python {platform.python_version()}",
                              "events": args.events, "visitors": args.visitors, "attractions": args.attractions}
    os.environ["CAUSEWAY_TIMEZONE"] = args.timezone
    info = seed(args.database_url, args)
    args.board_token = info.pop("board_token")
    report["seed"] = info
    if "backfill" in phases:
        report["backfill"] = backfill(args.database_url, args.timezone)
        log(f"backfill: {report['backfill']}")
    if "reports" in phases:
        report["reports_rollups"] = measure_reports(args.database_url, args.board_token, "rollups", args,
                                                    REPORTS, args.timeout)
    if "pandas" in phases:
        pa = argparse.Namespace(**{**vars(args), "repeats": args.pandas_repeats})
        report["reports_pandas"] = measure_reports(args.database_url, args.board_token, "events", pa,
                                                   REPORTS, args.timeout)
    if "write" in phases:
        report["write"] = write_cost(args.database_url, args.timezone, args)
    if "freshness" in phases:
        report["freshness"] = freshness(args.database_url, args)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
