"""A seeded simulation of visitor behaviour, so the demo has history to learn from.

The demo catalogue has no real engagement. This module invents visitors and their
events, labelled ``simulated=True`` in every row, with three documented drivers:

1. **Interests drive categories.** Each visitor states 1-3 interests drawn from the
   catalogue's categories with probability proportional to ``category frequency **
   interest_frequency_exponent`` (1: common categories are likelier; 0: uniform, so
   rare categories such as castles still have fans). An attraction's appeal
   is multiplied by ``exp(interest_strength * n_matching_categories)``.
2. **Distance decay.** Each visitor has a base (a hotel near a random attraction, drawn
   with the ``base_weight`` column as weights when the catalogue has one: people stay
   where the well-known places are) and a travel mode; appeal is multiplied by
   ``exp(-km / reach_km[mode])``.
3. **Popularity.** Each attraction has a latent popularity (the ``popularity`` column,
   or a seeded log-normal draw) raised to ``popularity_exponent``.

Each visitor sees ``impressions_per_visitor`` attractions drawn by appeal; an
impression leads to a detail view with probability ``p_view * sqrt(appeal / max
appeal)``; a view leads to a media play, a save and a visit with probabilities
``p_media``, ``p_save`` and ``p_visit``, the last two scaled up by ``match_boost`` for
attractions matching the visitor's interests, and the visit (a physical trip) decaying
once more with distance, ``exp(-km / reach_km[mode])``. Same seed, same
catalogue -> same output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causeway.recommender.features import _tokens
from causeway.recommender.rerank import haversine_km

TRAVEL_MODES: tuple[str, ...] = ("foot", "transit", "car")
PARTY_TYPES: tuple[str, ...] = ("solo", "couple", "family", "group")


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of the behaviour model (see the module docstring)."""

    n_visitors: int = 500
    interest_strength: float = 1.5
    interest_frequency_exponent: float = 1.0
    popularity_exponent: float = 0.7
    reach_km: Mapping[str, float] = field(
        default_factory=lambda: {"foot": 1.5, "transit": 6.0, "car": 25.0})
    impressions_per_visitor: int = 30
    p_view: float = 0.6
    p_media: float = 0.3
    p_save: float = 0.15
    p_visit: float = 0.4
    match_boost: float = 2.0
    period_days: float = 180.0
    end: str = "2025-06-30T00:00:00Z"


def simulate_visitors(
    catalogue: pd.DataFrame, config: SimulationConfig = SimulationConfig(),
    *, seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate visitors and their engagement events over a catalogue.

    Parameters
    ----------
    catalogue
        One row per attraction with ``attraction_id``, ``categories`` (lists or
        ``"a|b"`` strings), ``lat``, ``lon`` and optionally ``popularity`` (> 0) and
        ``base_weight`` (> 0: how likely a visitor's base is near the attraction).
    config
        Behaviour knobs.
    seed
        Seed of the whole simulation.

    Returns
    -------
    visitors : DataFrame [n_visitors rows]
        ``visitor_id, interests, stay_days, travel_mode, party_type, base_lat, base_lon,
        simulated``.
    events : DataFrame
        ``event_id, visitor_id, attraction_id, event_type, timestamp, simulated``, sorted
        by time; ``event_type`` in impression, detail_view, media_play, save, visit.
    """
    if len(catalogue) == 0:
        raise ValueError("catalogue is empty.")
    rng = np.random.default_rng(seed)
    n_items = len(catalogue)
    ids = catalogue["attraction_id"].astype(str).to_numpy()
    cats = [set(_tokens(v)) for v in catalogue["categories"]]
    lats = catalogue["lat"].to_numpy(dtype=float)
    lons = catalogue["lon"].to_numpy(dtype=float)
    if "popularity" in catalogue.columns:
        pop = catalogue["popularity"].to_numpy(dtype=float)
    else:
        pop = rng.lognormal(mean=0.0, sigma=1.0, size=n_items)
    pop_term = np.power(pop / pop.max(), config.popularity_exponent)
    base_p = None
    if "base_weight" in catalogue.columns:
        weights = catalogue["base_weight"].to_numpy(dtype=float)
        base_p = weights / weights.sum()
    vocab = sorted(set().union(*cats)) if any(cats) else []
    cat_freq = np.array([sum(c in s for s in cats) for c in vocab], dtype=float)
    cat_freq = np.power(cat_freq, config.interest_frequency_exponent)
    end = pd.Timestamp(config.end)
    n_imp = min(config.impressions_per_visitor, n_items)

    visitors: list[dict[str, object]] = []
    events: list[tuple[str, str, str, pd.Timestamp]] = []
    for v in range(config.n_visitors):
        vid = f"sim-{v:06d}"
        n_int = int(rng.integers(1, 4)) if vocab else 0
        interests = (sorted(rng.choice(vocab, size=min(n_int, len(vocab)), replace=False,
                                       p=cat_freq / cat_freq.sum()).tolist()) if vocab else [])
        mode = str(rng.choice(TRAVEL_MODES, p=[0.5, 0.3, 0.2]))
        anchor = int(rng.integers(n_items)) if base_p is None else int(rng.choice(n_items, p=base_p))
        base_lat = lats[anchor] + rng.normal(0, 0.005)
        base_lon = lons[anchor] + rng.normal(0, 0.005)
        stay = int(rng.integers(1, 8))
        visitors.append({
            "visitor_id": vid, "interests": interests, "stay_days": stay,
            "travel_mode": mode, "party_type": str(rng.choice(PARTY_TYPES)),
            "base_lat": base_lat, "base_lon": base_lon, "simulated": True,
        })
        match = np.array([len(c & set(interests)) for c in cats], dtype=float)
        dist = haversine_km(base_lat, base_lon, lats, lons)
        appeal = (np.exp(config.interest_strength * match)
                  * np.exp(-dist / config.reach_km[mode]) * pop_term)
        appeal = appeal + 1e-12
        view_p = config.p_view * np.sqrt(appeal / appeal.max())
        reach = np.exp(-dist / config.reach_km[mode])
        seen = rng.choice(n_items, size=n_imp, replace=False, p=appeal / appeal.sum())
        start = end - pd.Timedelta(days=float(rng.uniform(0, config.period_days)))
        for pos, i in enumerate(seen):
            t = start + pd.Timedelta(minutes=float(pos * 3 + rng.uniform(0, 3)))
            events.append((vid, ids[i], "impression", t))
            if rng.random() >= view_p[i]:
                continue
            events.append((vid, ids[i], "detail_view", t + pd.Timedelta(seconds=20)))
            boost = config.match_boost if match[i] > 0 else 1.0
            if rng.random() < config.p_media:
                events.append((vid, ids[i], "media_play", t + pd.Timedelta(seconds=60)))
            if rng.random() < min(1.0, config.p_save * boost):
                events.append((vid, ids[i], "save", t + pd.Timedelta(seconds=90)))
            if rng.random() < min(1.0, config.p_visit * boost) * reach[i]:
                day = float(rng.integers(0, stay))
                events.append((vid, ids[i], "visit", t + pd.Timedelta(days=day, hours=2)))
    ev = pd.DataFrame(events, columns=["visitor_id", "attraction_id", "event_type", "timestamp"])
    ev = ev.sort_values(["timestamp", "visitor_id", "attraction_id"], kind="stable").reset_index(drop=True)
    ev.insert(0, "event_id", [f"sim-ev-{j:08d}" for j in range(len(ev))])
    ev["simulated"] = True
    return pd.DataFrame(visitors), ev
