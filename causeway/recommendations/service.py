"""Serving recommendations: the current model, the live catalogue, filters, explanations.

One :class:`RecommendationService` per API process. It loads the artifact ``CURRENT``
names, re-encodes the live published catalogue onto it (attractions added since training
are scored from their features: cold start), and re-checks both every
``settings.recommender_reload_seconds`` — a stat of the pointer and one cheap query —
so a new training run or a catalogue change reaches every worker without a restart.

What the list is made of follows the evaluation (benchmarks/README.md, issue 17):

* a **returning visitor** (one with visits recorded) is ranked by the revisit and
  popularity prior with the model at a small weight (:data:`RETURNING_PRIOR`, the weights
  validation chose on the Flickr cities), since on real visits "history first, then
  popularity" ties every model;
* a **new visitor** (no visits: the cold case) is ranked by the hybrid from their stated
  profile;
* both are blended with the stated-interest match, filtered, and re-ranked; **fairness**
  is an exposure price on small providers' items, one number for every visitor, solved when
  a model or catalogue is loaded so that small providers' share of the slots of a sample of
  visitors rises by ``settings.recommender_fairness_target`` (the amortized exposure of
  :mod:`causeway.recommender.exposure`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway.analytics.models import Event
from causeway.auth.models import Visitor
from causeway.auth.profile import Profile
from causeway.content.hours import InvalidOpeningHours, Schedule
from causeway.content.taxonomy import CATEGORIES
from causeway.recommendations import data, store
from causeway.recommender.blend import PriorBlend, blend_scores
from causeway.recommender.explain import Reason
from causeway.recommender.pipeline import Recommendation, RecommenderPipeline
from causeway.recommender.rerank import NO_RERANK, RerankConfig, solve_exposure_price
from causeway.settings import Settings

#: The served prior for returning visitors: what validation chose for "LightFM hybrid +
#: prior" on the Flickr cities (revisit 16 in three of four, popularity 1, model 0.1 in
#: all four). Places visited before only count when the visitor asks for them
#: (``include_visited``); otherwise the prior is popularity with the model at 0.1.
RETURNING_PRIOR = PriorBlend(revisit=16.0, recent=0.0, popularity=1.0, model=0.1)
#: Visitors sampled from the model to solve the exposure price on (fewer at large
#: catalogues: the sample's score matrix stays under 5M entries).
EXPOSURE_SAMPLE = 300
#: The list length the price is solved for.
EXPOSURE_K = 10


@dataclass
class Loaded:
    """A model version bound to a catalogue snapshot."""

    version: str
    pipeline: RecommenderPipeline
    metadata: dict[str, Any]
    catalogue_key: tuple[int, str]
    schedules: list[tuple[str, float | None, float | None]]  # distinct schedules
    schedule_codes: np.ndarray  # per attraction: index into schedules, len(schedules) if unknown
    ids: np.ndarray  # int attraction ids in the pipeline's item order
    positions: dict[int, int]
    category_columns: dict[str, int]
    not_step_free: np.ndarray  # bool: the provider says wheelchair=no
    exposure: dict[str, float] = field(default_factory=dict)  # the fairness price and its effect
    open_days: OrderedDict[dt.date, np.ndarray] = field(default_factory=OrderedDict)


_SUN = ("sunrise", "sunset", "dawn", "dusk")


def _schedules(items: Any) -> dict[str, Any]:
    """Distinct opening schedules of a catalogue frame and each attraction's code."""
    index: dict[tuple[str, float | None, float | None], int] = {}
    codes = np.empty(len(items), dtype=np.int64)
    unknown: list[int] = []
    for i, (expr, lat, lon) in enumerate(zip(items["opening_hours"], items["lat"], items["lon"],
                                             strict=True)):
        if not isinstance(expr, str) or not expr.strip():
            unknown.append(i)
            continue
        # Sunrise and sunset depend on the place, but not at a destination's 0.1° scale.
        key = ((expr, round(float(lat), 1), round(float(lon), 1))
               if any(w in expr for w in _SUN) else (expr, None, None))
        codes[i] = index.setdefault(key, len(index))
    codes[unknown] = len(index)
    return {"schedules": list(index), "schedule_codes": codes}


class NoModel(RuntimeError):
    """No trained model has been published yet."""


class RecommendationService:
    """Thread-safe: requests read an immutable :class:`Loaded`; reloads swap it whole."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self.models_dir: Path = settings.models_dir
        self._loaded: Loaded | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle
    def current(self) -> Loaded:
        """The model to serve, reloading when a new version or catalogue change is seen."""
        now = time.monotonic()
        loaded = self._loaded
        if loaded is not None and now - self._checked < self.settings.recommender_reload_seconds:
            return loaded
        with self._lock:
            if self._loaded is not None and now - self._checked < self.settings.recommender_reload_seconds:
                return self._loaded
            version = store.current(self.models_dir)
            if version is None:
                raise NoModel("no recommender model has been trained yet; run `causeway train`")
            with self.factory() as session:
                key = data.catalogue_fingerprint(session)
                if (self._loaded is None or self._loaded.version != version
                        or self._loaded.catalogue_key != key):
                    self._loaded = self._load(session, version, key)
            self._checked = now
            return self._loaded

    def _load(self, session: Session, version: str, key: tuple[int, str]) -> Loaded:
        if self._loaded is not None and self._loaded.version == version:
            pipe = self._loaded.pipeline  # same model, new catalogue: re-encode only
        else:
            pipe = RecommenderPipeline.load(self.models_dir / version)
        items = data.catalogue_frame(session)
        if items.empty:
            raise NoModel("the catalogue has no published attractions")
        pipe.set_catalogue(items)
        names = pipe.items_encoder.feature_names
        cat_names = [n for n in names if n.startswith("categories:")]
        return Loaded(
            version=version, pipeline=pipe, metadata=dict(pipe.model.metadata),
            catalogue_key=key, **_schedules(items),
            ids=items["attraction_id"].astype(int).to_numpy(),
            positions={int(a): i for i, a in enumerate(items["attraction_id"])},
            category_columns={n.split(":", 1)[1]: j for j, n in enumerate(cat_names)},
            not_step_free=np.array(["wheelchair-no" in a for a in items["accessibility"]], dtype=bool),
            exposure=self._exposure(pipe))

    def _exposure(self, pipe: RecommenderPipeline) -> dict[str, float]:
        """The fairness price for this model and catalogue: solved on a spread sample of the
        visitors the model was trained on, so small providers' share of their top
        ``EXPOSURE_K`` rises by the configured target (0 when there is no small provider)."""
        target = self.settings.recommender_fairness_target
        small = pipe.item_small_
        features = pipe.model.user_features_
        if target <= 0 or small is None or not small.any() or features is None:
            return {"price": 0.0, "target": target}
        n_items = len(small)
        n = min(features.shape[0], max(20, min(EXPOSURE_SAMPLE, 5_000_000 // max(n_items, 1))))
        rows = np.unique(np.linspace(0, features.shape[0] - 1, num=n).astype(np.int64))
        scores = pipe.model.score(pipe.model.known_user_features(rows))
        out = solve_exposure_price(scores, small, EXPOSURE_K, target, RerankConfig())
        return {**out, "target": target}

    # ------------------------------------------------------------ masks
    def _open_mask(self, loaded: Loaded, start: dt.date, end: dt.date) -> np.ndarray:
        """Attractions open at some moment of the stay; unknown hours count as open.

        Each distinct schedule (an expression, plus a rounded place when it depends on
        sunrise or sunset) is evaluated once per calendar day and cached, so a stay costs a
        gather over the catalogue, not a parse per attraction.
        """
        days = [start + dt.timedelta(days=d) for d in range((end - start).days + 1)]
        open_any = np.zeros(len(loaded.schedules), dtype=bool)
        for day in days:
            open_any |= self._open_on(loaded, day)
        return np.concatenate([open_any, [True]])[loaded.schedule_codes]

    def _open_on(self, loaded: Loaded, day: dt.date) -> np.ndarray:
        verdicts = loaded.open_days.get(day)
        if verdicts is None:
            begin = dt.datetime.combine(day, dt.time(0))
            finish = begin + dt.timedelta(days=1)
            verdicts = np.ones(len(loaded.schedules), dtype=bool)
            for j, (expr, lat, lon) in enumerate(loaded.schedules):
                try:
                    verdicts[j] = Schedule(expr, self.settings.timezone, self.settings.country,
                                           lat, lon).is_open_during(begin, finish)
                except InvalidOpeningHours:
                    pass  # unreadable hours: do not hide the place
            loaded.open_days[day] = verdicts
            while len(loaded.open_days) > 800:
                loaded.open_days.popitem(last=False)
        return verdicts

    @staticmethod
    def _model_key(session: Session, loaded: Loaded, visitor_id: int | None) -> str | None:
        """The visitor's identity in the model, if the model can know them.

        A visitor registered after the model was trained has no history in it; this also
        keeps a reused database id (SQLite reuses the highest deleted one) from inheriting
        an erased visitor's learned taste until the next training run.
        """
        if visitor_id is None:
            return None
        trained = loaded.metadata.get("trained_at")
        if trained:
            created = session.scalar(select(Visitor.created_at).where(Visitor.id == visitor_id))
            if created is None or created > dt.datetime.fromisoformat(trained):
                return None
        return str(visitor_id)

    def _visits(self, session: Session, visitor_id: int | None) -> dict[str, int]:
        """How many times the visitor checked in at each attraction (``visit`` events)."""
        if visitor_id is None:
            return {}
        rows = session.execute(select(Event.attraction_id, func.count()).where(
            Event.visitor_id == visitor_id, Event.type == "visit",
            Event.attraction_id.is_not(None)).group_by(Event.attraction_id))
        return {str(a): int(c) for a, c in rows}

    # ------------------------------------------------------------ serving
    def recommend(self, session: Session, *, visitor_id: int | None, profile: Profile,
                  limit: int = 10, categories: Sequence[str] = (), max_km: float | None = None,
                  near: tuple[float, float] | None = None, open_during_stay: bool = True,
                  include_visited: bool = False, diversity: float | None = None,
                  fairness: bool = True, explain: int = 3) -> tuple[Loaded, list[Recommendation]]:
        """Ranked recommendations for one visitor with the hard filters applied."""
        loaded = self.current()
        pipe = loaded.pipeline
        n = len(loaded.ids)
        base = near or ((profile.base.lat, profile.base.lon) if profile.base else None)
        allowed: np.ndarray | None = None
        if categories:
            assert pipe.item_categories_ is not None
            cols = [loaded.category_columns[c] for c in categories if c in loaded.category_columns]
            allowed = np.asarray(pipe.item_categories_[:, cols].any(axis=1) if cols
                                 else np.zeros(n, dtype=bool))
        if profile.accessibility.wheelchair:
            # Places known not to be wheelchair accessible go; unknown ones stay (most
            # feeds say nothing), and the app shows what is known for each item.
            allowed = ~loaded.not_step_free if allowed is None else allowed & ~loaded.not_step_free
        open_mask = None
        if open_during_stay and profile.stay is not None:
            open_mask = self._open_mask(loaded, profile.stay.start, profile.stay.end)
        visits = self._visits(session, visitor_id)
        exclude = [] if include_visited else list(visits)
        config = self.rerank_config(loaded, diversity=diversity, fairness=fairness)
        match = self._interest_match(loaded, profile.interests)
        weight = self.settings.recommender_interest_weight
        use_blend = match is not None and weight > 0
        # Returning visitor: the revisit and popularity prior (the cold case keeps the
        # hybrid's own scores).
        history = self._history_vector(loaded, visits) if visits else None
        returning = history is not None and pipe.item_popularity_ is not None

        def adjust(scores: np.ndarray) -> np.ndarray:
            if returning:
                scores = blend_scores(scores[None, :], RETURNING_PRIOR, history=history,
                                      popularity=pipe.item_popularity_)[0]
            if not use_blend or match is None:
                return scores
            # Scores min-max scaled to [0, 1], blended with the share of stated interests
            # matched: a visitor who says "castles" sees castles first, in the model's
            # order, unless the model ranks one near the bottom.
            lo, hi = float(scores.min()), float(scores.max())
            scaled = (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)
            return (1.0 - weight) * scaled + weight * match

        recs = pipe.recommend(
            profile=data.model_profile(profile), visitor_id=self._model_key(session, loaded, visitor_id),
            k=limit, base=base, max_km=max_km if base is not None else None,
            open_during_stay=open_mask, allowed=allowed, exclude_ids=exclude,
            rerank_config=config, explain_top=explain,
            score_adjust=adjust if (use_blend or returning) else None)
        if use_blend and explain:
            recs = [self._with_interest_reason(loaded, r, profile.interests, weight) for r in recs]
        return loaded, recs

    @staticmethod
    def rerank_config(loaded: Loaded, *, diversity: float | None, fairness: bool) -> RerankConfig:
        """Diversity (default 0.3) and, with ``fairness``, the loaded exposure price; the
        per-list boost and quota of the first version are not used."""
        div = RerankConfig().diversity if diversity is None else diversity
        price = float(loaded.exposure.get("price", 0.0)) if fairness else 0.0
        if div == 0 and price == 0:
            return NO_RERANK
        return RerankConfig(diversity=div, small_provider_boost=0.0, min_small_share=0.0,
                            exposure_price=price)

    @staticmethod
    def _history_vector(loaded: Loaded, visits: dict[str, int]) -> np.ndarray | None:
        """[1, n_items] visit counts in catalogue order; None if none is in the catalogue."""
        out = np.zeros((1, len(loaded.ids)))
        for aid, count in visits.items():
            pos = loaded.positions.get(int(aid))
            if pos is not None:
                out[0, pos] = count
        return out if out.any() else None

    @staticmethod
    def _interest_match(loaded: Loaded, interests: Sequence[str]) -> np.ndarray | None:
        """Per attraction, 1 when it matches at least one stated interest, else 0."""
        cats = loaded.pipeline.item_categories_
        cols = [loaded.category_columns[c] for c in interests if c in loaded.category_columns]
        if cats is None or not cols:
            return None
        return (cats[:, cols].sum(axis=1) > 0).astype(np.float32)

    @staticmethod
    def _with_interest_reason(loaded: Loaded, rec: Recommendation, interests: Sequence[str],
                              weight: float) -> Recommendation:
        pipe = loaded.pipeline
        assert pipe.item_categories_ is not None
        row = pipe.item_categories_[loaded.positions[int(rec.attraction_id)]]
        matched = [c for c in interests if c in loaded.category_columns
                   and row[loaded.category_columns[c]] > 0]
        if not matched:
            return rec
        gain = weight
        reason = Reason(feature=f"interests:{matched[0]}",
                        text="matches your interest in " + " and ".join(
                            CATEGORIES[c].lower() for c in matched[:2]),
                        weight=gain / rec.score if rec.score > 0 else 1.0)
        others = [r for r in rec.reasons if r.feature != f"categories:{matched[0]}"]
        return replace(rec, reasons=[reason, *others][:max(len(rec.reasons), 1)])

    def score(self, *, profile: dict[str, Any] | Profile, visitor_id: int | None,
              attraction_ids: Sequence[int]) -> dict[int, float]:
        """Scores in [0, 1] for the given attractions (for the itinerary planner): the model's
        percentile among the whole catalogue, blended with stated interests as in
        :meth:`recommend`. Attractions unknown to the current catalogue are left out."""
        loaded = self.current()
        pipe = loaded.pipeline
        p = profile if isinstance(profile, Profile) else Profile.model_validate(profile or {})
        with self.factory() as session:
            key = self._model_key(session, loaded, visitor_id)
        uvec = pipe.model.user_vectors(pipe.visitor_features(data.model_profile(p), key))[0]
        scores = pipe.model.score_vector(uvec)
        ranks = np.empty(len(scores))
        ranks[np.argsort(scores, kind="stable")] = np.arange(len(scores))
        pct = ranks / max(len(scores) - 1, 1)
        match = self._interest_match(loaded, p.interests)
        weight = self.settings.recommender_interest_weight
        if match is not None and weight > 0:  # the same blend as the recommendations list
            pct = (1.0 - weight) * pct + weight * match
        out: dict[int, float] = {}
        for aid in attraction_ids:
            pos = loaded.positions.get(int(aid))
            if pos is not None:
                out[int(aid)] = float(pct[pos])
        return out
