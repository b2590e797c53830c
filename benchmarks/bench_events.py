"""Event ingestion: HTTP and stream rates, end-to-end lag, and nothing lost across a Redis restart.

Run: ``python -m benchmarks.bench_events`` (``make bench-events``). Production shape on one
machine: PostgreSQL (a scratch database on the server at ``--postgres``, dropped at the
end), a Redis started by this harness on a free port with the same flags as ``.ci/run``
(no persistence: a restart loses the stream), ``causeway serve --workers N`` (uvicorn) and
``causeway worker`` processes. The load generator runs in this process: it takes CPU from
the same cores, so rates are for the whole box.

1. stream: ``RedisEventStream.publish`` of pre-encoded 500-event batches (no API, no
   worker); then one worker drains them: the worker's write rate.
2. http: C client threads POST 500-event batches for D seconds, as fast as answered; the
   rate of accepted events, POST latency, and the lag from the API receiving an event to
   its row being committed (``stored_at - received_at`` of every row), how long after the
   last POST the last row was stored, and when the board's overview (part 2's pandas
   aggregates, cache off) counted them all. Then the same at a fixed ``--pace`` (5,000
   events/s): the lag when the writers keep up.
3. restart: the same load while Redis is killed (SIGKILL) and restarted mid-run. The
   clients follow the app's protocol: re-send a batch on 503 or a broken connection; keep
   each accepted batch until a receipt shows it written (``entry <= stored_through`` in
   the same epoch); re-send the batches held when the epoch changes (the stream lost its
   memory). Then: unique events sent vs rows counted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from causeway.analytics.intake import EventIn, encode
from causeway.analytics.redis_stream import RedisEventStream
from causeway.analytics.stream import Receipt, parse_id

TYPES = ("impression", "impression", "impression", "detail_view", "media_play", "save", "visit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check, timeout: float, what: str, every: float = 0.05) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(every)
    return time.perf_counter() - start


class RedisServer:
    """A redis-server of our own, flags as in .ci/run (no RDB, no AOF)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(up, 10, "redis-server start")
        client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # a crash: no shutdown, no save
            self.proc.wait()
            self.proc = None


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"causeway_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, n_visitors: int, n_attractions: int) -> tuple[list[str], list[int], str]:
    """Migrate; add attractions and visitors; return visitor tokens, attraction ids, a board token."""
    from causeway.auth.models import Role
    from causeway.auth.service import issue, register_visitor
    from causeway.content.models import Attraction, Provider
    from causeway.db import make_engine, make_sessionmaker, transaction
    from causeway.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as s:
        provider = Provider(slug="bench", name="Bench", size_class="small")
        s.add(provider)
        s.flush()
        places = [Attraction(provider_id=provider.id, external_id=f"a{i}", source="bench", name={"en": f"P{i}"},
                             sort_name=f"p{i}", lat=54.6, lon=-5.9, content_hash="h", status="published")
                  for i in range(n_attractions)]
        s.add_all(places)
        s.flush()
        tokens = [register_visitor(s)[1] for _ in range(n_visitors)]
        board = issue(s, role=Role.board, label="bench")
        ids = [a.id for a in places]
    engine.dispose()
    return tokens, ids, board


def make_event(rng: random.Random, places: list[int], now: datetime) -> dict[str, Any]:
    kind = rng.choice(TYPES)
    doc: dict[str, Any] = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": kind,
                           "occurred_at": (now - timedelta(seconds=rng.uniform(0, 86_400))).isoformat(),
                           "attraction_id": rng.choice(places)}
    if kind == "impression":
        doc.update(position=rng.randint(1, 20), recommendation_id=f"r{rng.getrandbits(32):x}")
    elif kind == "media_play":
        doc["dwell_seconds"] = round(rng.uniform(1, 600), 1)
    return doc


@dataclass
class Batch:
    ids: list[str]
    body: bytes


def make_batches(n: int, size: int, places: list[int], seed: int) -> list[Batch]:
    rng, now = random.Random(seed), datetime.now(UTC)
    out = []
    for _ in range(n):
        events = [make_event(rng, places, now) for _ in range(size)]
        out.append(Batch([e["event_id"] for e in events], json.dumps({"events": events}).encode()))
    return out


class Counter:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

    def __call__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())

    def lag(self, since: datetime) -> dict[str, float]:
        sql = text("""SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY lag), max(lag), count(*)
                      FROM (SELECT extract(epoch FROM stored_at - received_at) * 1000 AS lag
                            FROM events WHERE received_at >= :since) t""")
        with self.engine.connect() as conn:
            (p50, p99), worst, n = conn.execute(sql, {"since": since}).one()
        return {"lag_p50_ms": round(float(p50), 1), "lag_p99_ms": round(float(p99), 1),
                "lag_max_ms": round(float(worst), 1), "rows": int(n)}

    def impressions(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events WHERE type = 'impression'")).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


def aggregate_lag(port: int, board: str, impressions: int, since: float) -> tuple[float | None, float | None]:
    """Seconds from ``since`` until the board's overview counts ``impressions`` (part 2's
    pandas aggregates over the whole table), and how long the last overview request took."""
    headers = {"Authorization": f"Bearer {board}"}
    took = None
    for _ in range(120):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start = time.perf_counter()
        conn.request("GET", "/v1/board/analytics/overview", headers=headers)
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        conn.close()
        took = round(time.perf_counter() - start, 2)
        if resp.status != 200:
            return None, took
        if doc["rows"] and doc["rows"][0].get("impressions") == impressions:
            return round(time.perf_counter() - since, 2), took
        time.sleep(0.2)
    return None, took


# -- HTTP client ---------------------------------------------------------------------------
@dataclass
class ClientStats:
    posts: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    retries: int = 0  # 503s and broken connections, re-sent as they were
    resent_batches: int = 0  # batches re-sent because the epoch changed
    latencies: list[float] = field(default_factory=list)
    sent_ids: set[str] = field(default_factory=set)


class Client:
    """One app: a keep-alive connection, a token, and the outbox protocol."""

    def __init__(self, port: int, tokens: list[str], stats: ClientStats) -> None:
        self.port, self.stats, self.tokens = port, stats, tokens
        self.headers = {"Authorization": f"Bearer {tokens[0]}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.held: list[tuple[Batch, str, str]] = []  # (batch, epoch, entry) until written

    def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        """Until a 200: a 503 or a broken connection means re-send the same request."""
        while True:
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                start = time.perf_counter()
                self.conn.request(method, path, body=body, headers=self.headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.status == 200:
                    if body is not None:
                        self.stats.latencies.append(time.perf_counter() - start)
                    return json.loads(data)
                if resp.status not in (502, 503, 504):
                    raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
            self.stats.retries += 1
            time.sleep(0.1)

    def send(self, batch: Batch) -> Receipt:
        # Each batch from another visitor of this client's share (so aggregates pass k-anonymity).
        self.headers["Authorization"] = f"Bearer {self.tokens[self.stats.posts % len(self.tokens)]}"
        body = self._request("POST", "/v1/events", batch.body)
        self.stats.posts += 1
        for key in ("accepted", "duplicate", "rejected"):
            setattr(self.stats, key, getattr(self.stats, key) + body[key])
        self.stats.sent_ids.update(batch.ids)
        r = body["receipt"]
        if not r["stored"]:
            self.held.append((batch, r["epoch"], r["entry"]))
        return Receipt(r["epoch"], r["stored_through"])

    def settle(self, receipt: Receipt) -> None:
        """Drop held batches the receipt covers; re-send those from a lost epoch."""
        keep, lost = [], []
        for batch, epoch, entry in self.held:
            if epoch != receipt.epoch:
                lost.append(batch)
            elif parse_id(entry) > parse_id(receipt.stored_through):
                keep.append((batch, epoch, entry))
        self.held = keep
        for batch in lost:
            self.stats.resent_batches += 1
            self.settle(self.send(batch))

    def poll(self) -> None:
        r = self._request("GET", "/v1/events/receipt")
        self.settle(Receipt(r["epoch"], r["stored_through"]))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def run_clients(port: int, tokens: list[str], batches: list[Batch], concurrency: int, seconds: float,
                protocol: bool, rate: float | None = None) -> tuple[ClientStats, float]:
    """``concurrency`` threads POST batches until ``seconds`` pass or the batches run out (at
    ``rate`` events/s in all, or as fast as answered); with ``protocol``, each then polls
    receipts until every batch it sent is written."""
    lock = threading.Lock()
    todo = iter(batches)
    stats = [ClientStats() for _ in range(concurrency)]
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        client = Client(port, tokens[i::concurrency] or tokens, stats[i])
        due = time.perf_counter() + (i / concurrency) * (len(batches[0].ids) * concurrency / rate if rate else 0)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    batch = next(todo, None)
                if batch is None:
                    break
                if rate:  # each thread sends its share of ``rate``
                    time.sleep(max(0.0, due - time.perf_counter()))
                    due += len(batch.ids) * concurrency / rate
                receipt = client.send(batch)
                if protocol:
                    client.settle(receipt)
            while protocol and client.held:
                time.sleep(0.2)
                client.poll()
        finally:
            client.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = ClientStats()
    for s in stats:
        for key in ("posts", "accepted", "duplicate", "rejected", "retries", "resent_batches"):
            setattr(total, key, getattr(total, key) + getattr(s, key))
        total.latencies += s.latencies
        total.sent_ids |= s.sent_ids
    return total, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


# -- processes -------------------------------------------------------------------------------
def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default=os.environ.get("CAUSEWAY_BENCH_POSTGRES_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/postgres"),
                    help="a PostgreSQL server and database to create the scratch database from")
    ap.add_argument("--batch", type=int, default=500, help="events per POST")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads (one connection each)")
    ap.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--event-workers", type=int, default=1, help="`causeway worker` processes")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the HTTP and restart runs")
    ap.add_argument("--pace", type=float, default=5000.0,
                    help="events/s of the paced HTTP run (lag at a rate the pipeline keeps up with)")
    ap.add_argument("--stream-events", type=int, default=200_000, help="events published in the stream run")
    ap.add_argument("--restart-at", type=float, default=6.0, help="seconds into the restart run Redis is killed")
    ap.add_argument("--down-for", type=float, default=1.0, help="seconds Redis stays down")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="causeway-bench-events-"))
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    report: dict[str, Any] = {"machine": machine,
                              "batch": args.batch, "concurrency": args.concurrency,
                              "api_workers": args.api_workers, "event_workers": args.event_workers}
    redis_server = RedisServer(workdir)
    redis_server.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with scratch_database(args.postgres) as db_url:
            tokens, places, board = seed(db_url, 64, 200)
            env = {**os.environ, "CAUSEWAY_DATABASE_URL": db_url, "CAUSEWAY_REDIS_URL": redis_server.url,
                   "CAUSEWAY_RATE_LIMIT_PER_MINUTE": "100000000", "CAUSEWAY_DATA_DIR": str(workdir),
                   "CAUSEWAY_EVENT_CLAIM_IDLE_MS": "5000", "CAUSEWAY_ANALYTICS_CACHE_SECONDS": "0",
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
            counter = Counter(db_url)

            # 1. Into the stream, then out of it.
            n = args.stream_events // args.batch
            stream = RedisEventStream(redis_server.url)
            now = datetime.now(UTC)
            rng = random.Random(1)
            encoded = [[(e["event_id"], encode(EventIn.model_validate(e), visitor_id=None, market=None,
                                               received_at=now))
                        for e in (make_event(rng, places, now) for _ in range(args.batch))] for _ in range(n)]
            start = time.perf_counter()
            for batch in encoded:
                stream.publish(batch)
            took = time.perf_counter() - start
            report["stream_publish_events_per_s"] = round(n * args.batch / took)
            report["stream_publish_batch_ms"] = round(1000 * took / n, 2)
            workers = [spawn(["-m", "causeway.analytics.worker", "--consumer", f"bench-{i}", "--log-level", "warning"],
                             env, workdir / "worker.log") for i in range(args.event_workers)]
            procs += workers
            wait_until(lambda: counter() > 0, 120, "worker start", every=0.02)  # not its start-up time
            first = counter()
            took = wait_until(lambda: counter() >= n * args.batch, 600, "worker drain", every=0.05)
            report["worker_write_events_per_s"] = round((n * args.batch - first) / took)
            stream.close()
            del encoded

            # 2. Through HTTP.
            port = free_port()
            api = spawn(["-m", "causeway.cli", "serve", "--port", str(port), "--workers", str(args.api_workers),
                         "--log-level", "warning"], env, workdir / "api.log")
            procs.append(api)

            def healthy() -> bool:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    c.request("GET", "/healthz")
                    ok = c.getresponse().status == 200
                    c.close()
                    return ok
                except OSError:
                    return False

            wait_until(healthy, 120, "API start", every=0.2)
            per_s_guess = 20_000  # enough pre-generated events for the run (they are not reused)
            batches = make_batches(int(per_s_guess * args.seconds / args.batch) + 1, args.batch, places, seed=2)
            before, since = counter(), datetime.now(UTC)
            stats, took = run_clients(port, tokens, batches, args.concurrency, args.seconds, protocol=False)
            last_post = time.perf_counter()
            wait_until(lambda: counter() >= before + stats.accepted, 600, "HTTP events stored", every=0.02)
            stored_s = time.perf_counter() - last_post
            impressions = counter.impressions()
            aggregate_s, overview_s = aggregate_lag(port, board, impressions, last_post)
            report["http"] = {
                "events_per_s": round(stats.accepted / took), "posts": stats.posts, "accepted": stats.accepted,
                "seconds": round(took, 1), "ran_out_of_batches": stats.posts == len(batches),
                "post_p50_ms": round(pct(stats.latencies, 0.5), 1), "post_p99_ms": round(pct(stats.latencies, 0.99), 1),
                "stored_after_last_post_s": round(stored_s, 2), "aggregate_after_last_post_s": aggregate_s,
                "overview_request_s": overview_s, "events_in_database": counter(), **counter.lag(since)}

            # 2b. Through HTTP at a fixed rate: the lag when the pipeline keeps up.
            batches = make_batches(int(args.pace * args.seconds / args.batch) + 1, args.batch, places, seed=4)
            before, since = counter(), datetime.now(UTC)
            stats, took = run_clients(port, tokens, batches, args.concurrency, args.seconds, protocol=False,
                                      rate=args.pace)
            last_post = time.perf_counter()
            wait_until(lambda: counter() >= before + stats.accepted, 600, "paced events stored", every=0.02)
            report["paced"] = {"target_events_per_s": args.pace, "events_per_s": round(stats.accepted / took),
                               "post_p50_ms": round(pct(stats.latencies, 0.5), 1),
                               "post_p99_ms": round(pct(stats.latencies, 0.99), 1),
                               "stored_after_last_post_s": round(time.perf_counter() - last_post, 2),
                               **counter.lag(since)}

            # 3. Redis killed and restarted in the middle.
            batches = make_batches(int(8_000 * args.seconds / args.batch) + 1, args.batch, places, seed=3)
            before = counter()
            events: dict[str, float] = {}

            def chaos() -> None:
                time.sleep(args.restart_at)
                redis_server.kill()
                events["killed"] = time.perf_counter()
                time.sleep(args.down_for)
                redis_server.start()
                events["restarted"] = time.perf_counter()

            saboteur = threading.Thread(target=chaos)
            saboteur.start()
            stats, took = run_clients(port, tokens, batches, args.concurrency, args.seconds, protocol=True)
            saboteur.join()
            try:
                wait_until(lambda: counter() >= before + len(stats.sent_ids), 120, "restart run stored", every=0.1)
            except TimeoutError:
                pass  # reported as lost below
            time.sleep(2)  # anything extra would show up now
            counted = counter() - before
            report["restart"] = {
                "events_sent": len(stats.sent_ids), "events_counted": counted,
                "lost": len(stats.sent_ids) - counted, "posts": stats.posts,
                "retried_requests": stats.retries, "batches_resent_after_epoch_change": stats.resent_batches,
                "answers_accepted": stats.accepted, "answers_duplicate": stats.duplicate,
                "answers_rejected": stats.rejected, "seconds": round(took, 1),
                "redis_down_s": round(events["restarted"] - events["killed"], 2)}
            counter.close()
            for p in procs:
                stop(p)
    finally:
        for p in procs:
            stop(p)
        redis_server.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps(report, indent=2, default=float))
    else:
        print(f"machine: {report['machine']}; batches of {args.batch} events; {args.concurrency} client threads; "
              f"{args.api_workers} API workers; {args.event_workers} event worker(s)")
        print(f"stream: {report['stream_publish_events_per_s']:,} events/s published "
              f"({report['stream_publish_batch_ms']} ms per batch); "
              f"{args.event_workers} worker(s) write {report['worker_write_events_per_s']:,} events/s to PostgreSQL")
        h = report["http"]
        print(f"http:   {h['events_per_s']:,} events/s accepted over {h['seconds']} s ({h['posts']} POSTs, "
              f"p50 {h['post_p50_ms']} ms, p99 {h['post_p99_ms']} ms); lag received -> stored p50 "
              f"{h['lag_p50_ms']} ms, p99 {h['lag_p99_ms']} ms, max {h['lag_max_ms']} ms; last row stored "
              f"{h['stored_after_last_post_s']} s after the last POST; the board's overview counted it "
              f"{h['aggregate_after_last_post_s']} s after (one overview over {h['events_in_database']:,} "
              f"events: {h['overview_request_s']} s)")
        p = report["paced"]
        print(f"paced:  {p['events_per_s']:,} events/s (target {p['target_events_per_s']:,.0f}): POST p50 "
              f"{p['post_p50_ms']} ms, p99 {p['post_p99_ms']} ms; lag received -> stored p50 {p['lag_p50_ms']} ms, "
              f"p99 {p['lag_p99_ms']} ms, max {p['lag_max_ms']} ms")
        r = report["restart"]
        print(f"restart: Redis down {r['redis_down_s']} s; sent {r['events_sent']:,} events, counted "
              f"{r['events_counted']:,} (lost {r['lost']}); {r['retried_requests']} requests retried, "
              f"{r['batches_resent_after_epoch_change']} batches re-sent after the epoch changed")
    return 0 if report["restart"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
