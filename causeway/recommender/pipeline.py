"""End to end: catalogue + events + profiles in, explained recommendations out.

:class:`RecommenderPipeline` ties the encoders, the event weighting, the hybrid model,
re-ranking and explanations together behind the two calls a service needs::

    pipe = RecommenderPipeline().fit(items, events, visitors)     # training job
    pipe.save(artifact_dir, metadata={...})
    pipe = RecommenderPipeline.load(artifact_dir)                 # API worker start-up
    recs = pipe.recommend(profile={"interests": ["history"], "stay_days": 3,
                                   "travel_mode": "foot"},
                          visitor_id="v-42", k=20, base=(54.597, -5.930), max_km=5)

``items`` columns: ``attraction_id, lat, lon`` plus any of ``categories, tags, area,
price_band, indoor, accessibility, provider_id, provider_size``. ``events`` columns:
``visitor_id, attraction_id, event_type, timestamp``. ``visitors`` columns:
``visitor_id`` plus any of ``interests, stay_days, travel_mode, party_type``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from causeway.recommender.explain import Reason, explain
from causeway.recommender.features import FeatureEncoder, item_encoder, user_encoder
from causeway.recommender.interactions import build_interactions
from causeway.recommender.model import HybridRecommender
from causeway.recommender.rerank import NO_RERANK, RerankConfig, filter_mask, haversine_km, rerank


@dataclass(frozen=True)
class Recommendation:
    """One recommended attraction with its score, position and reasons."""

    attraction_id: str
    rank: int
    score: float
    reasons: list[Reason] = field(default_factory=list)
    distance_km: float | None = None


class RecommenderPipeline:
    """Encoders + event weighting + :class:`HybridRecommender` + re-ranking + explanations.

    Parameters
    ----------
    model
        The (unfitted) hybrid with its hyperparameters; defaults to ``HybridRecommender()``.
    items_encoder, users_encoder
        Feature encoders; default to :func:`item_encoder` and :func:`user_encoder`.
    event_weights, half_life_days, max_weight
        Passed to :func:`~causeway.recommender.interactions.build_interactions`.
    """

    def __init__(
        self,
        model: HybridRecommender | None = None,
        items_encoder: FeatureEncoder | None = None,
        users_encoder: FeatureEncoder | None = None,
        *,
        event_weights: Mapping[str, float] | None = None,
        half_life_days: float | None = 90.0,
        max_weight: float = 10.0,
    ) -> None:
        self.model = model or HybridRecommender()
        self.items_encoder = items_encoder or item_encoder()
        self.users_encoder = users_encoder or user_encoder()
        self.event_weights = dict(event_weights) if event_weights else None
        self.half_life_days = half_life_days
        self.max_weight = max_weight
        self.item_ids_: np.ndarray = np.empty(0, dtype=str)
        self.item_lat_: np.ndarray = np.empty(0)
        self.item_lon_: np.ndarray = np.empty(0)
        self._user_pos: dict[str, int] | None = None
        #: Training popularity by attraction id (visitors who engaged), empty if unknown.
        self.popularity_: dict[str, float] = {}

    # ------------------------------------------------------------------ train
    def fit(self, items: pd.DataFrame, events: pd.DataFrame,
            visitors: pd.DataFrame | None = None,
            now: pd.Timestamp | float | None = None) -> RecommenderPipeline:
        """Fit encoders on the catalogue and visitors, weight events, train the model."""
        iid = self.items_encoder.id_column
        uid = self.users_encoder.id_column
        item_frame = items.reset_index(drop=True)
        event_users = pd.Index(events[uid].astype(str).unique())
        if visitors is None:
            visitors = pd.DataFrame({uid: event_users})
        else:
            visitors = visitors.assign(**{uid: visitors[uid].astype(str)})
            missing = event_users.difference(pd.Index(visitors[uid]))
            visitors = pd.concat([visitors, pd.DataFrame({uid: missing})], ignore_index=True)
        visitors = visitors.reset_index(drop=True)
        itf = self.items_encoder.fit_transform(item_frame)
        uf = self.users_encoder.fit_transform(visitors)
        user_index = {u: r for r, u in enumerate(visitors[uid].astype(str))}
        item_index = {i: r for r, i in enumerate(item_frame[iid].astype(str))}
        inter, weight = build_interactions(
            events, user_index, item_index, weights=self.event_weights,
            half_life_days=self.half_life_days, now=now, max_weight=self.max_weight,
            user_column=uid, item_column=iid)
        self.model.fit(inter, user_features=uf, item_features=itf, sample_weight=weight)
        # Visitors who engaged with each attraction: the popularity prior of the served list.
        self.popularity_ = dict(zip(item_frame[iid].astype(str),
                                    np.asarray(inter.tocsr().getnnz(axis=0), dtype=np.float64)))
        self._user_pos = None
        self.model.metadata["simulated_events"] = bool(
            "simulated" in events.columns and events["simulated"].astype(bool).any())
        self.model.metadata["n_events"] = int(len(events))
        self._set_catalogue_arrays(item_frame)
        return self

    def set_catalogue(self, items: pd.DataFrame) -> None:
        """Replace the serving catalogue (new or changed attractions) without retraining.

        New attractions are encoded with the training vocabulary and scored from their
        features (cold start); removed ones simply disappear.
        """
        frame = items.reset_index(drop=True)
        self.model.set_items(self.items_encoder.transform(frame))
        self._set_catalogue_arrays(frame)

    def _set_catalogue_arrays(self, frame: pd.DataFrame) -> None:
        self.item_ids_ = frame[self.items_encoder.id_column].astype(str).to_numpy()
        n = len(frame)
        self.item_lat_ = (frame["lat"].to_numpy(dtype=float) if "lat" in frame.columns
                          else np.full(n, np.nan))
        self.item_lon_ = (frame["lon"].to_numpy(dtype=float) if "lon" in frame.columns
                          else np.full(n, np.nan))
        self._item_pos = {i: r for r, i in enumerate(self.item_ids_)}
        itf = self.model.item_features_
        assert itf is not None
        names = self.items_encoder.feature_names
        cat_cols = [j for j, nm in enumerate(names) if nm.startswith("categories:")]
        # Dense (a few dozen categories): the re-ranker slices it on every request.
        self.item_categories_: np.ndarray | None = (
            (itf[:, cat_cols] > 0).toarray().astype(np.float32) if cat_cols else None)
        area_cols = [j for j, nm in enumerate(names) if nm.startswith("area:")]
        if area_cols:
            area = (itf[:, area_cols] > 0).toarray()
            self.item_areas_: np.ndarray | None = np.where(area.any(axis=1), area.argmax(axis=1), -1)
        else:
            self.item_areas_ = None
        # Small providers from the catalogue itself, not the model's vocabulary: a small
        # provider that joined after training is still one (and a model trained on a
        # catalogue without any would otherwise disable fairness for good).
        if "provider_size" in frame.columns:
            self.item_small_: np.ndarray | None = (frame["provider_size"].astype(str)
                                                   == "small").to_numpy()
        else:
            small = self.items_encoder.vocabulary_.get("provider_size:small")
            self.item_small_ = (np.asarray((itf[:, small] > 0).toarray()).ravel()
                                if small is not None else None)
        self.item_popularity_: np.ndarray | None = (
            np.array([self.popularity_.get(i, 0.0) for i in self.item_ids_], dtype=np.float64)
            if self.popularity_ else None)

    # ------------------------------------------------------------------ serve
    def visitor_features(self, profile: Mapping[str, Any] | None = None,
                         visitor_id: str | None = None) -> sp.csr_matrix:
        """Feature row [1, n_user_features] for a visitor.

        A known visitor without a new profile keeps their training row; otherwise the row
        is built from the profile plus, for a known visitor, their identity feature. A new
        visitor with no profile gets an empty row (popularity-like ranking from biases).
        """
        uid = self.users_encoder.id_column
        known = visitor_id is not None and f"id:{visitor_id}" in self.users_encoder.vocabulary_
        if profile is None and known:
            user_pos = getattr(self, "_user_pos", None)
            if user_pos is None:
                user_pos = self._user_pos = self.users_encoder.id_index()
            pos = user_pos[str(visitor_id)]
            return self.model.known_user_features([pos])
        record = dict(profile or {})
        record[uid] = visitor_id
        return self.users_encoder.transform_records([record])

    def distances_km(self, base: tuple[float, float]) -> np.ndarray:
        """Distance [n_items] in km from a (lat, lon) base to every attraction."""
        return haversine_km(base[0], base[1], self.item_lat_, self.item_lon_)

    def recommend(
        self,
        profile: Mapping[str, Any] | None = None,
        visitor_id: str | None = None,
        *,
        k: int = 10,
        base: tuple[float, float] | None = None,
        max_km: float | None = None,
        open_during_stay: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
        allowed: np.ndarray | None = None,
        exclude_ids: Sequence[str] = (),
        rerank_config: RerankConfig | None = RerankConfig(),
        explain_top: int = 3,
        near_km: float = 2.0,
        score_adjust: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> list[Recommendation]:
        """Ranked, filtered, re-ranked and explained recommendations for one visitor.

        ``open_during_stay`` and ``allowed`` are bool masks over the catalogue in
        :attr:`item_ids_` order (or a callable on indices); ``max_km`` needs ``base``.
        ``rerank_config=None`` returns the plain top-``k`` by score. ``score_adjust`` maps
        the model's scores [n_items] to the scores used for ranking (a serving-time prior,
        such as an explicit boost for stated interests).
        """
        uvec = self.model.user_vectors(self.visitor_features(profile, visitor_id))[0]
        scores = self.model.score_vector(uvec)
        if score_adjust is not None:
            scores = score_adjust(scores)
        dist = self.distances_km(base) if base is not None else None
        if max_km is not None and dist is None:
            raise ValueError("max_km needs base=(lat, lon).")
        mask = filter_mask(len(scores), open_during_stay=open_during_stay,
                           distances_km=dist, max_km=max_km, allowed=allowed)
        for aid in exclude_ids:
            pos = self._item_pos.get(str(aid))
            if pos is not None:
                mask[pos] = False
        picked = rerank(scores, k, item_categories=self.item_categories_,
                        item_areas=self.item_areas_, small_provider=self.item_small_,
                        mask=mask, config=rerank_config or NO_RERANK)
        reasons: list[list[Reason]] = [[] for _ in picked]
        if explain_top > 0:
            m = self.model
            assert m.item_embeddings_ is not None and m.item_biases_ is not None
            assert m.item_features_ is not None
            reasons = explain(uvec, picked, m.item_features_, m.item_embeddings_,
                              m.item_biases_, self.items_encoder.feature_names,
                              top_n=explain_top, distances_km=dist, near_km=near_km)
        return [
            Recommendation(attraction_id=str(self.item_ids_[i]), rank=r + 1,
                           score=float(scores[i]), reasons=reasons[r],
                           distance_km=None if dist is None else float(dist[i]))
            for r, i in enumerate(picked)
        ]

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path, *, metadata: Mapping[str, Any] | None = None,
             metrics: Mapping[str, Any] | None = None) -> Path:
        """Write the artifact directory: the model's files plus ``pipeline.json``."""
        pop_ids = np.array(list(self.popularity_), dtype=str)
        out = self.model.save(path, metadata=metadata, metrics=metrics, extra_arrays={
            "item_ids": self.item_ids_.astype(str), "item_lat": self.item_lat_,
            "item_lon": self.item_lon_, "popularity_ids": pop_ids,
            "popularity": np.array([self.popularity_[i] for i in pop_ids], dtype=np.float64)})
        state = {
            "items_encoder": self.items_encoder.to_dict(),
            "users_encoder": self.users_encoder.to_dict(),
            "event_weights": self.event_weights, "half_life_days": self.half_life_days,
            "max_weight": self.max_weight,
        }
        (out / "pipeline.json").write_text(json.dumps(state))
        return out

    @classmethod
    def load(cls, path: str | Path) -> RecommenderPipeline:
        """Load a directory written by :meth:`save`."""
        src = Path(path)
        state = json.loads((src / "pipeline.json").read_text())
        model = HybridRecommender.load(src)
        pipe = cls(model, FeatureEncoder.from_dict(state["items_encoder"]),
                   FeatureEncoder.from_dict(state["users_encoder"]),
                   event_weights=state["event_weights"],
                   half_life_days=state["half_life_days"], max_weight=state["max_weight"])
        extra = model.extra_arrays
        if "popularity_ids" in extra:  # artifacts from before the served prior have none
            pipe.popularity_ = dict(zip(extra["popularity_ids"].astype(str),
                                        extra["popularity"].astype(np.float64)))
        frame = pd.DataFrame({pipe.items_encoder.id_column: extra["item_ids"],
                              "lat": extra["item_lat"], "lon": extra["item_lon"]})
        pipe._set_catalogue_arrays(frame)
        return pipe
