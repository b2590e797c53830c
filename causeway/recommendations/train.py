"""``causeway train``: the recommender from the catalogue and the engagement events.

Reads the published catalogue and the visitors' interaction events from the database,
fits :class:`~causeway.recommender.pipeline.RecommenderPipeline`, saves a versioned
artifact under ``settings.models_dir`` and points ``CURRENT`` at it; API workers load it
on their next check.

With fewer than ``--min-events`` interaction events in the database (real, or simulated by
``causeway demo events``), the history is topped up by :func:`causeway.recommender.simulate.simulate_visitors`, a
seeded, documented simulation. The artifact's metadata then says ``events_source:
simulated`` (or ``database+simulated``), and every recommendation served from it carries
``"simulated": true``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from causeway.recommendations import data, store
from causeway.recommender.model import TRAINING_DEFAULTS, HybridRecommender
from causeway.recommender.pipeline import RecommenderPipeline
from causeway.recommender.simulate import SimulationConfig, simulate_visitors


class NothingToTrain(RuntimeError):
    """The catalogue is empty."""


@dataclass(frozen=True)
class TrainResult:
    version: str
    path: Path
    metadata: dict[str, Any]


def train(session: Session, models_dir: Path, *, min_events: int = 1000, simulate_visitors_n: int = 800,
          seed: int = 0, epochs: int = TRAINING_DEFAULTS["epochs"],
          components: int = TRAINING_DEFAULTS["no_components"],
          max_sampled: int = TRAINING_DEFAULTS["max_sampled"], threads: int = 1,
          publish: bool = True) -> TrainResult:
    """Fit on the database's catalogue and events; save (and by default publish) the artifact."""
    started = time.perf_counter()
    items = data.catalogue_frame(session)
    if items.empty:
        raise NothingToTrain("the catalogue has no published attractions: load one first "
                             "(`causeway demo load` or `causeway ingest`)")
    events = data.events_frame(session)
    real = events[~events["simulated"]]
    visitors = data.visitors_frame(session, sorted(events["visitor_id"].unique().tolist()))
    if len(events) < min_events:
        # Too little history to learn from: add seeded simulated visitors (labelled).
        sim_visitors, sim_events = simulate_visitors(
            items, SimulationConfig(n_visitors=simulate_visitors_n, interest_frequency_exponent=0.0),
            seed=seed)
        sim_visitors = sim_visitors[["visitor_id", "interests", "stay_days", "travel_mode", "party_type"]]
        # The simulation ends "now", so recency decay treats it like fresh history.
        shift = pd.Timestamp.now(tz="UTC") - sim_events["timestamp"].max()
        sim_events = sim_events.assign(timestamp=sim_events["timestamp"] + shift)
        events = pd.concat([events, sim_events[events.columns]], ignore_index=True)
        visitors = pd.concat([visitors, sim_visitors], ignore_index=True)
    # Simulated history, from the simulation above or from `causeway demo events`, is
    # labelled in the artifact and in every list served from it.
    if not events["simulated"].any():
        source = "database"
    else:
        source = "database+simulated" if len(real) else "simulated"
    if events.empty:
        raise NothingToTrain("no interaction events and simulation produced none")
    model = HybridRecommender(no_components=components, epochs=epochs, max_sampled=max_sampled,
                              num_threads=threads, random_state=seed)
    pipe = RecommenderPipeline(model).fit(items, events, visitors)
    fit_seconds = time.perf_counter() - started
    version = store.new_version()
    metadata = {
        "version": version, "trained_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "events_source": source, "simulated": source != "database",
        "n_items": int(len(items)), "n_visitors": int(events["visitor_id"].nunique()),
        "n_events": int(len(events)), "n_real_events": int(len(real)),
        "seed": seed,
        "simulation": ({"n_visitors": simulate_visitors_n, "module": "causeway.recommender.simulate"}
                       if source != "database" else None),
    }
    path = pipe.save(models_dir / version, metadata=metadata,
                     metrics={"train_seconds": round(fit_seconds, 3)})
    if publish:
        store.publish(models_dir, version)
    return TrainResult(version=version, path=path, metadata=metadata)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-events", type=int, default=None,
                   help="fewer real interaction events than this: top up with simulated visitors "
                        "(default: settings.train_min_events)")
    p.add_argument("--simulated-visitors", type=int, default=800)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=TRAINING_DEFAULTS["epochs"])
    p.add_argument("--components", type=int, default=TRAINING_DEFAULTS["no_components"])
    p.add_argument("--max-sampled", type=int, default=TRAINING_DEFAULTS["max_sampled"],
                   help="WARP negatives tried per positive (LightFM max_sampled)")
    p.add_argument("--threads", type=int, default=None, help="LightFM threads (default: CPU count)")
    p.add_argument("--no-publish", action="store_true", help="save the artifact, do not serve it")
    p.add_argument("--if-missing", action="store_true",
                   help="do nothing when a model is already being served (for `make run`)")


def run(args: argparse.Namespace) -> int:
    import os

    from causeway.db import make_engine, make_sessionmaker
    from causeway.settings import get_settings

    settings = get_settings()
    if args.if_missing and store.current(settings.models_dir) is not None:
        print(f"causeway train: serving {store.current(settings.models_dir)} already; "
              "run `causeway train` to retrain")
        return 0
    engine = make_engine(settings.effective_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            result = train(
                session, settings.models_dir,
                min_events=settings.train_min_events if args.min_events is None else args.min_events,
                simulate_visitors_n=args.simulated_visitors, seed=args.seed, epochs=args.epochs,
                components=args.components, max_sampled=args.max_sampled, threads=args.threads or os.cpu_count() or 1,
                publish=not args.no_publish)
    except NothingToTrain as exc:
        print(f"causeway train: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    m = result.metadata
    label = " (SIMULATED visitor history)" if m["simulated"] else ""
    print(f"trained {result.version}{label}: {m['n_items']} attractions, {m['n_visitors']} visitors, "
          f"{m['n_events']} events ({m['n_real_events']} real)")
    print(f"artifact: {result.path}{'' if args.no_publish else '  (now serving)'}")
    return 0
