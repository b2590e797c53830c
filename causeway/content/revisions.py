"""Changes to attractions: proposed by venues and feeds, reviewed by the board, all recorded.

The rule, the same on every path (the CLI, an HTTP import, the venue API and portal):

* a **new record** is ``published`` when its provider is trusted, otherwise ``submitted``
  and live only when the board publishes it;
* a **change to a published record** by an untrusted provider (a venue's edit or a feed
  re-import) becomes a *pending revision*: the live record stays as it is until the board
  approves (possibly after editing it) or rejects it with a reason the venue sees;
* the board's own edits, and trusted providers' changes, apply at once and are recorded as
  approved revisions, so every change has a row saying who, when and what.

Records that are not live (draft, submitted) are edited in place: the board reviews the
record itself when it publishes it.

The caller owns the transaction; this module only flushes. Concurrent edits are detected
with the attraction's ``version``: a stale one raises :class:`Stale`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway.content.ingest.base import RawRow
from causeway.content.ingest.validate import AttractionIn, validate_row
from causeway.content.models import (
    Attraction,
    AttractionCategory,
    AttractionTag,
    Provider,
    Revision,
    RevisionStatus,
    Status,
)

# The fields a revision can change, in the order they are shown.
EDITABLE = ("name", "description", "categories", "tags", "opening_hours", "visit_minutes",
            "price_band", "wheelchair", "website", "phone", "email", "address", "town", "postcode",
            "lat", "lon", "image_url")
# Fields whose value may come from category defaults or keyword rules (``defaults_applied``).
ESTIMABLE = ("categories", "opening_hours", "visit_minutes")


class EditInvalid(ValueError):
    """Proposed values that do not validate; ``errors`` lists (field, reason)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))
        self.errors = errors


class Stale(Exception):
    """The attraction changed since the version the change was based on."""

    def __init__(self, message: str, current_version: int, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.fields = fields or []


class RevisionError(Exception):
    """A decision that cannot be taken (the revision is already decided)."""


def publication_status(provider: Provider) -> str:
    """The status a provider's new record gets: the one publication rule."""
    return Status.published.value if provider.trusted else Status.submitted.value


def live_fields(att: Attraction) -> dict[str, Any]:
    return {
        "name": dict(att.name), "description": dict(att.description or {}),
        "categories": list(att.categories), "tags": list(att.tags),
        "opening_hours": att.opening_hours, "visit_minutes": att.visit_minutes,
        "price_band": att.price_band, "wheelchair": att.wheelchair, "website": att.website,
        "phone": att.phone, "email": att.email, "address": att.address, "town": att.town,
        "postcode": att.postcode, "lat": att.lat, "lon": att.lon, "image_url": att.image_url,
    }


def record_fields(rec: AttractionIn) -> dict[str, Any]:
    """A validated feed record in the revision vocabulary."""
    return {name: getattr(rec, name) for name in EDITABLE}


def changed(att: Attraction, fields: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``fields`` whose value differs from the live record."""
    live = live_fields(att)
    return {k: v for k, v in fields.items() if live.get(k) != v}


def validate_changes(att: Attraction, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate ``changes`` (full values of EDITABLE fields) against the record they apply to.

    Uses the same validation as feed imports; returns the cleaned values of the fields that
    differ from the live record. Raises :class:`EditInvalid` listing every bad field.
    """
    unknown = [k for k in changes if k not in EDITABLE]
    if unknown:
        raise EditInvalid([(k, "is not an editable field") for k in unknown])
    values = {**live_fields(att), **changes, "external_id": att.external_id}
    record, errors = validate_row(RawRow(position=1, values=values), apply_defaults=False)
    bad = [(e.field, e.reason) for e in errors if e.field in changes]
    if bad:
        raise EditInvalid(bad)
    if record is None:  # the live record itself does not validate on a field not being changed
        raise EditInvalid([(e.field, f"the live value does not validate: {e.reason}") for e in errors])
    clean = record_fields(record)
    if "visit_minutes" in changes and changes["visit_minutes"] is None:
        raise EditInvalid([("visit_minutes", "a visit length is required")])
    return changed(att, {k: clean[k] for k in changes})


def index_text(name: dict[str, str], description: dict[str, str], tags: list[str],
               categories: list[str], town: str | None, address: str | None) -> str:
    """What the catalogue's word search looks in."""
    return " ".join([*name.values(), *description.values(), *tags, *categories,
                     town or "", address or ""]).lower()


def sync_children(att: Attraction, categories: list[str], tags: list[str]) -> None:
    """Update category and tag rows in place (same primary keys must not be re-inserted)."""
    keep_cats = {row.category: row for row in att.category_rows if row.category in categories}
    att.category_rows = [keep_cats.get(c) or AttractionCategory(category=c) for c in categories]
    for i, row in enumerate(att.category_rows):
        row.position = i
    keep_tags = {row.tag: row for row in att.tag_rows if row.tag in tags}
    att.tag_rows = [keep_tags.get(t) or AttractionTag(tag=t) for t in tags]


def write(att: Attraction, fields: dict[str, Any], *, estimated: dict[str, str] | None = None) -> None:
    """Write ``fields`` onto the record and refresh what is derived from them (no version
    change, no revision: for a record being created)."""
    for name, value in fields.items():
        if name in ("categories", "tags"):
            continue
        setattr(att, name, value)
    if "categories" in fields or "tags" in fields:
        sync_children(att, fields.get("categories", att.categories), fields.get("tags", att.tags))
    if "name" in fields:
        att.sort_name = next(iter(att.name.values())).lower()[:300]
    att.search_text = index_text(att.name, att.description or {}, fields.get("tags", att.tags),
                                 fields.get("categories", att.categories), att.town, att.address)
    # A value someone supplied is no longer an estimate (unless the feed's record says it is).
    defaults = {k: v for k, v in (att.defaults_applied or {}).items() if k not in fields}
    att.defaults_applied = {**defaults, **(estimated or {})}


def _set(att: Attraction, fields: dict[str, Any], *, estimated: dict[str, str] | None = None) -> None:
    write(att, fields, estimated=estimated)
    att.version += 1


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_version(att: Attraction, expected: int | None) -> None:
    if expected is not None and expected != att.version:
        raise Stale(f"attraction {att.id} is at version {att.version}, not {expected}: "
                    "reload it and apply your change again", att.version)


def apply(session: Session, att: Attraction, fields: dict[str, Any], *, kind: str, author: str,
          estimated: dict[str, str] | None = None) -> Revision | None:
    """Apply ``fields`` (already validated) at once and record an approved revision.

    Returns None when nothing changes."""
    fields = changed(att, fields)
    if not fields:
        return None
    live = live_fields(att)
    rev = Revision(attraction_id=att.id, provider_id=att.provider_id, kind=kind, author=author,
                   fields=fields, before={k: live[k] for k in fields}, applied=fields,
                   base_version=att.version, status=RevisionStatus.approved.value,
                   decided_by=author, decided_at=_now())
    _set(att, fields, estimated=estimated)
    session.add(rev)
    session.flush()
    return rev


def record(session: Session, att: Attraction, before: dict[str, Any], *, kind: str,
           author: str) -> Revision | None:
    """Record a change already written to ``att`` (``before``: its live fields until then)."""
    live = live_fields(att)
    fields = {k: v for k, v in live.items() if before.get(k) != v}
    if not fields:
        return None
    rev = Revision(attraction_id=att.id, provider_id=att.provider_id, kind=kind, author=author,
                   fields=fields, before={k: before.get(k) for k in fields}, applied=fields,
                   base_version=att.version - 1, status=RevisionStatus.approved.value,
                   decided_by=author, decided_at=_now())
    session.add(rev)
    session.flush()
    return rev


def pending(session: Session, attraction_id: int) -> Revision | None:
    return session.scalar(select(Revision).where(
        Revision.attraction_id == attraction_id, Revision.status == RevisionStatus.pending.value)
        .order_by(Revision.id.desc()).limit(1))


def propose(session: Session, att: Attraction, fields: dict[str, Any], *, kind: str, author: str,
            source_hash: str | None = None) -> Revision | None:
    """A pending revision of ``fields`` (validated values) for the board to decide.

    One revision is pending per attraction: a new proposal carries the fields of the one it
    supersedes, so nothing a venue proposed is lost. Returns None when nothing would change.
    """
    earlier = pending(session, att.id)
    merged = {**(earlier.fields if earlier else {}), **fields}
    merged = changed(att, merged)
    if not merged:
        return None
    live = live_fields(att)
    if earlier is not None:
        earlier.status, earlier.decided_by, earlier.decided_at = (
            RevisionStatus.superseded.value, author, _now())
    rev = Revision(attraction_id=att.id, provider_id=att.provider_id, kind=kind, author=author,
                   fields=merged, before={k: live[k] for k in merged}, base_version=att.version,
                   status=RevisionStatus.pending.value, source_hash=source_hash)
    session.add(rev)
    session.flush()
    return rev


def already_proposed(session: Session, att: Attraction, source_hash: str) -> bool:
    """A feed row already turned into a revision that is pending or was rejected."""
    return session.scalar(select(Revision.id).where(
        Revision.attraction_id == att.id, Revision.source_hash == source_hash,
        Revision.status.in_((RevisionStatus.pending.value, RevisionStatus.rejected.value))).limit(1)) is not None


def _open(rev: Revision) -> None:
    if rev.status != RevisionStatus.pending.value:
        raise RevisionError(f"revision {rev.id} is already {rev.status}")


def approve(session: Session, rev: Revision, *, decided_by: str, edits: dict[str, Any] | None = None,
            version: int | None = None) -> Attraction:
    """Make a pending revision live, with the board's ``edits`` (raw values) on top.

    Without edits, a revision whose fields were changed on the live record since it was
    made raises :class:`Stale` (the board edits, then approves, against the current version).
    """
    _open(rev)
    att = rev.attraction
    check_version(att, version)
    fields = dict(rev.fields)
    if edits:
        fields.update(validate_changes(att, {**fields, **edits}))
    else:
        live = live_fields(att)
        moved = [k for k in fields if live.get(k) != rev.before.get(k)]
        if moved:
            raise Stale(f"the live record changed since revision {rev.id} was made "
                        f"({', '.join(moved)}): edit the revision and approve it against version "
                        f"{att.version}", att.version, moved)
        fields = validate_changes(att, fields) if fields else fields
    applied = changed(att, fields)
    if applied:
        _set(att, applied)
    if rev.source_hash is not None and not edits:  # the feed's row is now what is live
        att.content_hash = rev.source_hash
    rev.applied = applied
    rev.status, rev.decided_by, rev.decided_at = RevisionStatus.approved.value, decided_by, _now()
    session.flush()
    return att


def reject(session: Session, rev: Revision, *, reason: str, decided_by: str) -> Revision:
    _open(rev)
    rev.status, rev.reason = RevisionStatus.rejected.value, reason
    rev.decided_by, rev.decided_at = decided_by, _now()
    session.flush()
    return rev


def diff(rev: Revision) -> list[dict[str, Any]]:
    """Field by field: the value when proposed, the proposed one, and the live one now."""
    live = live_fields(rev.attraction)
    return [{"field": k, "before": rev.before.get(k), "proposed": v, "live": live.get(k)}
            for k, v in rev.fields.items()]


@dataclass(frozen=True)
class Outcome:
    """What an edit did: applied at once (``revision.status`` approved) or awaits review."""

    revision: Revision | None
    live: bool

    @property
    def pending(self) -> bool:
        return self.revision is not None and self.revision.status == RevisionStatus.pending.value


def edit(session: Session, att: Attraction, changes: dict[str, Any], *, author: str, by_board: bool,
         version: int | None = None) -> Outcome:
    """A venue's or the board's edit of ``changes`` (raw values) under the rule above."""
    check_version(att, version)
    fields = validate_changes(att, changes)
    reviewed = (not by_board and not att.provider.trusted
                and att.status == Status.published.value)
    if reviewed:
        return Outcome(propose(session, att, fields, kind="edit", author=author), live=False)
    return Outcome(apply(session, att, fields, kind="board" if by_board else "edit", author=author),
                   live=True)
