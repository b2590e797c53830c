"""Media as business steps: accept an upload, process it, list, update, delete.

Services flush, never commit: the caller's transaction decides. What they write to disk is
tied to that transaction through the session: blobs created by a transaction that rolls
back are removed again, and background processing starts only once the row is committed.
So a refused or failed upload leaves nothing behind, on disk or in the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from causeway.content.media import avclean
from causeway.content.media import derived as derived_tools
from causeway.content.media.models import MediaAsset, MediaKind, MediaStatus
from causeway.content.media.process import Processed, process_image
from causeway.content.media.runtime import MediaRuntime
from causeway.content.media.sniff import NotMedia, sniff
from causeway.content.media.storage import TooLarge
from causeway.content.media.validate import ImageRejected, inspect_image
from causeway.content.models import Attraction, utcnow
from causeway.db import rowcount

log = logging.getLogger("causeway.media")
STALE_CLAIM = dt.timedelta(minutes=10)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class MediaError(Exception):
    """An upload or change refused; ``reason`` is a slug, ``field`` the input at fault.

    No HTTP here: the API maps the class (too large, conflict, otherwise invalid)."""

    def __init__(self, reason: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.field = field


class MediaTooLarge(MediaError):
    """The file is over the size limit."""


class MediaConflict(MediaError):
    """The upload collides with what exists (an identifier already in use)."""


# Transaction hooks -----------------------------------------------------------------------
def _hooks(session: Session) -> dict[str, list[Callable[[], None]]]:
    return session.info.setdefault("media_hooks", {"commit": [], "rollback": []})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    hooks = session.info.pop("media_hooks", None)
    for fn in (hooks or {}).get("commit", []):
        fn()


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: Any) -> None:
    # Ended without a commit (rolled back, or the session closed): undo what reached the disk.
    if transaction.parent is not None or transaction.nested:
        return
    hooks = session.info.pop("media_hooks", None)
    for fn in (hooks or {}).get("rollback", []):
        try:
            fn()
        except OSError:
            log.exception("could not remove a file of a rolled-back upload")


def _new_blob(session: Session, runtime: MediaRuntime, sha: str, created: bool) -> None:
    """Remove ``sha`` again if this transaction rolls back and it created the blob."""
    if created:
        def undo() -> None:
            runtime.storage.remove(sha)
            runtime.derived.drop(sha)
        _hooks(session)["rollback"].append(undo)


# Input checks ----------------------------------------------------------------------------
def texts(value: str | dict[str, str] | None, *, field: str, default_language: str,
          max_length: int = 1000) -> dict[str, str]:
    """Per-language texts from a mapping {"en": ..., "ga": ...} or a plain string."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {default_language: value}
    out: dict[str, str] = {}
    for lang, text in value.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise MediaError("invalid-language", f"{lang!r} is not a language tag such as en or ga", field)
        if not isinstance(text, str) or not text.strip():
            raise MediaError("invalid-text", f"the {lang} text is empty", field)
        if len(text) > max_length:
            raise MediaError("invalid-text", f"the {lang} text is longer than {max_length} characters", field)
        out[lang.lower()] = text.strip()
    return out


_CC = re.compile(r"^CC-(BY(?:-(?:NC|SA|ND)){0,2})-(\d\.\d)$", re.I)


def licence_uri(value: str | None) -> str | None:
    """A rights URI (Creative Commons or RightsStatements.org), from a URI or a short name."""
    if value is None or not value.strip():
        return None
    v = value.strip()
    short = v.upper()
    if short in ("CC0", "CC0-1.0"):
        return "http://creativecommons.org/publicdomain/zero/1.0/"
    if short in ("PDM", "PDM-1.0"):
        return "http://creativecommons.org/publicdomain/mark/1.0/"
    m = _CC.match(v)
    if m:
        return f"http://creativecommons.org/licenses/{m.group(1).lower()}/{m.group(2)}/"
    m = re.match(r"^https?://(creativecommons\.org/(?:licenses|publicdomain)/[a-z0-9.-]+/\d\.\d/?"
                 r"|rightsstatements\.org/vocab/[A-Za-z-]+/1\.0/?)$", v)
    if m:
        uri = "http://" + m.group(1)
        return uri if uri.endswith("/") else uri + "/"
    raise MediaError("invalid-licence", f"licence {value!r} is not a Creative Commons or RightsStatements.org "
                     "URI, nor a short name such as CC-BY-4.0 or CC0-1.0", "licence")


# Upload ----------------------------------------------------------------------------------
@dataclass
class Upload:
    """What a venue sends with the file."""

    kind: MediaKind
    alt: dict[str, str] = field(default_factory=dict)
    caption: dict[str, str] = field(default_factory=dict)
    credit: str | None = None
    licence: str | None = None
    position: int | None = None
    identifier: str | None = None  # keep an identifier from a previous IIIF server
    duration: float | None = None  # audio/video whose container does not say (WebM)
    width: int | None = None
    height: int | None = None


def create(session: Session, runtime: MediaRuntime, attraction: Attraction, upload: Upload,
           stream: BinaryIO, *, uploaded_by: str) -> MediaAsset:
    """Accept ``stream`` as a new media asset of ``attraction``, or raise :class:`MediaError`."""
    cfg = runtime.config
    kind = upload.kind
    if kind.is_image and not upload.alt:
        raise MediaError("alt-required", "images and panoramas need alt text describing them", "alt")
    identifier = upload.identifier or str(uuid.uuid4())
    if not _IDENTIFIER.match(identifier):
        raise MediaError("invalid-identifier", "an identifier is 1-64 letters, digits, '.', '_' or '-'",
                         "identifier")
    if session.scalar(select(MediaAsset.id).where(MediaAsset.identifier == identifier)) is not None:
        raise MediaConflict("identifier-taken", f"identifier {identifier!r} is already in use", "identifier")
    limit = cfg.max_image_bytes if kind.is_image else cfg.max_av_bytes
    with runtime.storage.temporary() as tmp:
        try:
            source_sha, size = runtime.storage.receive(stream, tmp, limit)
        except TooLarge as exc:
            raise MediaTooLarge("too-large", str(exc), "file") from exc
        if size == 0:
            raise MediaError("empty-file", "the file is empty", "file")
        asset = MediaAsset(
            identifier=identifier, attraction_id=attraction.id, kind=kind.value,
            source_sha256=source_sha, source_bytes=size, alt=upload.alt, caption=upload.caption,
            credit=upload.credit, licence=upload.licence, uploaded_by=uploaded_by, renditions=[], meta={},
            position=upload.position if upload.position is not None else _next_position(session, attraction.id))
        if kind.is_image:
            _accept_image(session, runtime, asset, tmp)
        else:
            _accept_av(session, runtime, asset, tmp, upload)
    session.add(asset)
    session.flush()
    if asset.status == MediaStatus.pending.value:
        asset_id = asset.id
        _hooks(session)["commit"].append(lambda: runtime.submit(lambda: process_pending(runtime, asset_id)))
    return asset


def _next_position(session: Session, attraction_id: int) -> int:
    top = session.scalar(select(func.max(MediaAsset.position)).where(MediaAsset.attraction_id == attraction_id))
    return 0 if top is None else top + 1


def _accept_image(session: Session, runtime: MediaRuntime, asset: MediaAsset, tmp: Path) -> None:
    cfg = runtime.config
    try:
        info = inspect_image(tmp, max_pixels=cfg.max_pixels, panorama=asset.kind == MediaKind.panorama.value)
    except ImageRejected as exc:
        raise MediaError(exc.reason, str(exc), "file") from exc
    asset.source_format = info.format
    asset.media_type = info.media_type
    asset.width, asset.height = info.width, info.height
    twin = session.scalars(select(MediaAsset).where(
        MediaAsset.source_sha256 == asset.source_sha256, MediaAsset.kind == asset.kind,
        MediaAsset.status == MediaStatus.ready.value).limit(1)).first()
    if twin is not None and twin.blob_sha256 and runtime.storage.exists(twin.blob_sha256):
        # The same bytes again: share the master, renditions and pyramid already made.
        for name in ("media_type", "blob_sha256", "blob_bytes", "width", "height", "renditions",
                     "blurhash", "dominant_color"):
            setattr(asset, name, getattr(twin, name))
        asset.meta = dict(twin.meta)
        asset.status = MediaStatus.ready.value
        return
    if info.width * info.height <= cfg.sync_max_pixels:
        _store_processed(session, runtime, asset, process_image(
            tmp, panorama=asset.kind == MediaKind.panorama.value, widths=cfg.rendition_widths))
        asset.status = MediaStatus.ready.value
        return
    # Large: keep the upload (never served) until the background job has processed it.
    created = runtime.storage.put_file(tmp, asset.source_sha256)
    _new_blob(session, runtime, asset.source_sha256, created)
    asset.status = MediaStatus.pending.value


def _accept_av(session: Session, runtime: MediaRuntime, asset: MediaAsset, tmp: Path, upload: Upload) -> None:
    try:
        found = sniff(tmp, asset.kind)
    except NotMedia as exc:
        raise MediaError("not-" + asset.kind, str(exc), "file") from exc
    duration = found.duration or upload.duration
    if not duration or duration <= 0:
        raise MediaError("duration-unknown", f"the duration of this {found.container} file cannot be read "
                         "from it; send duration (seconds) with the upload", "duration")
    width, height = found.width or upload.width, found.height or upload.height
    if asset.kind == MediaKind.video.value and not (width and height):
        raise MediaError("size-unknown", f"the frame size of this {found.container} video cannot be read "
                         "from it; send width and height with the upload", "width")
    asset.source_format = found.container
    asset.media_type = found.media_type
    asset.duration = round(float(duration), 3)
    asset.width, asset.height = width, height
    removed = avclean.strip(tmp, found.container)  # location and tags out, media data untouched
    if removed:
        asset.meta = {**asset.meta, "metadata_removed": removed}
    sha, size = runtime.storage.digest(tmp)
    created = runtime.storage.put_file(tmp, sha)
    _new_blob(session, runtime, sha, created)
    asset.blob_sha256, asset.blob_bytes = sha, size
    asset.status = MediaStatus.ready.value


def _store_processed(session: Session, runtime: MediaRuntime, asset: MediaAsset, done: Processed) -> None:
    storage = runtime.storage
    sha, created = storage.put_bytes(done.master.data)
    _new_blob(session, runtime, sha, created)
    renditions = []
    for r in done.renditions:
        rsha, rcreated = storage.put_bytes(r.data)
        _new_blob(session, runtime, rsha, rcreated)
        renditions.append({"width": r.width, "height": r.height, "format": r.format, "sha256": rsha,
                           "bytes": len(r.data)})
    if runtime.config.pretile and done.image is not None and created:
        derived_tools.pretile(done.image, sha, runtime.derived, runtime.config.tile_size)
    asset.media_type = done.media_type
    asset.blob_sha256, asset.blob_bytes = sha, len(done.master.data)
    asset.width, asset.height = done.master.width, done.master.height
    asset.renditions = renditions
    asset.blurhash, asset.dominant_color = done.blurhash, done.dominant_color
    asset.meta = {**asset.meta, **done.meta}


# Background processing -------------------------------------------------------------------
def process_pending(runtime: MediaRuntime, asset_id: int) -> None:
    """Process one pending image off the request path: claim it, render, mark ready or failed."""
    assert runtime.factory is not None
    now = utcnow()
    with runtime.factory.begin() as session:
        claimed = rowcount(session.execute(
            update(MediaAsset).where(
                MediaAsset.id == asset_id, MediaAsset.status == MediaStatus.pending.value,
                or_(MediaAsset.claimed_at.is_(None), MediaAsset.claimed_at < now - STALE_CLAIM))
            .values(claimed_at=now)))
    if not claimed:
        return  # another process has it, or it is gone
    with runtime.factory() as session:
        asset = session.get(MediaAsset, asset_id)
        if asset is None:
            return
        source = asset.source_sha256
        try:
            done = process_image(runtime.storage.path(source), panorama=asset.kind == MediaKind.panorama.value,
                                 widths=runtime.config.rendition_widths)
            _store_processed(session, runtime, asset, done)
            asset.status = MediaStatus.ready.value
        except Exception as exc:  # noqa: BLE001  (whatever broke, the asset says so)
            session.rollback()
            asset = session.get(MediaAsset, asset_id)
            if asset is None:
                return
            log.exception("processing media asset %s failed", asset_id)
            asset.status = MediaStatus.failed.value
            asset.error = f"processing failed: {exc}"[:1000]
        asset.claimed_at = None
        session.commit()
        identifier = asset.identifier
    runtime.forget(identifier)
    _collect(runtime, [source])


def resume(runtime: MediaRuntime) -> int:
    """Queue every pending asset (after a restart, or a crash mid-processing)."""
    assert runtime.factory is not None
    try:
        with runtime.factory() as session:
            ids = list(session.scalars(select(MediaAsset.id).where(MediaAsset.status == MediaStatus.pending.value)))
    except DBAPIError:
        log.warning("media: cannot look for pending assets (is the database migrated?)", exc_info=True)
        return 0
    for asset_id in ids:
        runtime.submit(lambda asset_id=asset_id: process_pending(runtime, asset_id))  # type: ignore[misc]
    return len(ids)


def _collect(runtime: MediaRuntime, shas: list[str]) -> None:
    """Remove blobs that no asset uses any more (with the renditions and tiles made from them)."""
    assert runtime.factory is not None
    with runtime.factory() as session:
        for sha in set(shas):
            used = session.scalar(select(func.count()).select_from(MediaAsset).where(or_(
                MediaAsset.blob_sha256 == sha,
                (MediaAsset.source_sha256 == sha) & (MediaAsset.status == MediaStatus.pending.value))))
            if used:
                continue
            runtime.storage.remove(sha)
            runtime.derived.drop(sha)


# Reads and changes -----------------------------------------------------------------------
def list_for(session: Session, attraction_id: int, *, ready_only: bool) -> list[MediaAsset]:
    q = select(MediaAsset).where(MediaAsset.attraction_id == attraction_id)
    if ready_only:
        q = q.where(MediaAsset.status == MediaStatus.ready.value)
    return list(session.scalars(q.order_by(MediaAsset.position, MediaAsset.id)))


def get(session: Session, attraction_id: int, media_id: int) -> MediaAsset | None:
    asset = session.get(MediaAsset, media_id)
    return asset if asset is not None and asset.attraction_id == attraction_id else None


def update_texts(asset: MediaAsset, changes: dict[str, Any]) -> MediaAsset:
    """Apply already-checked changes of alt, caption, credit, licence or position."""
    if "alt" in changes and MediaKind(asset.kind).is_image and not changes["alt"]:
        raise MediaError("alt-required", "images and panoramas need alt text describing them", "alt")
    for name, value in changes.items():
        setattr(asset, name, value)
    return asset


def delete(session: Session, runtime: MediaRuntime, asset: MediaAsset) -> None:
    """Delete ``asset``; once committed, files nothing else uses are removed."""
    shas = [s for s in (asset.blob_sha256, asset.source_sha256) if s]
    shas += [r["sha256"] for r in asset.renditions]
    identifier = asset.identifier
    session.delete(asset)
    session.flush()

    def after() -> None:
        runtime.forget(identifier)
        runtime.submit(lambda: _collect_with_renditions(runtime, shas))

    _hooks(session)["commit"].append(after)


def _collect_with_renditions(runtime: MediaRuntime, shas: list[str]) -> None:
    assert runtime.factory is not None
    with runtime.factory() as session:
        masters = set(shas)
        used_renditions: set[str] = set()
        for renditions in session.scalars(select(MediaAsset.renditions).where(MediaAsset.blob_sha256.in_(masters))):
            used_renditions.update(r["sha256"] for r in renditions)
    _collect(runtime, [s for s in shas if s not in used_renditions])
