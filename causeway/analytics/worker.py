"""`causeway worker`: consume the event stream into the database; enforce retention.

Run as many as you like, on as many machines: they share the Redis consumer group, and an
entry a dead worker left pending is claimed by another after ``event_claim_idle_ms``.
SIGTERM (or Ctrl-C) stops it gracefully: the batch in hand is written and acknowledged
first; nothing is lost either way, since unacknowledged entries stay pending.

Between batches it brings the analytics rollups up to date (every
``analytics_rollup_interval_seconds``, a few chunks at a time, so a large backlog, e.g.
after an upgrade, is worked off without holding back new events).

Without ``CAUSEWAY_REDIS_URL`` (the embedded default) the API process writes its own
events (and aggregates them), and the worker only enforces the retention periods.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading

from causeway.analytics import rollups
from causeway.analytics.consumer import TRANSIENT, Tally, Writer, WriterConfig, log
from causeway.analytics.stream import make_stream
from causeway.db import make_engine, make_sessionmaker
from causeway.observability import configure_logging, serve_metrics
from causeway.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--consumer", default=f"{socket.gethostname()}-{os.getpid()}",
                        help="this worker's name in the consumer group (default: host-pid)")
    parser.add_argument("--once", action="store_true",
                        help="write what is queued now, enforce retention once, and exit")
    parser.add_argument("--block-ms", type=int, default=1000,
                        help="how long one read waits for new entries (and so how fast SIGTERM is seen)")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--metrics-port", type=int, default=0,
                        help="serve Prometheus metrics (events stored, stream backlog) on this port (0: off)")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_format, args.log_level)
    engine = make_engine(settings.effective_database_url)
    stream = make_stream(settings)
    if args.metrics_port:
        serve_metrics(args.metrics_port, stream)
    factory = make_sessionmaker(engine)
    refresher = rollups.Refresher(factory, settings.timezone, settings.analytics_rollup_interval_seconds)
    writer = Writer(stream, factory, args.consumer, WriterConfig.from_settings(settings), refresher=refresher)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the batch in hand, then stopping", signum)
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    total = Tally()
    try:
        if stream.inline:
            log.info("no CAUSEWAY_REDIS_URL: the API writes its own events; enforcing retention only")
            while not stop.is_set():
                writer.maybe_enforce_retention()
                refresher(force=args.once)  # the API writes events; someone must aggregate them
                if args.once:
                    break
                stop.wait(min(60.0, settings.event_retention_interval_seconds))
            return 0
        log.info("consumer %s of group %s on stream %s", args.consumer, settings.event_consumer_group,
                 settings.event_stream)
        backoff = 0.0
        while not stop.is_set():
            try:
                tally = writer.step(0 if args.once else args.block_ms)
                writer.maybe_enforce_retention()
                refresher(force=args.once and tally.entries == 0)
            except TRANSIENT as exc:
                backoff = min(max(backoff * 2, 0.25), 10.0)
                log.warning("unavailable (%s); retrying in %.2f s", str(exc).splitlines()[0][:200], backoff)
                stop.wait(backoff)
                continue
            backoff = 0.0
            total.add(tally)
            if args.once and tally.entries == 0:
                writer.enforce_retention()
                break
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        log.info("stopped: %d entries, %d events stored, %d duplicates, %d dead-lettered",
                 total.entries, total.stored, total.duplicates, total.dead)
        stream.close()
        engine.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    parser = argparse.ArgumentParser(prog="causeway worker", description=__doc__.splitlines()[0])
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
