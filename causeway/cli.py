"""The `causeway` command line: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the work; this file only wires them up.
A module named in ``EXTERNAL_COMMANDS`` exposes ``add_arguments(parser)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from causeway.settings import Settings, get_settings

# (group, name, module, help): commands that live beside the code they run. Group "" is a
# top-level command (`causeway worker`); a module that is not installed is left out.
EXTERNAL_COMMANDS: list[tuple[str, str, str, str]] = [
    ("", "train", "causeway.recommendations.train",
     "train the recommender from the catalogue and the engagement events in the database"),
    ("", "worker", "causeway.analytics.worker",
     "consume the engagement event stream into the database; enforce retention"),
    ("bench", "optw", "causeway.recommender.evaluation.optw_bench",
     "run the itinerary planner on published orienteering-with-time-windows instances"),
    ("eval", "recommender", "causeway.recommender.evaluation.flickr_recsys",
     "evaluate the recommender on Flickr user-POI visits (lim/ format)"),
    ("eval", "trajectories", "causeway.recommender.evaluation.flickr_traj",
     "evaluate trajectory recommendation on Flickr CIKM'16 data"),
]


def _add_external(subparsers: dict[str, argparse._SubParsersAction]) -> None:
    """``subparsers[""]`` is the top level; the others are the ``bench`` and ``eval`` groups."""
    for group, name, module, help_text in EXTERNAL_COMMANDS:
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:  # its package is not there either
            continue
        mod = importlib.import_module(module)
        p = subparsers[group].add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(func=mod.run)


@contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory for the configured database, its engine disposed afterwards."""
    from causeway.db import make_engine, make_sessionmaker

    engine = make_engine(settings.effective_database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    from causeway.db import make_engine
    from causeway.migrate import upgrade

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine, args.revision)
    finally:
        engine.dispose()
    print(f"database at {engine.url.render_as_string(hide_password=True)} is at {args.revision}")
    return 0


def cmd_demo_load(args: argparse.Namespace) -> int:
    from causeway import demo
    from causeway.content.dedup import Thresholds
    from causeway.db import transaction

    settings = get_settings()
    thresholds = Thresholds(settings.dedup_max_distance_m, settings.dedup_min_name_similarity)
    with _database(settings) as factory:
        with transaction(factory) as session:
            reports = demo.load(session, thresholds)
        for report in reports:
            c = report.counts
            print(f"{report.provider}: {c['rows']} rows, {c['created']} created, {c['updated']} updated, "
                  f"{c['unchanged']} unchanged, {c['archived']} archived, {c['rejected']} rejected, "
                  f"{len(report.duplicates)} new duplicate candidate(s)")
        d = reports.decisions
        print(f"board decisions (causeway/demo/board-decisions.json): {d.merged} merged, "
              f"{d.dismissed} dismissed, {d.already} already decided")
        if args.media:
            _demo_media(settings, factory)
    return 0


def _demo_media(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Attach the demo's placeholder media (illustrations, panoramas, audio guides)."""
    from causeway.content.media.config import MediaConfig
    from causeway.content.media.runtime import MediaRuntime
    from causeway.demo import media

    started = time.perf_counter()
    runtime = MediaRuntime(MediaConfig.from_settings(settings), factory)
    try:
        report = media.attach(factory, runtime)
    finally:
        runtime.close()
    print(f"{report.summary()} ({time.perf_counter() - started:.1f} s)")


def cmd_demo_narrate(args: argparse.Namespace) -> int:
    from causeway.demo import media

    try:
        with _database(get_settings()) as factory, factory() as session:
            made = media.narrate(session, only_missing=args.only_missing)
    except media.NarrationUnavailable as exc:
        print(f"causeway demo narrate: {exc}", file=sys.stderr)
        return 1
    for key, file, size in made:
        print(f"{key}: {file} ({size / 1024:.0f} KiB)")
    print(f"{len(made)} recording(s) made in {media.AUDIO_DIR}; index {media.AUDIO_INDEX.name} rewritten")
    return 0


def cmd_demo_events(args: argparse.Namespace) -> int:
    from causeway.analytics import simulate
    from causeway.db import transaction

    settings = get_settings()
    try:
        config = simulate.DemoConfig(visitors=args.visitors, seed=args.seed, days=args.days,
                                     campaign_days=min(21, args.days // 3))
        with _database(settings) as factory:
            with transaction(factory) as session:
                result = simulate.load(session, config, timezone=settings.timezone)
            _refresh_rollups(factory, settings)
    except (ValueError, simulate.SimulationError) as exc:
        print(f"causeway demo events: {exc}", file=sys.stderr)
        return 1
    if result.status == "unchanged":
        print(f"simulated events already loaded for today: {result.events} events of {result.visitors} "
              "visitors (nothing to do)")
    else:
        removed = f", replacing {result.removed_events} earlier simulated events" if result.removed_events else ""
        print(f"simulated {result.visitors} visitors and {result.events} events over the last {config.days} "
              f"days (seed {config.seed}, labelled simulated){removed}")
    return 0


def _refresh_rollups(factory, settings) -> None:  # type: ignore[no-untyped-def]
    from causeway.analytics import rollups

    try:
        rollups.refresh(factory, settings.timezone, progress=_ProgressBar(min_total=200_000))
    except rollups.TimezoneMismatch as exc:
        print(f"analytics rollups not updated: {exc}", file=sys.stderr)


def cmd_analytics_backfill(args: argparse.Namespace) -> int:
    from causeway.analytics import rollups

    settings = get_settings()
    with _database(settings) as factory:
        if args.rebuild:
            rollups.rebuild(factory, settings.timezone)
        with factory() as session:
            before = rollups.status(session)
        if before.timezone not in (None, settings.timezone) and not args.rebuild:
            print(f"causeway analytics backfill: the rollups are in {before.timezone}, the settings say "
                  f"{settings.timezone}; run it with --rebuild", file=sys.stderr)
            return 1
        print(f"rollups at event id {before.last_event_id:,} of {before.max_event_id:,}; aggregating "
              f"in chunks of {args.batch:,} events (each chunk commits: stop and re-run at any time)")
        started = time.perf_counter()
        bar = _ProgressBar(min_total=0, force=args.progress)
        done = rollups.refresh(factory, settings.timezone, batch=args.batch, progress=bar)
        took = time.perf_counter() - started
        with factory() as session:
            after = rollups.status(session)
    rate = f", {done / took:,.0f} events/s" if took > 0 and done else ""
    print(f"aggregated {done:,} events in {took:.1f} s{rate}; rollups at event id {after.last_event_id:,}")
    return 0


def cmd_analytics_status(args: argparse.Namespace) -> int:
    from causeway.analytics import rollups

    settings = get_settings()
    with _database(settings) as factory, factory() as session:
        st = rollups.status(session)
    print(f"rollups: event id {st.last_event_id:,} of {st.max_event_id:,} (at most {st.lag:,} behind), "
          f"time zone {st.timezone or 'not set'}"
          f"{'' if st.sums_valid else ', sums being rebuilt'}; reports read: {settings.analytics_source}")
    return 0


class _ProgressBar:
    """A one-line progress bar on stderr, shown only on a terminal and for large feeds."""

    def __init__(self, min_total: int = 400, force: bool = False) -> None:
        self.enabled = force or sys.stderr.isatty()
        self.min_total = min_total
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_total or total <= 0:
            return
        pct = int(100 * done / total)
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r  [{bar:<25}] {pct:3d}% {done:,}/{total:,} ")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_ingest(args: argparse.Namespace) -> int:
    from causeway.content import providers
    from causeway.content.dedup import Thresholds
    from causeway.content.ingest.base import FeedUnreadable
    from causeway.content.ingest.mapping import Mapping
    from causeway.content.ingest.service import run_import

    settings = get_settings()
    path = Path(args.file)
    try:
        data = path.read_bytes()
        mapping = Mapping.load(args.mapping)
    except OSError as exc:
        print(f"causeway ingest: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except FeedUnreadable as exc:
        print(f"causeway ingest: {exc}", file=sys.stderr)
        return 2
    try:
        with _database(settings) as factory, factory() as session:
            provider = providers.get_by_slug(session, args.provider)
            if provider is None:
                print(f"causeway ingest: no provider {args.provider!r} "
                      f"(create it with `causeway provider create {args.provider} --name ...`)",
                      file=sys.stderr)
                return 2
            report = run_import(
                session, provider, data, source=path.name, fmt=args.format, mapping=mapping,
                full=not args.partial, dry_run=args.dry_run, progress=_ProgressBar(),
                thresholds=Thresholds(settings.dedup_max_distance_m, settings.dedup_min_name_similarity),
                language=args.language or settings.default_language)
            if args.dry_run:
                session.rollback()
            else:
                session.commit()
    except FeedUnreadable as exc:
        if args.json:
            print(json.dumps({"error": "feed_unreadable", "detail": str(exc), "file": str(path)}))
        else:
            print(f"causeway ingest: {path.name} cannot be read: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    return report.exit_code


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    c = report.counts
    head = "DRY RUN (nothing written): " if report.dry_run else ""
    print(f"{head}{report.source} ({report.format}) for {report.provider}: {c['rows']} rows")
    print("  " + ", ".join(f"{k} {c[k]}" for k in ("created", "updated", "proposed", "unchanged", "archived",
                                                   "rejected")))
    if report.new_status != "published" and c["created"]:
        print(f"  new records are {report.new_status}: {report.provider} is not trusted, the board publishes them")
    if c["proposed"]:
        print(f"  {c['proposed']} change(s) to published records wait for the board's review")
    for err in report.rejected:
        ident = f" [{err.external_id}]" if err.external_id else ""
        print(f"  rejected row {err.position}{ident}: {err.field}: {err.reason}")
    for dup in report.duplicates:
        print(f"  possible duplicate #{dup['candidate_id']}: {dup['a']['name']!r} (id {dup['a']['id']}) ~ "
              f"{dup['b']['name']!r} (id {dup['b']['id']}), {dup['distance_m']:.0f} m apart, "
              f"name similarity {dup['name_similarity']:.2f}")


def cmd_provider_create(args: argparse.Namespace) -> int:
    from causeway.content import providers
    from causeway.db import transaction

    try:
        with _database(get_settings()) as factory, transaction(factory) as session:
            p = providers.create(session, slug=args.slug, name=args.name or args.slug,
                                 size_class=args.size, website=args.website, trusted=args.trusted)
            print(f"provider {p.slug} (id {p.id}, {p.size_class}{', trusted' if p.trusted else ''})")
    except providers.ProviderError as exc:
        print(f"causeway provider create: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_provider_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from causeway.content.models import Provider

    with _database(get_settings()) as factory, factory() as session:
        for p in session.scalars(select(Provider).order_by(Provider.slug)):
            print(f"{p.slug}\t{p.size_class}\t{'trusted' if p.trusted else 'reviewed'}\t{p.name}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from causeway.auth.models import Role
    from causeway.auth.service import issue
    from causeway.content import providers
    from causeway.db import transaction

    role = Role(args.role)
    with _database(get_settings()) as factory, transaction(factory) as session:
        provider = None
        if role is Role.venue:
            if not args.provider:
                print("causeway token create: a venue token needs --provider SLUG", file=sys.stderr)
                return 1
            provider = providers.get_by_slug(session, args.provider)
            if provider is None:
                print(f"causeway token create: no provider {args.provider!r}", file=sys.stderr)
                return 1
        secret = issue(session, role=role, provider=provider, label=args.label or "")
    print(secret)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # One BLAS thread per worker: several workers each with a full pool fight over 2 cores.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import uvicorn

    from causeway.observability import configure_logging

    # Our handler (text or JSON, with the request id) for every logger, uvicorn's included;
    # the access line is causeway.access's, which knows the route template and the request id.
    configure_logging(get_settings().log_format, args.log_level)
    uvicorn.run("causeway.api.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True, log_level=args.log_level, log_config=None,
                access_log=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="causeway", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("--revision", default="heads")
    p.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="the demo catalogue").add_subparsers(dest="demo_command", required=True)
    p = demo.add_parser("load", help="load the Northern Ireland demo catalogue: the curated core and the "
                                     "open data (idempotent)",
                        description="Load the demo catalogue through the normal ingestion path, then attach "
                                    "placeholder media to the attractions a virtual visit is likely to show: "
                                    "generated illustrations and panoramas (labelled as such, never passed off "
                                    "as photographs) and synthesized audio guides (see causeway/demo/README.md).")
    p.add_argument("--no-media", dest="media", action="store_false",
                   help="load the catalogue only: no illustrations, panoramas or audio guides")
    p.set_defaults(func=cmd_demo_load)
    p = demo.add_parser("narrate", help="re-record the demo's audio guides with espeak-ng (developers; "
                                        "needs espeak-ng and opusenc, and the demo loaded)",
                        description="Record each chosen attraction's description, as loaded in the "
                                    "database, with espeak-ng and encode it as Ogg/Opus into "
                                    "causeway/demo/audio/ (committed), rewriting index.json.")
    p.add_argument("--only-missing", action="store_true",
                   help="keep recordings whose text is unchanged (the default re-records all)")
    p.set_defaults(func=cmd_demo_narrate)
    p = demo.add_parser("events", help="simulate visitor events over the catalogue for the dashboard "
                                       "(seeded, labelled simulated, idempotent within a day)",
                        description="Write a seeded simulation of visitor engagement over the published "
                                    "catalogue (see causeway/analytics/simulate.py), labelled simulated. "
                                    "Re-running the same day changes nothing; later, or with other options, "
                                    "it replaces the earlier simulated events (never real ones).")
    p.add_argument("--visitors", type=int, default=4000, help="simulated visitors (default 4000)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.add_argument("--days", type=int, default=60, help="days of history up to today (default 60)")
    p.set_defaults(func=cmd_demo_events)

    analytics = sub.add_parser("analytics", help="the board's analytics rollups").add_subparsers(
        dest="analytics_command", required=True)
    p = analytics.add_parser("backfill", help="aggregate the stored events not yet in the rollups "
                                              "(idempotent, resumable, with a progress bar)")
    p.add_argument("--batch", type=int, default=50_000, help="events per transaction (default 50000)")
    p.add_argument("--rebuild", action="store_true",
                   help="empty the rollups first (e.g. after changing CAUSEWAY_TIMEZONE)")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.set_defaults(func=cmd_analytics_backfill)
    p = analytics.add_parser("status", help="how far the rollups are behind the events")
    p.set_defaults(func=cmd_analytics_status)

    p = sub.add_parser("ingest", help="import a provider feed (CSV, GeoJSON, schema.org JSON-LD, OSM)",
                       description="Import a provider feed. Exit status: 0 every row valid, "
                                   "1 some rows rejected, 2 the file cannot be read.")
    p.add_argument("file")
    p.add_argument("--provider", required=True, help="provider slug")
    p.add_argument("--format", default="auto", choices=["auto", "csv", "geojson", "jsonld", "osm"])
    p.add_argument("--mapping", help="JSON column/property mapping for csv and geojson")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.add_argument("--partial", action="store_true",
                   help="the feed is a partial update: do not archive records missing from it")
    p.add_argument("--language", help="language of untagged text (default: settings)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    prov = sub.add_parser("provider", help="content providers").add_subparsers(dest="provider_command", required=True)
    p = prov.add_parser("create", help="create a provider")
    p.add_argument("slug")
    p.add_argument("--name")
    p.add_argument("--size", default="small", choices=["small", "medium", "large"])
    p.add_argument("--website")
    p.add_argument("--trusted", action="store_true",
                   help="publish its new records and changes without review (default: the board reviews)")
    p.set_defaults(func=cmd_provider_create)
    p = prov.add_parser("list", help="list providers")
    p.set_defaults(func=cmd_provider_list)

    tok = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    p = tok.add_parser("create", help="create a token and print its secret (shown once)")
    p.add_argument("--role", required=True, choices=["venue", "board", "admin"])
    p.add_argument("--provider", help="provider slug (venue tokens)")
    p.add_argument("--label")
    p.set_defaults(func=cmd_token_create)

    p = sub.add_parser("serve", help="serve the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)
    groups = {
        "": sub,
        "bench": sub.add_parser("bench", help="benchmark harnesses").add_subparsers(
            dest="bench_command", required=True),
        "eval": sub.add_parser("eval", help="evaluation harnesses").add_subparsers(
            dest="eval_command", required=True),
    }
    _add_external(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
