"""Builders for the recommender tests: a tiny catalogue where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = ("history", "food", "art", "nature")


def make_items(n_per_category: int = 10, seed: int = 0) -> pd.DataFrame:
    """Items a0..aN, each in one category, spread over 3 areas, a third small providers."""
    rng = np.random.default_rng(seed)
    rows = []
    for c, cat in enumerate(CATEGORIES):
        for j in range(n_per_category):
            i = c * n_per_category + j
            rows.append({
                "attraction_id": f"a{i}", "categories": [cat], "area": f"area{i % 3}",
                "provider_id": f"p{i}", "provider_size": ("small", "medium", "large")[i % 3],
                "price_band": "free" if i % 2 else "paid", "indoor": bool(i % 2),
                "lat": 54.60 + rng.normal(0, 0.02), "lon": -5.93 + rng.normal(0, 0.03),
            })
    return pd.DataFrame(rows)


def make_events(items: pd.DataFrame, n_users: int = 60, per_user: int = 6,
                seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users u0.. each love one category and visit only its items (checkerboard data)."""
    rng = np.random.default_rng(seed)
    by_cat = {c: items.loc[items["categories"].map(lambda x, c=c: x[0] == c), "attraction_id"].tolist()
              for c in CATEGORIES}
    users, events = [], []
    for u in range(n_users):
        cat = CATEGORIES[u % len(CATEGORIES)]
        users.append({"visitor_id": f"u{u}", "interests": [cat], "stay_days": 1 + u % 5,
                      "travel_mode": "foot", "party_type": "couple"})
        for aid in rng.choice(by_cat[cat], size=per_user, replace=False):
            events.append({"visitor_id": f"u{u}", "attraction_id": aid, "event_type": "visit",
                           "timestamp": pd.Timestamp("2025-05-01", tz="UTC")
                           + pd.Timedelta(hours=int(rng.integers(0, 500)))})
    return pd.DataFrame(users), pd.DataFrame(events)


def category_of(items: pd.DataFrame) -> dict[str, str]:
    return dict(zip(items["attraction_id"], items["categories"].map(lambda x: x[0])))
