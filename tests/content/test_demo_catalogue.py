"""The shipped demo catalogue: the board's curated core and the open-data layers.

Every row of the curated feed imports through the normal ingest path, its categories come
from the taxonomy, its hours parse and open at some point of a summer week, it sits in
Northern Ireland, its estimates are flagged, and no two rows of the core are the same place.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway import demo
from causeway.content import taxonomy
from causeway.content.dedup import Thresholds, names_similarity
from causeway.geo import haversine_km
from causeway.content.hours import Schedule
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import parse_feed
from causeway.content.ingest.validate import PROVIDER_ESTIMATE, validate_row
from causeway.content.models import Attraction, DuplicateCandidate, Provider

CORE = next(f for f in demo.FEEDS if f.slug == "causeway-board")
CORE_BYTES = (demo.HERE / CORE.file).read_bytes()
CORE_ROWS = list(csv.DictReader(io.StringIO(CORE_BYTES.decode("utf-8"))))
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Northern Ireland's extent, with a little sea around it.
NI = {"lat": (54.0, 55.35), "lon": (-8.2, -5.4)}


def core_records() -> list:  # type: ignore[type-arg]
    _, rows = parse_feed(CORE_BYTES, mapping=Mapping.load(demo.HERE / CORE.mapping), filename=CORE.file)
    out = []
    for row in rows:
        record, errors = validate_row(row)
        assert not errors, [e.as_dict() for e in errors]
        out.append(record)
    return out


def test_every_curated_row_validates_with_stable_slug_ids() -> None:
    records = core_records()
    assert len(records) == len(CORE_ROWS) >= 120
    ids = [r.external_id for r in records]
    assert len(set(ids)) == len(ids)
    assert all(SLUG.match(i) for i in ids), [i for i in ids if not SLUG.match(i)]
    for rec in records:
        assert rec.description.get("en") and len(rec.description["en"]) >= 40, rec.external_id
        assert rec.visit_minutes and rec.opening_hours and rec.price_band != "unknown"
        assert NI["lat"][0] < rec.lat < NI["lat"][1] and NI["lon"][0] < rec.lon < NI["lon"][1], rec.external_id
        assert 1 <= int(rec.extra["popularity_tier"]) <= 4
        assert rec.extra["region"] and f"region-{rec.extra['region']}" in rec.tags


def test_categories_are_the_taxonomy_and_never_a_default() -> None:
    for rec in core_records():
        assert rec.categories, rec.external_id
        assert all(c in taxonomy.CATEGORIES for c in rec.categories)
        assert "categories" not in rec.defaults_applied  # the feed gives them; no keyword guess
    by_id = {r.external_id: r for r in core_records()}
    assert {"coast", "geology", "unesco"} <= set(by_id["giants-causeway"].categories)
    assert by_id["belfast-castle"].categories[0] == "castle"
    assert "wildlife" in by_id["belfast-zoo"].categories and "garden" not in by_id["belfast-zoo"].categories
    assert "market" in by_id["st-georges-market"].categories
    # The core spans the kinds of place the destination has.
    kinds = {c for r in by_id.values() for c in r.categories}
    assert {"museum", "gallery", "castle", "architecture", "drink", "market", "food", "wildlife",
            "viewpoint", "coast", "walking", "public-art", "geology", "unesco"} <= kinds
    regions = {r.extra["region"] for r in by_id.values()}
    assert {"belfast", "causeway-coast", "derry", "mournes", "fermanagh", "armagh", "strangford"} <= regions


def test_hours_parse_and_open_during_july() -> None:
    july = [dt.date(2026, 7, 1) + dt.timedelta(days=d) for d in range(31)]
    for rec in core_records():
        schedule = Schedule(rec.opening_hours, lat=rec.lat, lon=rec.lon)
        assert any(schedule.windows(day) for day in july), (rec.external_id, rec.opening_hours)


def test_estimates_are_marked_in_the_data() -> None:
    records = core_records()
    for rec, row in zip(records, CORE_ROWS, strict=True):
        marked = {f.strip() for f in row["estimated"].split(";") if f.strip()}
        assert marked <= {"opening_hours", "visit_minutes"}
        for field in marked:
            assert rec.defaults_applied[field] == PROVIDER_ESTIMATE
        # Nothing is flagged that the row does not say is an estimate.
        assert set(rec.defaults_applied) == marked
    assert all("visit_minutes" in r.defaults_applied for r in records)  # durations are all editorial


def test_no_two_rows_of_the_core_are_the_same_place() -> None:
    """Dedup only compares providers with each other, so the core must be clean by itself."""
    records = core_records()
    t = Thresholds()
    for i, a in enumerate(records):
        for b in records[i + 1:]:
            far = float(haversine_km(a.lat, a.lon, b.lat, b.lon)) * 1000 > t.max_distance_m
            assert far or names_similarity(a.name, b.name) < t.min_name_similarity, (a.name, b.name)


def test_demo_load_imports_every_curated_row(session: Session) -> None:
    reports = {r.provider: r for r in demo.load(session)}
    session.commit()
    core = reports["causeway-board"]
    assert core.counts["rows"] == len(CORE_ROWS) and core.counts["created"] == len(CORE_ROWS)
    assert core.counts["rejected"] == 0
    provider = session.scalar(select(Provider).where(Provider.slug == "causeway-board"))
    assert provider is not None and provider.name == "Curated by the board"
    titanic = session.scalar(select(Attraction).where(Attraction.provider_id == provider.id,
                                                      Attraction.external_id == "titanic-belfast"))
    assert titanic is not None and titanic.status == "published"
    assert titanic.defaults_applied == {"opening_hours": PROVIDER_ESTIMATE, "visit_minutes": PROVIDER_ESTIMATE}
    assert titanic.extra["popularity_tier"] == "1" and titanic.visit_minutes == 150
    again = {r.provider: r for r in demo.load(session)}
    assert again["causeway-board"].counts["unchanged"] == len(CORE_ROWS)


@pytest.mark.parametrize("estimated, reason", [
    ("price", "cannot be marked as an estimate"),
    ("opening_hours", "marked as an estimate but the row gives no opening_hours"),
])
def test_a_bad_estimated_column_is_a_row_error(estimated: str, reason: str) -> None:
    feed = ("id,name,lat,lon,estimated\n"
            f"x-1,Somewhere,54.6,-5.9,{estimated}\n").encode()
    _, rows = parse_feed(feed)
    record, errors = validate_row(rows[0])
    assert record is None and errors[0].field == "estimated" and reason in errors[0].reason


def test_mapping_keeps_extra_columns() -> None:
    mapping = Mapping.from_dict({"fields": {"external_id": "id", "name": "name", "lat": "lat", "lon": "lon",
                                            "extra.popularity_tier": "tier"}})
    _, rows = parse_feed(b"id,name,lat,lon,tier\nx-1,Somewhere,54.6,-5.9,3\n", mapping=mapping)
    record, errors = validate_row(rows[0])
    assert not errors and record is not None and record.extra == {"popularity_tier": "3"}
    with pytest.raises(Exception, match="not one of"):
        Mapping.from_dict({"fields": {"extra.Bad Key": "tier"}})


# ---------------------------------------------------------------- the open-data layers (slice 2)
def live(session: Session) -> list[Attraction]:
    return list(session.scalars(select(Attraction).where(Attraction.status == "published",
                                                          Attraction.merged_into_id.is_(None))))


def by_ref(session: Session, ref: str) -> Attraction:
    slug, _, ext = ref.partition("/")
    att = session.scalar(select(Attraction).join(Provider).where(Provider.slug == slug,
                                                                 Attraction.external_id == ext))
    assert att is not None, ref
    return att


def test_open_data_layers_are_kept_but_no_longer_the_bulk(session: Session) -> None:
    reports = {r.provider: r for r in demo.load(session)}
    session.commit()
    parks, monuments = reports["dfc-historic-environment"], reports["dfc-scheduled-monuments"]
    # The register: only the sites with public access (the AN-179 defect is still reported).
    assert parks.counts["rows"] == 58 and parks.counts["created"] == 57 and parks.counts["rejected"] == 1
    assert monuments.counts["rows"] == monuments.counts["created"] == 40 and monuments.counts["rejected"] == 0
    people = live(session)
    by_provider: dict[str, int] = {}
    for att in people:
        by_provider[att.provider.slug] = by_provider.get(att.provider.slug, 0) + 1
    assert by_provider["causeway-board"] == 124
    assert by_provider["dfc-historic-environment"] < by_provider["causeway-board"] / 2
    # Belfast Castle and Belfast Zoo: the register's copies are merged into the core records,
    # which say what they are.
    for core_id, register_id, first in (("belfast-castle", "AN-009", "castle"),
                                        ("belfast-zoo", "AN-098", "wildlife")):
        kept = by_ref(session, f"causeway-board/{core_id}")
        gone = by_ref(session, f"dfc-historic-environment/{register_id}")
        assert gone.merged_into_id == kept.id and gone.status == "archived"
        assert kept.categories[0] == first or first in kept.categories
        assert "garden" not in kept.categories[:1]
    named = [(a.name["en"], a.provider.slug) for a in people if a.name["en"] in ("Belfast Castle", "Belfast Zoo")]
    assert sorted(named) == [("Belfast Castle", "causeway-board"), ("Belfast Zoo", "causeway-board")]
    bushmills = by_ref(session, "causeway-coast-glens/2")
    assert bushmills.merged_into_id == by_ref(session, "causeway-board/bushmills-distillery").id
    # Monuments: named, visitable sites only, categories from the taxonomy.
    for att in people:
        if att.provider.slug == "dfc-scheduled-monuments":
            assert "area surrounding" not in att.name["en"].lower()
            assert att.categories and set(att.categories) <= set(taxonomy.CATEGORIES)
            assert "scheduled-monument" in att.tags
    # Loading again decides nothing new.
    again = demo.load(session)
    assert again.decisions.merged == again.decisions.dismissed == 0 and again.decisions.already == 34


def test_no_duplicate_is_left_unflagged(session: Session) -> None:
    """Any two live records of different providers that are close and alike in name have a
    duplicate candidate: merged or dismissed by the board's decisions, or pending for it."""
    demo.load(session)
    session.commit()
    people = live(session)
    pairs = {frozenset((c.attraction_a_id, c.attraction_b_id)): c.status
             for c in session.scalars(select(DuplicateCandidate))}
    unflagged = []
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            if a.provider_id == b.provider_id:
                continue
            if float(haversine_km(a.lat, a.lon, b.lat, b.lon)) > 2.5:
                continue
            if names_similarity(a.name, b.name) >= 0.75 and frozenset((a.id, b.id)) not in pairs:
                unflagged.append((a.name["en"], b.name["en"]))
    assert unflagged == []
    statuses = sorted(pairs.values())
    assert statuses.count("merged") == 32 and "pending" in statuses  # Roe Valley waits for the board


# ---------------------------------------------------------------- small providers (slice 3)
def test_small_providers_each_publish_their_own_place(session: Session) -> None:
    reports = {r.provider: r for r in demo.load(session)}
    session.commit()
    small = [f for f in demo.FEEDS if f.size_class == "small"]
    assert len(small) >= 8 and len({f.slug for f in small}) == len(small)
    kinds: set[str] = set()
    for feed in small:
        assert reports[feed.slug].counts["created"] == 1 and reports[feed.slug].counts["rejected"] == 0
        provider = session.scalar(select(Provider).where(Provider.slug == feed.slug))
        assert provider is not None and provider.size_class == "small"
        (att,) = session.scalars(select(Attraction).where(Attraction.provider_id == provider.id))
        assert att.status == "published" and att.external_id == feed.slug
        assert att.categories and set(att.categories) <= set(taxonomy.CATEGORIES)
        kinds |= set(att.categories)
    assert {"gallery", "museum", "public-art", "food", "drink"} <= kinds  # galleries, museums, a mural tour, family-run
