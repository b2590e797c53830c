"""Run one import: read the feed, validate every row, apply the valid ones, find duplicates.

The caller owns the transaction (commit, or roll back for a dry run); this module only
flushes, so a crash anywhere leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content.dedup import Thresholds, find_candidates
from causeway.content.ingest.base import (
    FORMATS,
    FeedUnreadable,
    RawRow,
    RowError,
    detect_format,
)
from causeway.content.ingest.jsonld import read_jsonld
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.osm import read_osm
from causeway.content.ingest.tabular import read_csv, read_geojson
from causeway.content.ingest.validate import PROVIDER_ESTIMATE, AttractionIn, validate_row
from causeway.content import revisions
from causeway.content.models import (
    Attraction,
    ImportRun,
    Provider,
    Status,
)

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    provider: str
    source: str
    format: str
    dry_run: bool
    full: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("rows", "created", "updated", "proposed", "unchanged", "archived", "rejected"), 0))
    rejected: list[RowError] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    import_id: int | None = None
    new_status: str = Status.published.value  # what new records became (the publication rule)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts["rejected"] else 0

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["rejected"] = [e.as_dict() for e in self.rejected]
        return doc


def parse_feed(data: bytes, *, fmt: str = "auto", filename: str | None = None,
               mapping: Mapping | None = None, language: str = "en") -> tuple[str, list[RawRow]]:
    """Read a feed into raw rows; raises :class:`FeedUnreadable` when it cannot be read at all."""
    if fmt == "auto":
        fmt = detect_format(data, filename)
    if fmt not in FORMATS:
        raise FeedUnreadable(f"unknown format {fmt!r}; use one of auto, {', '.join(FORMATS)}")
    if mapping is not None and fmt not in ("csv", "geojson"):
        raise FeedUnreadable(f"a mapping applies to csv and geojson feeds, not {fmt}")
    if mapping is not None:
        mapping.language = mapping.language or language
    readers: dict[str, Callable[[], list[RawRow]]] = {
        "csv": lambda: read_csv(data, mapping),
        "geojson": lambda: read_geojson(data, mapping),
        "jsonld": lambda: read_jsonld(data, language),
        "osm": lambda: read_osm(data, language),
    }
    return fmt, readers[fmt]()


def run_import(session: Session, provider: Provider, data: bytes, *, source: str,
               fmt: str = "auto", mapping: Mapping | None = None, full: bool = True,
               dry_run: bool = False, thresholds: Thresholds = Thresholds(), language: str = "en",
               progress: Progress | None = None, now: dt.datetime | None = None,
               run: ImportRun | None = None) -> ImportReport:
    """Import ``data`` for ``provider`` inside the caller's transaction and report.

    Upserts by (provider, external id); unchanged rows are not touched; with ``full`` the
    provider's records missing from the feed are archived (never deleted). The publication
    rule of :mod:`causeway.content.revisions` decides the rest: new records are published
    only for a trusted provider (otherwise ``submitted``), and a changed row of a published
    record of an untrusted provider becomes a pending revision (counted as ``proposed``).
    ``run`` is the import's record when a background job made it beforehand (it is filled
    in and marked done); otherwise one is added.
    """
    now = now or dt.datetime.now(dt.UTC)
    new_status = revisions.publication_status(provider)
    author = f"import:{source}"[:100]
    fmt, rows = parse_feed(data, fmt=fmt, filename=source, mapping=mapping, language=language)
    report = ImportReport(provider=provider.slug, source=source, format=fmt, dry_run=dry_run, full=full,
                          new_status=new_status)
    report.counts["rows"] = len(rows)

    valid: dict[str, AttractionIn] = {}
    first_seen: dict[str, int] = {}
    present: set[str] = set()
    for i, row in enumerate(rows, start=1):
        record, errors = validate_row(row)
        ext = str(row.values.get("external_id") or "").strip()
        if ext:
            present.add(ext)
            if ext in first_seen:
                errors = [*errors, RowError(row.position, "external_id",
                                            f"repeats the id of row {first_seen[ext]}", ext)]
            else:
                first_seen[ext] = row.position
        if errors or record is None:
            report.counts["rejected"] += 1
            report.rejected.extend(errors)
        else:
            valid[record.external_id] = record
        if progress:
            progress(i, len(rows) * 2)

    existing = {a.external_id: a for a in session.scalars(
        select(Attraction).where(Attraction.provider_id == provider.id))}
    touched: list[Attraction] = []
    for j, (ext, record) in enumerate(valid.items(), start=1):
        digest = record.content_hash()
        current = existing.get(ext)
        if current is None:
            att = Attraction(provider_id=provider.id, external_id=ext, status=new_status, version=1)
            _assign(att, record, digest, source, now)
            session.add(att)
            touched.append(att)
            report.counts["created"] += 1
        elif current.content_hash == digest and not _restorable(current):
            report.counts["unchanged"] += 1
        elif (current.status == Status.published.value and current.merged_into_id is None
              and not provider.trusted):
            # A live record of an untrusted provider: the change waits for the board.
            proposal = revisions.changed(current, _proposable(record))
            if not proposal or revisions.already_proposed(session, current, digest):
                if not proposal:
                    current.content_hash = digest
                report.counts["unchanged"] += 1
            else:
                revisions.propose(session, current, proposal, kind="import", author=author,
                                  source_hash=digest)
                current.last_imported_at = now
                report.counts["proposed"] += 1
        else:
            if _restorable(current):  # back in the feed after being archived as missing
                current.status = new_status
            live = current.status == Status.published.value and current.merged_into_id is None
            before = revisions.live_fields(current) if live else None
            _assign(current, record, digest, source, now)
            current.version += 1
            if before is not None:  # a trusted provider's change to a live record: recorded
                revisions.record(session, current, before, kind="import", author=author)
            touched.append(current)
            report.counts["updated"] += 1
        if progress:
            progress(len(rows) + j, len(rows) * 2)

    if full:
        for ext, att in existing.items():
            if ext not in present and att.status != Status.archived.value:
                att.status = Status.archived.value
                att.extra = {**att.extra, "archived_reason": f"missing from full feed {source}"}
                att.version += 1
                report.counts["archived"] += 1
    session.flush()

    for cand in find_candidates(session, touched, thresholds):
        report.duplicates.append({
            "candidate_id": cand.id,
            "a": {"id": cand.attraction_a_id, "name": _display(session, cand.attraction_a_id)},
            "b": {"id": cand.attraction_b_id, "name": _display(session, cand.attraction_b_id)},
            "name_similarity": cand.name_similarity, "distance_m": cand.distance_m,
        })

    run = run or ImportRun(provider_id=provider.id, source=source, dry_run=dry_run)
    run.format, run.status, run.counts = fmt, "done", dict(report.counts)
    run.report = {"rejected": [e.as_dict() for e in report.rejected], "duplicates": report.duplicates}
    session.add(run)
    session.flush()
    report.import_id = run.id
    return report


def _proposable(rec: AttractionIn) -> dict[str, Any]:
    """A feed row's fields as a proposal: category defaults are not proposed (the provider's
    own estimates are: they are its values)."""
    return {k: v for k, v in revisions.record_fields(rec).items()
            if rec.defaults_applied.get(k, PROVIDER_ESTIMATE) == PROVIDER_ESTIMATE}


def _restorable(att: Attraction) -> bool:
    return att.status == Status.archived.value and att.merged_into_id is None and \
        str(att.extra.get("archived_reason", "")).startswith("missing from full feed")


def _display(session: Session, attraction_id: int) -> str:
    att = session.get(Attraction, attraction_id)
    return next(iter(att.name.values()), "") if att else ""


def _assign(att: Attraction, rec: AttractionIn, digest: str, source: str, now: dt.datetime) -> None:
    att.source = source
    att.name = rec.name
    att.description = rec.description
    att.sort_name = next(iter(rec.name.values())).lower()[:300]
    att.search_text = revisions.index_text(rec.name, rec.description, rec.tags, rec.categories,
                                           rec.town, rec.address)
    att.lat, att.lon = rec.lat, rec.lon
    att.address, att.town, att.postcode = rec.address, rec.town, rec.postcode
    att.website, att.image_url, att.wikidata = rec.website, rec.image_url, rec.wikidata
    att.phone, att.email = rec.phone, rec.email
    att.opening_hours = rec.opening_hours
    att.visit_minutes = rec.visit_minutes or 60
    att.price_band, att.wheelchair = rec.price_band, rec.wheelchair
    att.defaults_applied = rec.defaults_applied
    extra = {k: v for k, v in (att.extra or {}).items() if k != "archived_reason"}
    att.extra = {**extra, **rec.extra}
    att.content_hash = digest
    att.last_imported_at = now
    revisions.sync_children(att, rec.categories, rec.tags)
