"""Duplicate detection across providers: name similarity plus geodesic distance (geopy).

The same place often arrives twice: a council's feed and the venue's own JSON-LD. Pairs that
are close on the ground and similar in name become :class:`DuplicateCandidate` rows for the
board to merge or dismiss; nothing is merged automatically.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from geopy.distance import geodesic
from rapidfuzz import fuzz
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from causeway.content.geo import haversine_km
from causeway.content.models import Attraction, DuplicateCandidate, Status

_STOP = {"the", "of", "and", "a", "an", "at", "in", "on"}


def normalise_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ").replace("'", "")
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _STOP]
    return " ".join(words)


def names_similarity(a: dict[str, str], b: dict[str, str]) -> float:
    """Best token-set similarity (0..1) between two names given in any languages."""
    best = 0.0
    for name_a in a.values():
        for name_b in b.values():
            na, nb = normalise_name(name_a), normalise_name(name_b)
            if na and nb:
                best = max(best, fuzz.token_set_ratio(na, nb) / 100.0)
    return best


@dataclass(frozen=True)
class Thresholds:
    max_distance_m: float = 1500.0
    min_name_similarity: float = 0.85


def find_candidates(session: Session, attractions: Iterable[Attraction],
                    thresholds: Thresholds) -> list[DuplicateCandidate]:
    """Record new candidate pairs between ``attractions`` and other providers' records.

    One query loads the other records' positions and names; a numpy haversine pass keeps
    those near enough, and geopy's geodesic decides against the threshold in metres.
    """
    mine = [a for a in attractions if a.status != Status.archived.value and a.merged_into_id is None]
    if not mine:
        return []
    others = session.execute(select(Attraction.id, Attraction.provider_id, Attraction.lat,
                                    Attraction.lon, Attraction.name).where(
        Attraction.status != Status.archived.value, Attraction.merged_into_id.is_(None))).all()
    if not others:
        return []
    lats = np.fromiter((o.lat for o in others), float, len(others))
    lons = np.fromiter((o.lon for o in others), float, len(others))
    ids = [a.id for a in mine]
    known = {(a, b) for a, b in session.execute(select(
        DuplicateCandidate.attraction_a_id, DuplicateCandidate.attraction_b_id).where(
        or_(DuplicateCandidate.attraction_a_id.in_(ids), DuplicateCandidate.attraction_b_id.in_(ids))))}
    reach_km = thresholds.max_distance_m / 1000.0 * 1.01  # haversine vs ellipsoid margin
    created: list[DuplicateCandidate] = []
    for att in mine:
        near = np.nonzero(haversine_km(att.lat, att.lon, lats, lons) <= reach_km)[0]
        for i in near:
            other = others[int(i)]
            if other.provider_id == att.provider_id:
                continue
            pair = (min(att.id, other.id), max(att.id, other.id))
            if pair in known:
                continue
            distance = geodesic((att.lat, att.lon), (other.lat, other.lon)).meters
            if distance > thresholds.max_distance_m:
                continue
            similarity = names_similarity(att.name, other.name)
            if similarity < thresholds.min_name_similarity:
                continue
            known.add(pair)
            cand = DuplicateCandidate(attraction_a_id=pair[0], attraction_b_id=pair[1],
                                      name_similarity=round(similarity, 3),
                                      distance_m=round(distance, 1))
            session.add(cand)
            created.append(cand)
    session.flush()
    return created


class DuplicateError(Exception):
    """A merge or dismissal that cannot be done (unknown pair, already decided)."""


_FILLABLE = ("opening_hours", "visit_minutes")


def merge(session: Session, candidate: DuplicateCandidate, *, keep_id: int, decided_by: str) -> Attraction:
    """Merge the pair into ``keep_id``: the other record is archived and points at it.

    The kept record gains what only the other had (languages of name and description,
    website, image, Wikidata id) and replaces its category defaults with the other's
    provider-supplied opening hours or visit length. Both provenances stay listed.
    """
    if candidate.status != "pending":
        raise DuplicateError(f"candidate {candidate.id} is already {candidate.status}")
    if keep_id not in (candidate.attraction_a_id, candidate.attraction_b_id):
        raise DuplicateError(f"attraction {keep_id} is not part of candidate {candidate.id}")
    keep, gone = ((candidate.attraction_a, candidate.attraction_b)
                  if keep_id == candidate.attraction_a_id else (candidate.attraction_b, candidate.attraction_a))
    keep.name = {**gone.name, **keep.name}
    keep.description = {**gone.description, **keep.description}
    for attr in ("website", "image_url", "wikidata", "address", "postcode", "town"):
        if getattr(keep, attr) is None and getattr(gone, attr) is not None:
            setattr(keep, attr, getattr(gone, attr))
    defaults = dict(keep.defaults_applied)
    for attr in _FILLABLE:
        if attr in defaults and attr not in gone.defaults_applied:
            setattr(keep, attr, getattr(gone, attr))
            defaults.pop(attr)
    keep.defaults_applied = defaults
    keep.version += 1
    gone.merged_into_id = keep.id
    gone.status = Status.archived.value
    gone.version += 1
    now = dt.datetime.now(dt.UTC)
    candidate.status, candidate.decided_by, candidate.decided_at = "merged", decided_by, now
    # Other open pairs that involve the archived record are moot now.
    for other in session.scalars(select(DuplicateCandidate).where(
            DuplicateCandidate.status == "pending", DuplicateCandidate.id != candidate.id,
            or_(DuplicateCandidate.attraction_a_id == gone.id,
                DuplicateCandidate.attraction_b_id == gone.id))):
        other.status, other.decided_by, other.decided_at = "dismissed", f"merge:{candidate.id}", now
    session.flush()
    session.expire(keep, ["merged"])  # the collection was loaded before the merge
    return keep


def dismiss(session: Session, candidate: DuplicateCandidate, *, decided_by: str) -> None:
    if candidate.status != "pending":
        raise DuplicateError(f"candidate {candidate.id} is already {candidate.status}")
    candidate.status, candidate.decided_by = "dismissed", decided_by
    candidate.decided_at = dt.datetime.now(dt.UTC)
    session.flush()

