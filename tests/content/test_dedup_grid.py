"""Duplicate detection through the grid finds exactly the pairs a scan of every record finds."""

from __future__ import annotations

import random

from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content import providers
from causeway.content.dedup import Thresholds, find_candidates, names_similarity
from causeway.content.models import Attraction, DuplicateCandidate


def _brute_force(session: Session, mine: list[Attraction], t: Thresholds) -> set[tuple[int, int]]:
    everyone = list(session.scalars(select(Attraction)))
    pairs = set()
    for a in mine:
        for b in everyone:
            if b.provider_id == a.provider_id:
                continue
            if geodesic((a.lat, a.lon), (b.lat, b.lon)).meters <= t.max_distance_m and \
                    names_similarity(a.name, b.name) >= t.min_name_similarity:
                pairs.add((min(a.id, b.id), max(a.id, b.id)))
    return pairs


def test_grid_finds_the_same_pairs_as_a_full_scan(session: Session) -> None:
    rng = random.Random(7)
    p1 = providers.create(session, slug="council", name="Council", size_class="large")
    p2 = providers.create(session, slug="venue", name="Venue", size_class="small")
    names = ["Old Mill", "Harbour View", "Castle Ward", "Glen Falls", "Abbey Gardens"]
    # Clusters at 54.6N, near the antimeridian and near the pole, where cells are widest.
    centres = [(54.6, -5.9), (10.0, 179.995), (-10.0, -179.995), (88.9, 20.0), (0.0, 0.0)]
    theirs, mine = [], []
    for provider, out in ((p1, theirs), (p2, mine)):
        for i in range(120):
            lat0, lon0 = rng.choice(centres)
            lon = lon0 + rng.uniform(-0.03, 0.03)
            lon = (lon + 180) % 360 - 180
            att = Attraction(provider_id=provider.id, external_id=f"{provider.slug}-{i}",
                             name={"en": rng.choice(names)}, lat=lat0 + rng.uniform(-0.02, 0.02), lon=lon,
                             source="test", sort_name="x", search_text="x", status="published", version=1,
                             content_hash="x")
            session.add(att)
            out.append(att)
    session.flush()
    t = Thresholds(max_distance_m=1500, min_name_similarity=0.85)
    expected = _brute_force(session, mine, t)
    found = {(c.attraction_a_id, c.attraction_b_id) for c in find_candidates(session, mine, t)}
    assert len(expected) > 50 and found == expected
    # Known pairs are not recorded twice.
    assert find_candidates(session, mine, t) == []
    assert len(list(session.scalars(select(DuplicateCandidate)))) == len(expected)
