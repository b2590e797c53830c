"""Media benchmark: rendition throughput for a 12-megapixel JPEG, IIIF latency cold and cached.

1. Processing (in process, one thread): a 4000x3000 photo-like JPEG becomes a clean master,
   WebP and JPEG renditions at the configured widths and placeholders; then the same with
   the tile pyramid rendered too. Images per second, median of the runs.
2. IIIF over HTTP: a real server (``causeway serve``, one worker) on a spare loopback port,
   one keep-alive client asking one request at a time, as in the IIPImage figures of
   DESIGN.md: an aligned 256-pixel tile, an unaligned 600-pixel region at 512, and a
   1000-wide view of the whole image. "cold" = not in the derived-image cache (distinct
   requests), "cached" = the same request repeated. Median and p99 in milliseconds. Then
   throughput of cached tiles with 4 concurrent keep-alive clients (the load generator
   shares the 2 cores with the server).

    python -m benchmarks.bench_media [--runs 5] [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.server import causeway_server


def photo(width: int = 4000, height: int = 3000, seed: int = 0) -> bytes:
    """A photo-like 12-MP JPEG: smooth structure plus sensor-like noise (compresses like a photo)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 100, width // 100, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.normal(0, 12, (height, width, 3))
    arr = np.clip(base + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def stats(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"median {np.median(a):7.2f} ms   p99 {np.percentile(a, 99):7.2f} ms   (n={len(a)})"


def bench_processing(src: Path, runs: int) -> None:
    from causeway.content.media import derived
    from causeway.content.media.process import process_image

    widths = (320, 640, 1024, 1600, 2048)
    times, with_tiles = [], []
    for _ in range(runs):
        t = time.perf_counter()
        done = process_image(src, panorama=False, widths=widths)
        times.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp:
            cache = derived.DerivedCache(Path(tmp), 1 << 20)
            t2 = time.perf_counter()
            n = derived.pretile(done.image, "0" * 64, cache, 256)  # type: ignore[arg-type]
            with_tiles.append(times[-1] + time.perf_counter() - t2)
    med, medt = float(np.median(times)), float(np.median(with_tiles))
    print(f"processing a 12-MP JPEG (master, 10 renditions, placeholders): {med:.2f} s/image, {1 / med:.2f} images/s")
    print(f"  ... and its {n}-tile pyramid too:                              "
          f"{medt:.2f} s/image, {1 / medt:.2f} images/s")


def load(data_dir: Path) -> tuple[str, str]:
    """Two 12-MP photos: one with its tile pyramid rendered, one without."""
    from causeway.content import providers
    from causeway.content.media import service
    from causeway.content.media.config import MediaConfig
    from causeway.content.media.models import MediaKind
    from causeway.content.media.runtime import MediaRuntime
    from causeway.content.models import Attraction
    from causeway.db import make_engine, make_sessionmaker, transaction
    from causeway.migrate import upgrade
    from causeway.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'causeway.db'}",
                        media_sync_max_pixels=20_000_000)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    idents = []
    with transaction(factory) as s:
        p = providers.create(s, slug="bench", name="Bench", size_class="small")
        att = Attraction(provider_id=p.id, external_id="bench", source="bench", name={"en": "Bench"},
                         sort_name="bench", lat=54.6, lon=-5.9, status="published", content_hash="-")
        s.add(att)
        s.flush()
        for seed, pretile in ((1, True), (2, False)):
            config = MediaConfig.from_settings(settings)
            runtime = MediaRuntime(MediaConfig(**{**config.__dict__, "pretile": pretile}), factory)
            a = service.create(s, runtime, att, service.Upload(kind=MediaKind.image, alt={"en": "bench"}),
                               io.BytesIO(photo(seed=seed)), uploaded_by="bench")
            idents.append(a.identifier)
            runtime.close()
    engine.dispose()
    return idents[0], idents[1]


def timed(conn: http.client.HTTPConnection, path: str) -> float:
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    elapsed = (time.perf_counter() - t) * 1000
    if r.status != 200 or not body:
        raise RuntimeError(f"{path}: {r.status} {body[:200]!r}")
    return elapsed


def throughput(port: int, paths: list[str], clients: int, per_client: int) -> float:
    """Requests per second with ``clients`` threads, each on its own keep-alive connection."""
    import threading

    barrier = threading.Barrier(clients + 1)

    def run(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        barrier.wait()
        for i in range(per_client):
            conn.request("GET", paths[(offset + i) % len(paths)])
            conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=run, args=(k * 37,)) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return clients * per_client / (time.perf_counter() - start)


def bench_iiif(requests: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="causeway-bench-media-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        tiled, untiled = load(data_dir)
        env = {"CAUSEWAY_DATA_DIR": str(data_dir),
               "CAUSEWAY_DATABASE_URL": f"sqlite:///{data_dir / 'causeway.db'}", "CAUSEWAY_REDIS_URL": None}
        port = stack.enter_context(causeway_server(env))
        conn = http.client.HTTPConnection("127.0.0.1", port)
        rng = random.Random(7)
        base = "/iiif/3/"
        # First request ever for an image: decodes the master.
        first = timed(conn, f"{base}{untiled}/1024,1024,600,600/512,/0/default.jpg")
        aligned = [f"{base}{tiled}/{256 * (i % 15)},{256 * (i // 15 % 11)},256,256/256,256/0/default.jpg"
                   for i in range(min(requests, 165))]
        untiled_aligned = [p.replace(tiled, untiled) for p in aligned]
        unaligned = [f"{base}{untiled}/{rng.randrange(0, 3400)},{rng.randrange(0, 2400)},600,600/512,/0/default.jpg"
                     for _ in range(min(requests, 200))]
        # A 1000-wide view is exactly the 1/4 pyramid level; distinct requests of it (cold) are
        # made by turning and mirroring it. Other widths need resampling from the 1/2 level.
        views = [f"{base}{untiled}/full/1000,/{m}{r}/{q}.jpg" for m in ("", "!") for r in (0, 90, 180, 270)
                 for q in ("default", "gray")]
        widths = [f"{base}{untiled}/full/{1001 + i},/0/default.jpg" for i in range(min(requests, 60))]
        print("IIIF over HTTP, 1 server worker, 1 keep-alive client, 12-MP JPEG master (4000x3000):")
        print(f"  first request of a never-decoded image (600->512):   {first:7.2f} ms")
        print(f"  aligned 256 tile, pyramid on disk (cold):            {stats([timed(conn, p) for p in aligned])}")
        print(f"  aligned 256 tile, cached:                            "
              f"{stats([timed(conn, aligned[0]) for _ in range(requests)])}")
        print(f"  aligned 256 tile, no pyramid, rendered (cold):       "
              f"{stats([timed(conn, p) for p in untiled_aligned])}")
        print(f"  unaligned 600->512 region, rendered (cold):          {stats([timed(conn, p) for p in unaligned])}")
        print(f"  unaligned 600->512 region, cached:                   "
              f"{stats([timed(conn, unaligned[0]) for _ in range(requests)])}")
        print(f"  1000-wide view of the whole image, rendered (cold):  {stats([timed(conn, p) for p in views])}")
        print(f"  1001-1060-wide views, rendered (cold):               {stats([timed(conn, p) for p in widths])}")
        print(f"  1000-wide view of the whole image, cached:           "
              f"{stats([timed(conn, views[0]) for _ in range(requests)])}")
        conn.close()
        print(f"  cached aligned tiles, 4 keep-alive clients:          "
              f"{throughput(port, aligned, 4, requests):7.0f} requests/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processing runs")
    parser.add_argument("--requests", type=int, default=300, help="requests per cached measurement")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; Pillow {Image.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photo.jpg"
        src.write_bytes(photo())
        bench_processing(src, args.runs)
    bench_iiif(args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
