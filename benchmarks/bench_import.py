"""Feed import time against the number of rows (issue 12): a synthetic CSV feed
(causeway.content.ingest.synthetic) imported as a dry run, on SQLite with the demo catalogue
loaded, for a venue provider. Prints wall and CPU seconds and CPU ms per row; linear import
time shows as a flat ms-per-row column.

    python -m benchmarks.bench_import [--rows 5000,10000,20000,50000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from causeway import demo
from causeway.content import providers
from causeway.content.ingest.service import run_import
from causeway.content.ingest.synthetic import feed_csv
from causeway.db import make_engine, make_sessionmaker
from causeway.migrate import upgrade


def measure(rows: int, workdir: Path) -> tuple[float, float, dict[str, int]]:
    engine = make_engine(f"sqlite:///{workdir / f'import-{rows}.db'}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory.begin() as s:
        demo.load(s)
        providers.create(s, slug="venue", name="Venue", size_class="small", trusted=True)
    data = feed_csv(rows)
    with factory() as s:
        provider = providers.get_by_slug(s, "venue")
        assert provider is not None
        wall, cpu = time.perf_counter(), time.process_time()
        report = run_import(s, provider, data, source="synthetic.csv", dry_run=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        s.rollback()
    engine.dispose()
    return wall, cpu, report.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="5000,10000,20000,50000")
    args = parser.parse_args()
    print(f"{'rows':>7} {'wall s':>8} {'cpu s':>8} {'cpu ms/row':>11}  counts")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(r) for r in args.rows.split(",")):
            wall, cpu, counts = measure(rows, Path(tmp))
            print(f"{rows:>7} {wall:>8.1f} {cpu:>8.1f} {1000 * cpu / rows:>11.2f}  "
                  f"created {counts['created']}, rejected {counts['rejected']}", flush=True)


if __name__ == "__main__":
    main()
