"""The demo catalogue: a curated core of Northern Ireland's visitor attractions written by the
board, and real open data (OGL v3.0), each loaded as its own provider.

See README.md in this folder for provenance, licence and where each default comes from.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content import dedup, providers
from causeway.content.dedup import Thresholds
from causeway.geo import haversine_km
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import ImportReport, run_import
from causeway.content.models import Attraction, DuplicateCandidate, Provider

HERE = Path(__file__).parent
DECISIONS = HERE / "board-decisions.json"
BOARD = "board:demo"


@dataclass(frozen=True)
class DemoFeed:
    slug: str
    name: str
    size_class: str
    website: str | None
    file: str
    mapping: str
    keep: str | None = None  # a file of the external ids to load (the rest of the source is left out)
    id_column: str | None = None  # the CSV column ``keep`` (or ``only``) names
    only: tuple[str, ...] | None = None  # the external ids to load, given inline


FEEDS = [
    DemoFeed("causeway-coast-glens", "Causeway Coast and Glens Borough Council", "medium",
             "https://www.causewaycoastandglens.gov.uk", "causeway-coast-and-glens-places.geojson",
             "ccg.mapping.json"),
    DemoFeed("dfc-historic-environment", "Department for Communities, Historic Environment Division",
             "large", "https://www.communities-ni.gov.uk", "historic-parks-and-gardens.csv",
             "parks.mapping.json", keep="parks-public-access.txt", id_column="ref_no"),
    DemoFeed("dfc-scheduled-monuments",
             "Department for Communities, Historic Environment Division: scheduled monuments", "large",
             "https://www.communities-ni.gov.uk", "scheduled-monuments.csv", "monuments.mapping.json"),
    DemoFeed("causeway-board", "Curated by the board", "large", None, "curated-core.csv", "curated.mapping.json"),
]
# Small providers: galleries, community museums, family-run places and a mural tour, each its
# own provider (size class small) with a one-row feed written by the board from public
# information, standing in for the venue's own (see README.md).
SMALL_VENUES = [
    ("golden-thread-gallery", "Golden Thread Gallery", "https://goldenthreadgallery.co.uk"),
    ("belfast-exposed", "Belfast Exposed", "https://www.belfastexposed.org"),
    ("void-gallery", "Void Gallery", "https://www.derryvoid.com"),
    ("museum-of-free-derry", "Museum of Free Derry (Bloody Sunday Trust)", "https://museumoffreederry.org"),
    ("eileen-hickey-museum", "Eileen Hickey Irish Republican History Museum", None),
    ("coiste-political-tour", "Coiste Irish Political Tours", "https://www.coiste.ie"),
    ("hilden-brewery", "Hilden Brewery", "https://www.hildenbrewery.co.uk"),
    ("morellis-portstewart", "Morelli's of Portstewart", None),
    ("ursa-minor-bakehouse", "Ursa Minor Bakehouse", None),
    ("flame-gasworks-museum", "Flame! The Gasworks Museum of Ireland", None),
]
FEEDS += [DemoFeed(slug, name, "small", website, "small-venues.csv", "curated.mapping.json",
                   id_column="id", only=(slug,)) for slug, name, website in SMALL_VENUES]


@dataclass
class Decisions:
    """What the board's recorded decisions did on this load."""

    merged: int = 0
    dismissed: int = 0
    already: int = 0
    missing: list[str] = field(default_factory=list)


def keep_ids(feed: DemoFeed) -> set[str] | None:
    if feed.only is not None:
        return set(feed.only)
    if feed.keep is None:
        return None
    lines = (HERE / feed.keep).read_text(encoding="utf-8").splitlines()
    return {ln.split()[0] for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}


def feed_bytes(feed: DemoFeed) -> bytes:
    """The feed as imported: the source file, less the rows its keep-list leaves out."""
    data = (HERE / feed.file).read_bytes()
    wanted = keep_ids(feed)
    if wanted is None:
        return data
    assert feed.id_column is not None
    text = data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(row for row in reader if row[feed.id_column] in wanted)
    return out.getvalue().encode("utf-8")


class Loaded(list[ImportReport]):
    """The import reports, one a feed, and what the board's decisions did."""

    decisions: Decisions


def load(session: Session, thresholds: Thresholds = Thresholds()) -> Loaded:
    """Import every demo feed through the normal ingestion path, then apply the board's
    recorded duplicate decisions (idempotent; see :func:`apply_decisions`).

    The demo's providers are public bodies the board trusts and the board itself: their
    records are published at once (see the publication rule in causeway.content.revisions)."""
    reports = Loaded()
    for feed in FEEDS:
        provider = providers.get_or_create(session, slug=feed.slug, name=feed.name,
                                           size_class=feed.size_class, website=feed.website,
                                           trusted=True)
        reports.append(run_import(
            session, provider, feed_bytes(feed), source=feed.file,
            mapping=Mapping.load(HERE / feed.mapping), thresholds=thresholds))
    reports.decisions = apply_decisions(session)
    return reports


def _record(session: Session, ref: str) -> Attraction | None:
    slug, _, external_id = ref.partition("/")
    return session.scalar(select(Attraction).join(Provider).where(
        Provider.slug == slug, Attraction.external_id == external_id))


def _pair(session: Session, a: Attraction, b: Attraction) -> DuplicateCandidate:
    """The candidate for the pair: the one dedup found, or one the board records by hand
    (a pair the thresholds miss, e.g. a demesne whose register point is 1.6 km from the gate)."""
    lo, hi = sorted((a.id, b.id))
    cand = session.scalar(select(DuplicateCandidate).where(
        DuplicateCandidate.attraction_a_id == lo, DuplicateCandidate.attraction_b_id == hi))
    if cand is None:
        cand = DuplicateCandidate(
            attraction_a_id=lo, attraction_b_id=hi,
            name_similarity=round(dedup.names_similarity(a.name, b.name), 3),
            distance_m=round(float(haversine_km(a.lat, a.lon, b.lat, b.lon)) * 1000, 1))
        session.add(cand)
        session.flush()
    return cand


def apply_decisions(session: Session, path: Path = DECISIONS) -> Decisions:
    """Merge and dismiss the pairs listed in ``board-decisions.json`` as the board would
    (``dedup.merge`` / ``dedup.dismiss``, decided by ``board:demo``). A pair already decided
    is left alone, so a second load changes nothing."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    done = Decisions()
    for kind in ("merge", "dismiss"):
        for keep_ref, other_ref in doc.get(kind, []):
            keep, other = _record(session, keep_ref), _record(session, other_ref)
            if keep is None or other is None:
                done.missing.append(keep_ref if keep is None else other_ref)
                continue
            if other.merged_into_id is not None or keep.merged_into_id is not None:
                done.already += 1
                continue
            cand = _pair(session, keep, other)
            if cand.status != "pending":
                done.already += 1
                continue
            if kind == "merge":
                dedup.merge(session, cand, keep_id=keep.id, decided_by=BOARD)
                done.merged += 1
            else:
                dedup.dismiss(session, cand, decided_by=BOARD)
                done.dismissed += 1
    if done.missing:
        raise ValueError(f"board-decisions.json names records that are not loaded: {done.missing}")
    return done

