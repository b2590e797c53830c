"""Serving latency of personal recommendations over a 50k-attraction catalogue.

    make bench-recommendations        # or: python -m benchmarks.bench_recommendations_api --help

Builds a synthetic catalogue (seeded: attractions spread over Northern Ireland, taxonomy
categories, a mix of opening-hours expressions, 60 providers of three size classes) in a
fresh database, trains a model on simulated visitors, then times

* ``service``: :meth:`RecommendationService.recommend` plus the one query that loads the
  returned attractions, i.e. everything the endpoint does but HTTP and JSON;
* ``http``: ``GET /v1/recommendations`` against a real uvicorn process (1 worker),
  sequential requests from one client.

Each request varies the visitor's interests, base, stay dates and filters. Figures are the
median and p99 over ``--requests`` requests, after a warm-up; run it a few times and
compare medians (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.server import causeway_server

HOURS = [None, "Mo-Su 09:00-17:00", "Tu-Su 10:00-17:00", "Mo-Sa 10:00-18:00; Su 13:00-17:00",
         "Apr-Sep: Mo-Su 10:00-18:00; Oct-Mar: Sa,Su 11:00-16:00", "24/7", "Th-Su 12:00-20:00"]


def build_catalogue(url: str, n: int, seed: int) -> None:
    from sqlalchemy import insert

    import causeway.all_models  # noqa: F401
    from causeway.content.models import Attraction, AttractionCategory, Provider
    from causeway.content.taxonomy import CATEGORIES
    from causeway.db import make_engine
    from causeway.migrate import upgrade

    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    upgrade(engine)
    cats = list(CATEGORIES)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Provider), [
            {"id": p + 1, "slug": f"provider-{p}", "name": f"Provider {p}",
             "size_class": ("small", "medium", "large")[p % 3], "created_at": now} for p in range(60)])
        rows, cat_rows = [], []
        for i in range(n):
            lat, lon = 54.0 + rng.random() * 1.3, -8.1 + rng.random() * 2.6
            rows.append({
                "id": i + 1, "provider_id": int(rng.integers(60)) + 1, "external_id": f"a{i}",
                "source": "bench", "name": {"en": f"Attraction {i}"}, "description": {},
                "sort_name": f"attraction {i:06d}", "search_text": "", "lat": lat, "lon": lon,
                "town": f"town-{int(rng.integers(150))}", "opening_hours": HOURS[int(rng.integers(len(HOURS)))],
                "visit_minutes": int(rng.choice([30, 60, 90, 120])), "price_band": "unknown",
                "wheelchair": str(rng.choice(["unknown", "yes", "no"], p=[0.7, 0.2, 0.1])),
                "defaults_applied": {}, "extra": {}, "status": "published", "version": 1,
                "content_hash": "bench", "created_at": now, "updated_at": now})
            for pos, c in enumerate(rng.choice(cats, size=int(rng.integers(1, 4)), replace=False)):
                cat_rows.append({"attraction_id": i + 1, "category": str(c), "position": pos})
        for chunk in range(0, n, 5000):
            conn.execute(insert(Attraction), rows[chunk:chunk + 5000])
        for chunk in range(0, len(cat_rows), 10000):
            conn.execute(insert(AttractionCategory), cat_rows[chunk:chunk + 10000])
    engine.dispose()


def profiles(count: int, seed: int) -> list[dict]:
    from causeway.content.taxonomy import CATEGORIES

    rng = np.random.default_rng(seed + 1)
    cats = list(CATEGORIES)
    out = []
    for _ in range(count):
        start = dt.date(2026, 6, 1) + dt.timedelta(days=int(rng.integers(0, 120)))
        out.append({
            "interests": [str(c) for c in rng.choice(cats, size=int(rng.integers(0, 4)), replace=False)],
            "stay": {"start": start.isoformat(),
                     "end": (start + dt.timedelta(days=int(rng.integers(0, 6)))).isoformat()},
            "base": {"lat": float(54.2 + rng.random()), "lon": float(-7.8 + rng.random() * 2.2)},
            "travel_mode": str(rng.choice(["walking", "public_transport", "driving"])),
            "accessibility": {"wheelchair": bool(rng.random() < 0.1)},
        })
    return out


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return f"{name:<10} n={len(ms):<5} median {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attractions", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        os.environ["CAUSEWAY_DATA_DIR"] = tmp
        os.environ["CAUSEWAY_DATABASE_URL"] = url
        from sqlalchemy import select

        from causeway.auth.profile import Profile
        from causeway.content.models import Attraction
        from causeway.db import make_engine, make_sessionmaker
        from causeway.recommendations.service import RecommendationService
        from causeway.recommendations.train import train
        from causeway.settings import Settings

        t0 = time.perf_counter()
        build_catalogue(url, args.attractions, args.seed)
        print(f"catalogue: {args.attractions} attractions in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        settings = Settings(data_dir=Path(tmp), database_url=url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        t0 = time.perf_counter()
        with factory() as s:
            result = train(s, settings.models_dir, simulate_visitors_n=1000, epochs=5, components=32,
                           threads=os.cpu_count() or 1)
        print(f"trained on {result.metadata['n_events']} simulated events in {time.perf_counter() - t0:.1f} s")

        service = RecommendationService(settings, factory)
        t0 = time.perf_counter()
        service.current()
        print(f"model + catalogue load: {time.perf_counter() - t0:.2f} s")
        people = [Profile.model_validate(p) for p in profiles(args.requests, args.seed)]
        filters = [{}, {"max_km": 25.0}, {"categories": ["history", "castle"]}, {"diversity": 0.0}]
        times: list[float] = []
        with factory() as s:
            for rnd in range(2):  # round 0 warms the per-stay opening-hours masks
                times.clear()
                for i, p in enumerate(people):
                    t = time.perf_counter()
                    _, recs = service.recommend(s, visitor_id=None, profile=p, limit=10, **filters[i % 4])
                    ids = [int(r.attraction_id) for r in recs]
                    list(s.scalars(select(Attraction).where(Attraction.id.in_(ids))))
                    times.append(time.perf_counter() - t)
                print(summary("service" + (" (cold)" if rnd == 0 else ""), times))
        engine.dispose()

        if not args.skip_http:
            import httpx2 as httpx

            env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "CAUSEWAY_RATE_LIMIT_PER_MINUTE": "1000000"}
            with causeway_server(env) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                          timeout=30) as c:
                tokens = []
                for p in people[:50]:
                    h = {"Authorization": f"Bearer {c.post('/v1/visitors').json()['token']}"}
                    c.put("/v1/visitors/me/profile", json=p.model_dump(mode="json", exclude_none=True), headers=h)
                    tokens.append(h)
                params = [{}, {"max_km": 25}, {"category": "history,castle"}, {"diversity": 0}]
                for rnd in range(2):
                    times.clear()
                    for i in range(args.requests):
                        t = time.perf_counter()
                        r = c.get("/v1/recommendations", params={"limit": 10, **params[i % 4]},
                                  headers=tokens[i % len(tokens)])
                        times.append(time.perf_counter() - t)
                        assert r.status_code == 200, r.text
                    print(summary("http" + (" (cold)" if rnd == 0 else ""), times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
