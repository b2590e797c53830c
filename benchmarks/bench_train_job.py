"""The training job end to end: ``causeway train`` on 1M events x 50k attractions in a database.

    make bench-train-job     # or: python -m benchmarks.bench_train_job --help

``make bench-recommender`` times the library fit on frames built in memory; this times what
production runs: :func:`causeway.recommendations.train.train` reading the published
catalogue, the interaction events and the visitors' profiles from the database, fitting
with the job's defaults and saving the versioned artifact. The data is synthetic and
seeded: the 50k-attraction catalogue of ``bench_recommendations_api``, visitors with 1-2
stated interests, a stay length and a travel mode, and events (visit / save / detail view /
media play) drawn with Zipf-like popularity, 70 % of them among attractions of the
visitor's interests. The events are real rows (not ``simulated``), so the job does not top
them up. Loading the database is setup and is not timed.

Prints the job's wall time and CPU time, and the reading steps alone (each timed once more
on its own) so the database's share is visible. Default: a SQLite file in a temporary
directory; ``--database-url postgresql://...`` for PostgreSQL (its tables are created in
that database; use a scratch one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from benchmarks.bench_recommendations_api import build_catalogue

TYPES = ("visit", "save", "detail_view", "media_play")
TYPE_P = (0.25, 0.15, 0.5, 0.1)


def load_history(url: str, n_items: int, n_visitors: int, n_events: int, seed: int) -> None:
    """Visitors with profiles and ``n_events`` interaction events over the catalogue."""
    from sqlalchemy import insert, select

    from causeway.analytics.models import Event
    from causeway.auth.models import Visitor
    from causeway.content.models import AttractionCategory
    from causeway.content.taxonomy import CATEGORIES
    from causeway.db import make_engine

    rng = np.random.default_rng(seed + 7)
    cats = list(CATEGORIES)
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        first = dict(conn.execute(select(AttractionCategory.attraction_id, AttractionCategory.category)
                                  .where(AttractionCategory.position == 0)).all())
        item_ids = np.arange(1, n_items + 1)
        item_cat = np.array([cats.index(first[int(i)]) for i in item_ids])
        interests = rng.integers(0, len(cats), size=(n_visitors, 2))
        two = rng.random(n_visitors) < 0.5
        visitors = [{"id": v + 1, "created_at": now, "profile": {
            "interests": [cats[interests[v, 0]]] + ([cats[interests[v, 1]]] if two[v] else []),
            "stay": {"start": "2026-07-01",
                     "end": (dt.date(2026, 7, 1) + dt.timedelta(days=int(rng.integers(0, 8)))).isoformat()},
            "travel_mode": str(rng.choice(["walking", "public_transport", "driving"]))}}
            for v in range(n_visitors)]
        for chunk in range(0, n_visitors, 10_000):
            conn.execute(insert(Visitor), visitors[chunk:chunk + 10_000])

        pop = 1.0 / np.arange(1, n_items + 1) ** 0.8
        rng.shuffle(pop)
        who = rng.integers(0, n_visitors, n_events)
        item = rng.choice(n_items, size=n_events, p=pop / pop.sum())
        own = rng.random(n_events) < 0.7
        for c in range(len(cats)):
            cand = np.flatnonzero(item_cat == c)
            sel = own & (interests[who, 0] == c)
            if cand.size and sel.any():
                item[sel] = rng.choice(cand, size=int(sel.sum()), p=pop[cand] / pop[cand].sum())
        kind = rng.choice(len(TYPES), size=n_events, p=TYPE_P)
        age = rng.uniform(0, 180 * 86400, n_events)
        for chunk in range(0, n_events, 20_000):
            rows = []
            for e in range(chunk, min(chunk + 20_000, n_events)):
                at = now - dt.timedelta(seconds=float(age[e]))
                rows.append({"event_id": str(uuid.UUID(int=int(rng.integers(1 << 62)) << 64 | e)),
                             "type": TYPES[kind[e]], "visitor_id": int(who[e]) + 1,
                             "attraction_id": int(item_ids[item[e]]), "occurred_at": at,
                             "received_at": at, "stored_at": at, "simulated": False, "context": {}})
            conn.execute(insert(Event), rows)
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attractions", type=int, default=50_000)
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cw-train-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        from causeway.db import make_engine, make_sessionmaker
        from causeway.recommendations import data
        from causeway.recommendations.train import train

        t0 = time.perf_counter()
        build_catalogue(url, args.attractions, args.seed)
        load_history(url, args.attractions, args.visitors, args.events, args.seed)
        setup = time.perf_counter() - t0
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        reads: dict[str, float] = {}
        with factory() as s:
            for name, read in (("catalogue", lambda: data.catalogue_frame(s)),
                               ("events", lambda: data.events_frame(s))):
                t = time.perf_counter()
                frame = read()
                reads[name] = round(time.perf_counter() - t, 2)
                if name == "events":
                    visitor_ids = sorted(frame["visitor_id"].unique().tolist())
            t = time.perf_counter()
            data.visitors_frame(s, visitor_ids)
            reads["visitors"] = round(time.perf_counter() - t, 2)
        load_before = os.getloadavg()[0]
        with factory() as s:
            t0, c0 = time.perf_counter(), time.process_time()
            result = train(s, Path(tmp) / "models", threads=os.cpu_count() or 1, publish=False)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        engine.dispose()
        meta = json.loads((result.path / "meta.json").read_text())
        report = {
            "database": url.split(":")[0], "attractions": args.attractions,
            "visitors": args.visitors, "events": meta["metadata"]["n_events"],
            "real_events": meta["metadata"]["n_real_events"], "setup_s": round(setup, 1),
            "params": {k: meta["params"][k] for k in ("no_components", "epochs", "max_sampled",
                                                       "num_threads")},
            "job_wall_s": round(wall, 1), "job_cpu_s": round(cpu, 1),
            "lightfm_fit_s": meta["metadata"]["train_seconds"], "reads_s": reads,
            "load_average_1min_before": round(load_before, 2),
        }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        p = report["params"]
        print(f"{report['database']}: {report['attractions']} attractions, {report['visitors']} "
              f"visitors, {report['events']} events ({report['real_events']} real); setup "
              f"{report['setup_s']} s (not timed)")
        print(f"causeway train (k={p['no_components']}, {p['epochs']} epochs, max_sampled "
              f"{p['max_sampled']}, {p['num_threads']} threads): {report['job_wall_s']} s wall, "
              f"{report['job_cpu_s']} s CPU; LightFM fit {report['lightfm_fit_s']} s; reads alone: "
              + ", ".join(f"{k} {v} s" for k, v in reads.items())
              + f" (load average {report['load_average_1min_before']} before)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
