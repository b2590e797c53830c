"""Imports on SQLite and PostgreSQL: idempotent upserts, archiving, atomicity, duplicates, merges."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway import demo
from causeway.content import dedup, providers, revisions
from causeway.content.ingest.base import FeedUnreadable
from causeway.content.ingest.service import run_import
from causeway.content.models import Attraction, DuplicateCandidate, ImportRun, Provider, Revision
from tests.conftest import DATA

FEED = (b"id,name,lat,lon,category\n"
        b"1,Ulster Museum,54.5822,-5.9352,museum\n"
        b"2,Belfast Castle,54.6424,-5.9423,castle\n"
        b"3,Titanic Belfast,54.6081,-5.9099,museum\n")


def make_provider(session: Session, slug: str = "visit-belfast", size: str = "medium",
                  trusted: bool = True) -> Provider:
    return providers.create(session, slug=slug, name=slug.title(), size_class=size, trusted=trusted)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_reimport_is_idempotent_and_tracks_changes(session: Session) -> None:
    p = make_provider(session)
    first = run_import(session, p, FEED, source="feed.csv")
    assert first.counts == {"rows": 3, "created": 3, "updated": 0, "proposed": 0, "unchanged": 0, "archived": 0,
                            "rejected": 0}
    session.commit()
    before = {a.external_id: (a.version, a.updated_at) for a in session.scalars(select(Attraction))}

    again = run_import(session, p, FEED, source="feed.csv")
    session.commit()
    assert again.counts["unchanged"] == 3 and again.counts["created"] == again.counts["updated"] == 0
    assert {a.external_id: (a.version, a.updated_at) for a in session.scalars(select(Attraction))} == before

    changed = (FEED.replace(b"Titanic Belfast", b"Titanic Belfast Experience")
               .replace(b"2,Belfast Castle,54.6424,-5.9423,castle\n", b""))
    third = run_import(session, p, changed, source="feed.csv")
    session.commit()
    assert third.counts == {"rows": 2, "created": 0, "updated": 1, "proposed": 0, "unchanged": 1, "archived": 1,
                            "rejected": 0}
    titanic = session.scalar(select(Attraction).where(Attraction.external_id == "3"))
    castle = session.scalar(select(Attraction).where(Attraction.external_id == "2"))
    assert titanic.name == {"en": "Titanic Belfast Experience"} and titanic.version == 2
    assert castle.status == "archived" and castle.version == 2  # archived, never deleted
    assert count(session, Attraction) == 3

    # Back in the feed: restored.
    fourth = run_import(session, p, FEED, source="feed.csv")
    session.commit()
    assert fourth.counts["updated"] == 2 and castle.status == "published"


def test_partial_feed_archives_nothing(session: Session) -> None:
    p = make_provider(session)
    run_import(session, p, FEED, source="feed.csv")
    report = run_import(session, p, b"id,name,lat,lon\n9,New place,54.6,-5.9\n", source="delta.csv", full=False)
    assert report.counts["created"] == 1 and report.counts["archived"] == 0


def test_rejected_rows_are_not_archived_as_missing(session: Session) -> None:
    p = make_provider(session)
    run_import(session, p, FEED, source="feed.csv")
    broken = FEED.replace(b"54.6424", b"north")
    report = run_import(session, p, broken, source="feed.csv")
    assert report.counts["rejected"] == 1 and report.counts["archived"] == 0
    assert report.exit_code == 1
    assert [(e.position, e.field, e.external_id) for e in report.rejected] == [(2, "lat", "2")]


def test_repeated_external_id_is_rejected(session: Session) -> None:
    p = make_provider(session)
    report = run_import(session, p, FEED + b"1,Ulster Museum again,54.58,-5.93,museum\n", source="f.csv")
    assert report.counts["created"] == 3 and report.counts["rejected"] == 1
    assert report.rejected[0].reason == "repeats the id of row 1"


def test_crash_midway_leaves_nothing_written(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        make_provider(s)
        s.commit()

    def explode(done: int, total: int) -> None:
        if done > total // 2 + 1:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError), factory.begin() as s:
        p = providers.get_by_slug(s, "visit-belfast")
        run_import(s, p, FEED, source="feed.csv", progress=explode)
    with factory() as s:
        assert count(s, Attraction) == 0 and count(s, ImportRun) == 0


def test_unreadable_feed_raises_before_writing(session: Session) -> None:
    p = make_provider(session)
    with pytest.raises(FeedUnreadable):
        run_import(session, p, b"{broken", source="feed.json")
    assert count(session, Attraction) == 0


def test_untrusted_providers_records_wait_for_the_board(session: Session) -> None:
    p = make_provider(session, trusted=False)
    report = run_import(session, p, FEED, source="feed.csv")
    assert report.new_status == "submitted"
    assert {a.status for a in session.scalars(select(Attraction))} == {"submitted"}
    # Not live yet: a changed row is applied in place (the board reviews the record itself).
    again = run_import(session, p, FEED.replace(b"Titanic Belfast", b"Titanic Belfast Experience"), source="feed.csv")
    assert again.counts["updated"] == 1 and again.counts["proposed"] == 0
    assert count(session, Revision) == 0


def test_reimport_of_a_published_record_becomes_a_revision(session: Session) -> None:
    p = make_provider(session, trusted=False)
    run_import(session, p, FEED, source="feed.csv")
    titanic = session.scalar(select(Attraction).where(Attraction.external_id == "3"))
    titanic.status = "published"
    session.flush()
    changed = FEED.replace(b"3,Titanic Belfast,54.6081,-5.9099,museum",
                           b"3,Titanic Belfast Experience,54.6081,-5.9099,museum")
    report = run_import(session, p, changed, source="feed.csv")
    assert report.counts["proposed"] == 1 and report.counts["updated"] == 0
    assert titanic.name == {"en": "Titanic Belfast"} and titanic.version == 1  # live record untouched
    rev = revisions.pending(session, titanic.id)
    assert rev is not None and rev.kind == "import" and rev.fields == {"name": {"en": "Titanic Belfast Experience"}}
    assert rev.before == {"name": {"en": "Titanic Belfast"}}
    # The same feed again proposes nothing new.
    assert run_import(session, p, changed, source="feed.csv").counts["unchanged"] == 3
    assert count(session, Revision) == 1
    # Approved: live, and the feed's row is what is live (the next import is unchanged).
    revisions.approve(session, rev, decided_by="board:1")
    assert titanic.name == {"en": "Titanic Belfast Experience"} and titanic.version == 2
    assert "titanic belfast experience" in titanic.search_text
    assert run_import(session, p, changed, source="feed.csv").counts["unchanged"] == 3


def test_trusted_providers_changes_apply_and_are_recorded(session: Session) -> None:
    p = make_provider(session)
    run_import(session, p, FEED, source="feed.csv")
    run_import(session, p, FEED.replace(b"Titanic Belfast", b"Titanic Belfast Experience"), source="feed.csv")
    rev = session.scalar(select(Revision))
    assert rev.status == "approved" and rev.kind == "import" and rev.author == "import:feed.csv"
    assert rev.fields["name"] == {"en": "Titanic Belfast Experience"}
    assert rev.before["name"] == {"en": "Titanic Belfast"}


def test_demo_load_and_duplicates_against_unseen_feeds(session: Session) -> None:
    reports = demo.load(session)
    session.commit()
    ccg, dfc, monuments, core = reports[:4]
    assert core.provider == "causeway-board" and core.counts["rejected"] == 0
    assert monuments.provider == "dfc-scheduled-monuments" and monuments.counts["rejected"] == 0
    assert ccg.counts["created"] == 19 and ccg.counts["rejected"] == 0
    # The register (its public-access sites): it lists AN-179 twice (Botanic Gardens Park and
    # Alexandra Park), a real defect.
    assert dfc.counts["created"] == 57 and dfc.counts["rejected"] == 1
    assert dfc.rejected[0].external_id == "AN-179"
    names = {frozenset((d["a"]["name"], d["b"]["name"])) for d in dfc.duplicates}
    assert frozenset(("Downhill Demesne", "Downhill")) in names
    assert frozenset(("Roe Valley Country Park", "Roe Valley Park")) in names
    # Loading again changes nothing.
    assert all(r.counts["created"] == r.counts["updated"] == 0 for r in demo.load(session))

    belfast = make_provider(session, "visit-belfast-sample", "small")
    report = run_import(session, belfast, (DATA / "belfast-attractions.jsonld").read_bytes(),
                        source="belfast-attractions.jsonld")
    assert report.counts["created"] == 4 and report.counts["rejected"] == 4
    pairs = {frozenset((d["a"]["name"], d["b"]["name"])) for d in report.duplicates}
    assert frozenset(("Belfast Castle", "Belfast Castle")) in pairs
    assert frozenset(("Botanic Gardens", "Botanic Gardens and Palm House")) in pairs  # the core's
    assert frozenset(("Titanic Belfast",)) in pairs  # the venue and the board both list it
    assert all(d["distance_m"] <= 1500 for d in report.duplicates)


def test_merge_keeps_both_provenances_and_survives_reimport(session: Session) -> None:
    council = make_provider(session, "council")
    venue = make_provider(session, "castle-venue", "small")
    run_import(session, council, b"id,name,lat,lon\nc1,Belfast Castle,54.6459,-5.9443\n", source="council.csv")
    run_import(session, venue, (DATA / "belfast-overpass.json").read_bytes(), source="osm.json")
    cand = session.scalar(select(DuplicateCandidate))
    assert cand is not None and cand.status == "pending" and cand.distance_m < 10
    council_rec = session.scalar(select(Attraction).where(Attraction.external_id == "c1"))
    venue_rec = session.scalar(select(Attraction).where(Attraction.external_id == "way/2002"))
    assert "opening_hours" in council_rec.defaults_applied

    kept = dedup.merge(session, cand, keep_id=council_rec.id, decided_by="board:1")
    session.commit()
    assert kept.id == council_rec.id and cand.status == "merged"
    assert venue_rec.status == "archived" and venue_rec.merged_into_id == council_rec.id
    assert [r.id for r in kept.merged] == [venue_rec.id]
    assert kept.opening_hours == "Mo-Sa 09:00-22:00; Su 09:00-17:30"  # the venue's own hours win over defaults
    with pytest.raises(dedup.DuplicateError, match="already merged"):
        dedup.merge(session, cand, keep_id=council_rec.id, decided_by="board:1")

    # The venue re-imports its feed: its record stays merged and archived.
    run_import(session, venue, (DATA / "belfast-overpass.json").read_bytes(), source="osm.json")
    session.commit()
    session.refresh(venue_rec)
    assert venue_rec.status == "archived" and venue_rec.merged_into_id == council_rec.id
    assert session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 1


def test_dismiss(session: Session) -> None:
    a = make_provider(session, "aaa")
    b = make_provider(session, "bbb")
    run_import(session, a, b"id,name,lat,lon\n1,Ormeau Park,54.5857,-5.9157\n", source="a.csv")
    report = run_import(session, b, b"id,name,lat,lon\n1,Ormeau Park,54.5860,-5.9150\n"
                        b"2,Far away Ormeau Park,54.7,-5.9\n", source="b.csv")
    assert len(report.duplicates) == 1  # the namesake 12 km away is not a candidate
    cand = session.get(DuplicateCandidate, report.duplicates[0]["candidate_id"])
    dedup.dismiss(session, cand, decided_by="board:1")
    assert cand.status == "dismissed" and cand.decided_at is not None
