"""Itinerary API: latency of ``POST /v1/itineraries`` and plan quality against a longer search.

Run: ``python -m benchmarks.bench_itinerary [--repeats 40] [--synthetic 2000] [--json]``.

Two catalogues, each in a fresh SQLite file (migrated, as ``make run`` does):

- **demo**: the Northern Ireland open-data demo (``causeway demo load``, 270 published);
- **synthetic**: ``--synthetic`` attractions (seeded) scattered over Belfast, within about
  6 km of City Hall, with realistic opening hours (daily, closed Mondays, weekdays only,
  sunrise-sunset, ...), 30-120 minute visits, one or two categories, and Zipf-like visit
  events so that the popularity prior differs per attraction.

The request is the issue's example: three days (Tue-Thu), 10:00-18:00, from a hotel on
Donegall Square, on foot and by public transport, interests history and food, lunch
12:00-14:00. It goes through the whole app in-process (FastAPI TestClient: validation,
auth, database reads, scoring, planning, storing, rendering; no network). There is no
trained recommender in the fresh data directory, so scores are the fallback's.

Latency: median and p99 over ``--repeats`` requests at the default time limit (after one
warm-up request, whose time is printed separately as "first"), and of as many re-plans of
the last itinerary ("done with the first stop, running 40 minutes late"). Quality: the plan's score
at the default limit (median over the repeats) against one request at each of
``--limits`` seconds of search; for the synthetic catalogue also against a plan over every
reachable candidate (no ``itinerary_max_candidates`` cap) at the longest limit, to show
what the cap costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from causeway import demo
from causeway.analytics.models import Event
from causeway.api.app import create_app
from causeway.content import providers
from causeway.content.models import Attraction, AttractionCategory
from causeway.content.taxonomy import CATEGORIES
from causeway.db import make_engine, make_sessionmaker, transaction
from causeway.itineraries.models import Itinerary
from causeway.migrate import upgrade
from causeway.settings import Settings

HOTEL = {"lat": 54.5973, "lon": -5.9301, "label": "Hotel, Donegall Square"}
DAYS = ["2026-07-14", "2026-07-15", "2026-07-16"]
HOURS = ["Mo-Su 09:00-17:00", "Mo-Su 10:00-18:00", "Tu-Su 10:00-17:00", "Mo-Fr 09:00-17:00",
         "Mo-Sa 10:00-17:00; Su 12:00-17:00", "We-Su 11:00-16:00", "sunrise-sunset",
         "Mo-Su 10:00-13:00,14:00-17:00", "Th-Su 10:00-16:00"]


def request_body(time_limit: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "days": [{"date": d} for d in DAYS], "travel_modes": ["walking", "public_transport"],
        "interests": ["history", "food"], "lunch": {"earliest": "12:00", "latest": "14:00", "minutes": 60}}
    if time_limit is not None:
        body["time_limit"] = time_limit
    return body


def fresh_database(root: Path, name: str) -> str:
    url = f"sqlite:///{root / f'{name}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def load_synthetic(url: str, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    cats = list(CATEGORIES)
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with transaction(make_sessionmaker(engine)) as s:
        p = providers.create(s, slug="synthetic", name="Synthetic Belfast", size_class="small")
        radius = 6.0 * np.sqrt(rng.random(n))  # km, uniform over the disc
        angle = rng.random(n) * 2 * np.pi
        atts = []
        for k in range(n):
            lat = HOTEL["lat"] + radius[k] * np.cos(angle[k]) / 111.2
            lon = HOTEL["lon"] + radius[k] * np.sin(angle[k]) / (111.2 * np.cos(np.radians(HOTEL["lat"])))
            name = f"Synthetic place {k}"
            a = Attraction(provider_id=p.id, external_id=str(k), source="synthetic", name={"en": name},
                           sort_name=name.lower(), lat=float(lat), lon=float(lon),
                           opening_hours=HOURS[int(rng.integers(len(HOURS)))],
                           visit_minutes=int(rng.choice([30, 45, 60, 90, 120])), status="published",
                           content_hash=hashlib.sha256(name.encode()).hexdigest())
            picked = rng.choice(len(cats), size=int(rng.integers(1, 3)), replace=False)
            a.category_rows = [AttractionCategory(category=cats[j], position=i) for i, j in enumerate(picked)]
            atts.append(a)
        s.add_all(atts)
        s.flush()
        visits = np.floor(200 / np.arange(1, n + 1) ** 0.9).astype(int)
        rng.shuffle(visits)
        s.add_all(Event(event_id=str(uuid.uuid4()), type="visit", attraction_id=a.id, occurred_at=now,
                        received_at=now, simulated=True)
                  for a, v in zip(atts, visits) for _ in range(v))
    engine.dispose()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def run_catalogue(label: str, url: str, data_dir: Path, repeats: int, limits: list[float],
                  uncapped: bool) -> dict[str, Any]:
    long_limit = max(limits)
    settings = Settings(database_url=url, data_dir=data_dir, rate_limit_per_minute=1_000_000,
                        itinerary_max_time_limit=max(long_limit, 5.0))
    out: dict[str, Any] = {"catalogue": label, "time_limit": settings.itinerary_time_limit,
                           "max_candidates": settings.itinerary_max_candidates}
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {client.post('/v1/visitors').json()['token']}"}
        client.put("/v1/visitors/me/profile", headers=headers, json={"base": HOTEL})
        t = time.perf_counter()
        first = client.post("/v1/itineraries", headers=headers, json=request_body())
        out["first_ms"] = (time.perf_counter() - t) * 1000
        assert first.status_code == 201, first.text
        latencies, scores, stops = [], [], []
        for _ in range(repeats):
            t = time.perf_counter()
            r = client.post("/v1/itineraries", headers=headers, json=request_body())
            latencies.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 201, r.text
            doc = r.json()
            scores.append(doc["score"])
            stops.append(sum(s["kind"] == "visit" for d in doc["days"] for s in d["stops"]))
        # Re-plan the last one in the street: done with the first stop, running 40 minutes late.
        first_stop = next(x for x in doc["days"][0]["stops"] if x["kind"] == "visit")
        replans = []
        for _ in range(repeats):
            t = time.perf_counter()
            r = client.post(f"/v1/itineraries/{doc['id']}/replan", headers=headers, json={
                "now": first_stop["end"], "edits": {"late_minutes": 40}})
            replans.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        out |= {"replan_median_ms": statistics.median(replans), "replan_p99_ms": percentile(replans, 99)}
        with client.app.state.sessionmaker() as s:
            out["published"] = s.scalar(select(func.count()).select_from(Attraction).where(
                Attraction.status == "published"))
            last = s.scalar(select(Itinerary).order_by(Itinerary.id.desc()).limit(1))
            out["candidates"] = len(last.candidates)
            out["left_out"] = len(last.parameters["left_out"])
        at_limit = {}
        for limit in limits:
            r = client.post("/v1/itineraries", headers=headers, json=request_body(limit))
            assert r.status_code == 201, r.text
            at_limit[str(limit)] = r.json()["score"]
        out |= {"repeats": repeats, "median_ms": statistics.median(latencies),
                "p99_ms": percentile(latencies, 99), "min_ms": min(latencies),
                "score_median": statistics.median(scores), "score_min": min(scores),
                "score_max": max(scores), "visits_median": statistics.median(stops),
                "long_limit": long_limit, "score_at": at_limit}
    if uncapped:
        big = Settings(database_url=url, data_dir=data_dir, rate_limit_per_minute=1_000_000,
                       itinerary_max_candidates=1_000_000, itinerary_max_time_limit=max(long_limit, 5.0))
        with TestClient(create_app(big)) as client:
            headers = {"Authorization": f"Bearer {client.post('/v1/visitors').json()['token']}"}
            client.put("/v1/visitors/me/profile", headers=headers, json={"base": HOTEL})
            t = time.perf_counter()
            r = client.post("/v1/itineraries", headers=headers, json=request_body(long_limit))
            assert r.status_code == 201, r.text
            out |= {"uncapped_score": r.json()["score"],
                    "uncapped_ms": (time.perf_counter() - t) * 1000}
            with client.app.state.sessionmaker() as s:
                last = s.scalar(select(Itinerary).order_by(Itinerary.id.desc()).limit(1))
                out["uncapped_candidates"] = len(last.candidates)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--synthetic", type=int, default=2000, help="size of the synthetic catalogue")
    parser.add_argument("--limits", default="0.5,1,5",
                        help="comma-separated seconds of search for the quality comparison")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limits = [float(x) for x in args.limits.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="causeway-bench-itinerary-") as tmp:
        root = Path(tmp)
        url = fresh_database(root, "demo")
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as s:
            demo.load(s)
        engine.dispose()
        results.append(run_catalogue("demo", url, root / "demo-data", args.repeats, limits, False))
        url = fresh_database(root, "synthetic")
        load_synthetic(url, args.synthetic)
        results.append(run_catalogue(f"synthetic {args.synthetic}", url, root / "synthetic-data",
                                     args.repeats, limits, True))
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
        return
    print(f"POST /v1/itineraries, 3 days, walking + public transport, in-process; {meta}")
    heads = " | ".join(f"score at {x} s" for x in limits)
    print(f"| catalogue | published | planner candidates | left out (far/closed, kept) | time limit | first "
          f"| median | p99 | replan median | replan p99 | visits | score (min-max) | {heads} |")
    print("|---" * (12 + len(limits)) + "|")
    for r in results:
        at = " | ".join(f"{r['score_at'][str(x)]:.3f}" for x in limits)
        print(f"| {r['catalogue']} | {r['published']} | {r['candidates']} | {r['left_out']} | {r['time_limit']} s "
              f"| {r['first_ms']:.0f} ms | {r['median_ms']:.0f} ms | {r['p99_ms']:.0f} ms "
              f"| {r['replan_median_ms']:.0f} ms "
              f"| {r['replan_p99_ms']:.0f} ms | {r['visits_median']:.0f} "
              f"| {r['score_median']:.3f} ({r['score_min']:.3f}-{r['score_max']:.3f}) | {at} |")
    for r in results:
        if "uncapped_score" in r:
            print(f"{r['catalogue']}: without the candidate cap ({r['uncapped_candidates']} candidates, "
                  f"{r['long_limit']} s): score {r['uncapped_score']:.3f} in {r['uncapped_ms']:.0f} ms; "
                  f"capped at {r['long_limit']} s: {r['score_at'][str(r['long_limit'])]:.3f}")


if __name__ == "__main__":
    main()
