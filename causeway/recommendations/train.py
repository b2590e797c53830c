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
from causeway.recommender.evaluation.holdout import hold_out, holdout_metrics
from causeway.recommender.features import base_area
from causeway.recommender.model import TRAINING_DEFAULTS, HybridRecommender
from causeway.recommender.pipeline import RecommenderPipeline
from causeway.recommender.simulate import SimulationConfig, simulate_visitors


#: Visitors whose held-out attraction checks every trained model (0: no check).
HOLDOUT_USERS = 500
#: Events that show a visitor engaged with an attraction, for the held-out check (not
#: impressions: what the app showed is not what the visitor chose).
ENGAGED_TYPES = tuple(t for t in data.INTERACTION_TYPES if t != "impression")
#: Below this many eligible visitors a held-out figure would be noise: no check.
MIN_HOLDOUT_USERS = 50


class NothingToTrain(RuntimeError):
    """The catalogue is empty."""


@dataclass(frozen=True)
class TrainResult:
    version: str
    path: Path
    metadata: dict[str, Any]
    metrics: dict[str, Any]


def train(session: Session, models_dir: Path, *, min_events: int = 1000, simulate_visitors_n: int = 800,
          seed: int = 0, epochs: int = TRAINING_DEFAULTS["epochs"],
          components: int = TRAINING_DEFAULTS["no_components"],
          max_sampled: int = TRAINING_DEFAULTS["max_sampled"], threads: int = 1,
          holdout_users: int = HOLDOUT_USERS, publish: bool = True) -> TrainResult:
    """Fit on the database's catalogue and events; save (and by default publish) the artifact.

    Every event of one attraction that each of ``holdout_users`` visitors engaged with
    (beyond an impression) is kept out of the fit, and the artifact's metrics record how
    the model ranks those attractions against popularity
    (:mod:`causeway.recommender.evaluation.holdout`). The model served is that one, so its
    figures are its own; with ``holdout_users=0``, or fewer than ``MIN_HOLDOUT_USERS`` eligible
    visitors, it trains on everything and records none.
    """
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
        sim_visitors = sim_visitors.assign(base_area=[
            base_area(a, b) for a, b in zip(sim_visitors["base_lat"], sim_visitors["base_lon"])])
        sim_visitors = sim_visitors[["visitor_id", "interests", "stay_days", "travel_mode",
                                     "party_type", "base_area"]]
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
    fit_events, held = hold_out(events, holdout_users, seed=seed, engaged_types=ENGAGED_TYPES)
    if len(held) < MIN_HOLDOUT_USERS:
        fit_events, held = events, held.iloc[:0]
    pipe = RecommenderPipeline(model).fit(items, fit_events, visitors)
    fit_seconds = time.perf_counter() - started
    metrics: dict[str, Any] = {"train_seconds": round(fit_seconds, 3)}
    if len(held):
        metrics["holdout"] = holdout_metrics(pipe, fit_events, held)
    version = store.new_version()
    metadata = {
        "version": version, "trained_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "events_source": source, "simulated": source != "database",
        "n_items": int(len(items)), "n_visitors": int(events["visitor_id"].nunique()),
        "n_events": int(len(events)), "n_real_events": int(len(real)),
        "n_events_held_out": int(len(events) - len(fit_events)),
        "seed": seed,
        "simulation": ({"n_visitors": simulate_visitors_n, "module": "causeway.recommender.simulate"}
                       if source != "database" else None),
    }
    path = pipe.save(models_dir / version, metadata=metadata,
                     metrics=metrics)
    if publish:
        store.publish(models_dir, version)
    return TrainResult(version=version, path=path, metadata=metadata, metrics=metrics)


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
    p.add_argument("--holdout-users", type=int, default=HOLDOUT_USERS,
                   help="visitors whose held-out attraction checks the model (recorded in the "
                        f"artifact; 0: none; default {HOLDOUT_USERS})")
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
                components=args.components, max_sampled=args.max_sampled,
                holdout_users=args.holdout_users, threads=args.threads or os.cpu_count() or 1,
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
    check = result.metrics.get("holdout")
    if check:
        k = check["k"]
        print(f"held-out check ({check['users']} visitors, one attraction each, among "
              f"{check['items']}): hit@{k} {check[f'model_hit@{k}']:.3f} (popularity "
              f"{check[f'popularity_hit@{k}']:.3f}), NDCG@{k} {check[f'model_ndcg@{k}']:.3f} "
              f"(popularity {check[f'popularity_ndcg@{k}']:.3f})")
    print(f"artifact: {result.path}{'' if args.no_publish else '  (now serving)'}")
    return 0
