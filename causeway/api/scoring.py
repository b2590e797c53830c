"""How much a visitor would like each attraction, for the itinerary planner.

The trained recommender, when the app has one (``state.recommender``), answers. Without a
model (none trained yet, or it does not know an attraction) a transparent fallback does:

    score = 0.15 + 0.60 × interest + 0.25 × popularity

``interest`` is 1 when one of the attraction's categories is among the visitor's stated
interests and 0 otherwise (0.5 for everyone when no interests are stated); ``popularity`` is
log(1 + visits and saves) / log(1 + the most any attraction has), from the engagement events
(0.5 for everyone while there are none). The floor keeps every place worth a visit when time
is left over. The itinerary service then applies the visitor's explicit wishes
(``causeway.itineraries.candidates.apply_wishes``: must-sees to the top, exclusions out).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from causeway.analytics.models import Event, EventType
from causeway.content.models import AttractionCategory

log = logging.getLogger("causeway.api.scoring")

FLOOR, INTEREST, POPULARITY = 0.15, 0.60, 0.25
POPULAR_EVENTS = (EventType.visit.value, EventType.save.value)
_POPULARITY_KEY = "scoring:popularity:v1"


def popularity_counts(db: Session, state: Any = None) -> dict[int, int]:
    """Visits and saves per attraction, cached for ``settings.popularity_cache_seconds``."""
    cache = getattr(state, "cache", None)
    settings = getattr(state, "settings", None)
    ttl = getattr(settings, "popularity_cache_seconds", 0)
    if cache is not None and ttl > 0:
        raw = cache.get(_POPULARITY_KEY)
        if raw is not None:
            return {int(k): v for k, v in json.loads(raw).items()}
    rows = db.execute(select(Event.attraction_id, func.count()).where(
        Event.type.in_(POPULAR_EVENTS), Event.attraction_id.is_not(None)).group_by(Event.attraction_id))
    counts = {int(aid): int(n) for aid, n in rows if aid is not None}
    if cache is not None and ttl > 0:
        cache.set(_POPULARITY_KEY, json.dumps(counts).encode(), ttl)
    return counts


def fallback_scores(db: Session, *, profile: dict, attraction_ids: Sequence[int],
                    counts: dict[int, int]) -> dict[int, float]:
    """Stated interests and popularity (see the module docstring)."""
    ids = list(attraction_ids)
    interests = set(profile.get("interests") or [])
    liked: set[int] = set()
    if interests and ids:
        # By category only (no list of ids in the query): the interests are few, the ids many.
        liked = set(db.scalars(select(AttractionCategory.attraction_id).where(
            AttractionCategory.category.in_(sorted(interests)))))
    top = max(counts.values(), default=0)
    out: dict[int, float] = {}
    for aid in ids:
        interest = (1.0 if aid in liked else 0.0) if interests else 0.5
        pop = math.log1p(counts.get(aid, 0)) / math.log1p(top) if top else 0.5
        out[aid] = FLOOR + INTEREST * interest + POPULARITY * pop
    return out


def score_attractions(state: Any, db: Session, *, visitor_id: int | None, profile: dict,
                      attraction_ids: list[int]) -> dict[int, float]:
    """Score in [0, 1] per attraction id for this visitor (see the module docstring)."""
    scores: dict[int, float] = {}
    recommender = getattr(state, "recommender", None)
    if recommender is not None:
        try:
            scores = {int(k): float(v) for k, v in recommender.score(
                profile=profile, visitor_id=visitor_id, attraction_ids=attraction_ids).items()}
        except RuntimeError as exc:  # e.g. no model trained yet: the fallback answers
            log.info("recommender unavailable for itinerary scores (%s); using the fallback", exc)
            scores = {}
    missing = [i for i in attraction_ids if i not in scores]
    if missing:
        counts = popularity_counts(db, state)
        scores.update(fallback_scores(db, profile=profile, attraction_ids=missing, counts=counts))
    return scores
