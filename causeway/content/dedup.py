"""Duplicate detection across providers: name similarity plus geodesic distance (geopy).

The same place often arrives twice: a council's feed and the venue's own JSON-LD. Pairs that
are close on the ground and similar in name become :class:`DuplicateCandidate` rows for the
board to merge or dismiss; nothing is merged automatically.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from geopy.distance import geodesic
from rapidfuzz import fuzz
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from causeway.geo import haversine_km
from causeway.content.media.models import MediaAsset
from causeway.content.models import Attraction, DuplicateCandidate, Status
from causeway.content.revisions import EDITABLE, changed, live_fields, record, write

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


class _Grid:
    """Points bucketed in cells at least ``reach_km`` across, so a point's neighbours within
    ``reach_km`` are all in its own and the eight surrounding cells: finding the near pairs
    of n records costs O(n) for a bounded density, not O(n x catalogue)."""

    def __init__(self, lats: np.ndarray, lons: np.ndarray, reach_km: float) -> None:
        # Generous cells (a haversine degree of latitude is 111.19 km): a miss would lose a pair.
        self.dlat = reach_km / 110.0
        # A degree of longitude shrinks with latitude: size the cells for the highest latitude
        # (plus a cell), and shorter still, as a great circle is shorter than the parallel.
        top = min(89.0, (float(np.max(np.abs(lats))) if len(lats) else 0.0) + self.dlat)
        self.dlon = min(360.0, reach_km / (100.0 * math.cos(math.radians(top))))
        self.columns = max(1, int(360.0 // self.dlon))
        self.cells: dict[tuple[int, int], list[int]] = {}
        rows, cols = self._cell(lats, lons)
        for i, key in enumerate(zip(rows.tolist(), cols.tolist())):
            self.cells.setdefault(key, []).append(i)

    def _cell(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.floor(np.asarray(lats) / self.dlat).astype(np.int64)
        cols = np.floor((np.asarray(lons) + 180.0) / (360.0 / self.columns)).astype(np.int64) % self.columns
        return rows, cols

    def around(self, lat: float, lon: float) -> list[int]:
        row, col = (int(v[0]) for v in self._cell(np.array([lat]), np.array([lon])))
        found: list[int] = []
        for r in (row - 1, row, row + 1):
            for c in {(col - 1) % self.columns, col, (col + 1) % self.columns}:  # wraps at 180 degrees
                found.extend(self.cells.get((r, c), ()))
        return found


def find_candidates(session: Session, attractions: Iterable[Attraction],
                    thresholds: Thresholds) -> list[DuplicateCandidate]:
    """Record new candidate pairs between ``attractions`` and other providers' records.

    One query loads the other records' positions and names into a grid of cells as wide as
    the distance threshold; each record is compared (numpy haversine) only with the records
    of the cells around it, and geopy's geodesic decides against the threshold in metres.
    Linear in the number of records for a bounded density of places.
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
    providers = np.fromiter((o.provider_id for o in others), np.int64, len(others))
    reach_km = thresholds.max_distance_m / 1000.0 * 1.01  # haversine vs ellipsoid margin
    grid = _Grid(lats, lons, reach_km)
    pairs: list[tuple[Attraction, Any, float]] = []
    for att in mine:
        near = np.asarray(grid.around(att.lat, att.lon), dtype=np.int64)
        if not len(near):
            continue
        near = near[providers[near] != att.provider_id]
        near = near[haversine_km(att.lat, att.lon, lats[near], lons[near]) <= reach_km]
        for i in near.tolist():
            other = others[i]
            distance = geodesic((att.lat, att.lon), (other.lat, other.lon)).meters
            if distance <= thresholds.max_distance_m:
                pairs.append((att, other, distance))
    if not pairs:
        return []
    known = _known_pairs(session, sorted({a.id for a, _, _ in pairs}))
    created: list[DuplicateCandidate] = []
    for att, other, distance in pairs:
        pair = (min(att.id, other.id), max(att.id, other.id))
        if pair in known:
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


def _known_pairs(session: Session, ids: list[int], chunk: int = 500) -> set[tuple[int, int]]:
    """The candidate pairs already recorded for ``ids`` (in chunks: bound parameters are limited)."""
    known: set[tuple[int, int]] = set()
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        known.update((a, b) for a, b in session.execute(select(
            DuplicateCandidate.attraction_a_id, DuplicateCandidate.attraction_b_id).where(
            or_(DuplicateCandidate.attraction_a_id.in_(part), DuplicateCandidate.attraction_b_id.in_(part)))))
    return known


class DuplicateError(Exception):
    """A merge or dismissal that cannot be done (unknown pair, already decided)."""


# What a merge can take from either record (the revision vocabulary, plus the Wikidata id).
MERGEABLE = (*EDITABLE, "wikidata")
_TEXTS = ("name", "description")
_UNKNOWN = {"price_band": "unknown", "wheelchair": "unknown"}


def values_of(att: Attraction) -> dict[str, Any]:
    return {**live_fields(att), "wikidata": att.wikidata}


def lacks(att: Attraction, field: str) -> bool:
    """The record has no value of its own for ``field``: empty, unknown, or a category default."""
    value = values_of(att)[field]
    if field in (att.defaults_applied or {}):
        return True
    return value in (None, "", [], {}) or _UNKNOWN.get(field) == value


def merged_values(keep: Attraction, other: Attraction,
                  take: dict[str, int]) -> tuple[dict[str, Any], dict[str, Attraction]]:
    """What the kept record holds after the merge, field by field.

    A field named in ``take`` has the value of the record it names; any other field keeps the
    kept record's value unless the kept record lacks one (empty, unknown, a category default)
    and the other has its own. Names and descriptions are merged per language, the chosen
    record winning where both have a language, so no language is lost. Also returns, for each
    field, the record its value came from.
    """
    mine, theirs = values_of(keep), values_of(other)
    out: dict[str, Any] = {}
    source: dict[str, Attraction] = {}
    for field in MERGEABLE:
        named = "location" if field in ("lat", "lon") else field
        from_other = (take[named] == other.id) if named in take else (
            lacks(keep, field) and not lacks(other, field))
        source[field] = other if from_other else keep
        if field in _TEXTS:
            out[field] = {**mine[field], **theirs[field]} if from_other else {**theirs[field], **mine[field]}
        else:
            out[field] = theirs[field] if from_other else mine[field]
    return out, source


class MergeInvalid(ValueError):
    """A merge request naming unknown fields or records outside the pair."""


def merge(session: Session, candidate: DuplicateCandidate, *, keep_id: int, decided_by: str,
          take: dict[str, int] | None = None) -> Attraction:
    """Merge the pair into ``keep_id`` in the caller's transaction; nothing is lost.

    The kept record takes every field of ``take`` (field -> id of the record to take it
    from; ``location`` for lat and lon) and fills the fields it lacks from the other (see
    :func:`merged_values`). The other record is archived and points at it (its id then
    shows the kept record); its media move to the kept record, both provenances stay
    listed, and the change is recorded as an approved ``merge`` revision of the kept record.
    """
    take = dict(take or {})
    if candidate.status != "pending":
        raise DuplicateError(f"candidate {candidate.id} is already {candidate.status}")
    if keep_id not in (candidate.attraction_a_id, candidate.attraction_b_id):
        raise DuplicateError(f"attraction {keep_id} is not part of candidate {candidate.id}")
    unknown = sorted(set(take) - set(MERGEABLE) - {"location"})
    if unknown:
        raise MergeInvalid(f"cannot take {', '.join(unknown)}; fields are {', '.join((*MERGEABLE, 'location'))}")
    outside = sorted(f for f, v in take.items() if v not in (candidate.attraction_a_id, candidate.attraction_b_id))
    if outside:
        raise MergeInvalid(f"take {', '.join(outside)} from {candidate.attraction_a_id} or {candidate.attraction_b_id}")
    keep, gone = ((candidate.attraction_a, candidate.attraction_b)
                  if keep_id == candidate.attraction_a_id else (candidate.attraction_b, candidate.attraction_a))
    values, source = merged_values(keep, gone, take)
    before = live_fields(keep)
    # An estimate (category default) stays one only if the value came from the record where it was.
    estimated = {field: origin for field, origin in (keep.defaults_applied or {}).items()
                 if source.get(field, keep) is keep}
    estimated.update({field: origin for field, origin in (gone.defaults_applied or {}).items()
                      if source.get(field) is gone})
    keep.wikidata = values.pop("wikidata")
    write(keep, changed(keep, values))
    keep.defaults_applied = estimated
    keep.version += 1
    record(session, keep, before, kind="merge", author=decided_by)
    gone.merged_into_id = keep.id
    gone.status = Status.archived.value
    gone.version += 1
    last = session.scalar(select(func.max(MediaAsset.position)).where(MediaAsset.attraction_id == keep.id))
    for asset in session.scalars(select(MediaAsset).where(MediaAsset.attraction_id == gone.id)
                                 .order_by(MediaAsset.position, MediaAsset.id)):
        last = (last if last is not None else -1) + 1
        asset.attraction_id, asset.position = keep.id, last
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

