"""The media machinery one process holds: storage, caches, the background runner.

One :class:`MediaRuntime` per process (the API creates it in its factory). It owns no
database session: the service passes sessions in, and the background runner opens its own
from the session factory it was given.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.content.media import iiif
from causeway.content.media.config import MediaConfig
from causeway.content.media.derived import DerivedCache, LevelCache, reduction_for
from causeway.content.media.models import MediaAsset
from causeway.content.media.storage import LocalStorage
from causeway.content.models import Attraction, Status

log = logging.getLogger("causeway.media")
LOOKUP_TTL = 5.0  # seconds a worker trusts what it knows of an identifier (status changes, deletions)


@dataclass(frozen=True)
class Served:
    """What serving an asset's bytes needs to know, cached briefly per process."""

    id: int
    identifier: str
    kind: str
    status: str
    media_type: str
    blob_sha256: str | None
    width: int | None
    height: int | None
    licence: str | None
    public: bool  # the attraction is published
    provider_id: int
    renditions: tuple[tuple[int, int, str, str], ...]  # (width, height, format, sha256)


class MediaRuntime:
    def __init__(self, config: MediaConfig, factory: sessionmaker[Session] | None = None) -> None:
        self.config = config
        self.factory = factory
        self.storage = LocalStorage(config.root)
        self.derived = DerivedCache(config.root, config.memory_cache_bytes)
        self.levels = LevelCache(config.decoded_cache_pixels)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="causeway-media")
        self._futures: set[Future[None]] = set()
        self._lookups: dict[str, tuple[float, Served | None]] = {}
        self._lock = threading.Lock()

    # Background work -------------------------------------------------------------------
    def submit(self, fn: Callable[[], None]) -> None:
        def run() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001  (a background job must not die silently)
                log.exception("media background job failed")

        future = self._executor.submit(run)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(lambda f: self._discard(f))

    def _discard(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job submitted so far has finished (tests, shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return
            for f in pending:
                f.result(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    # Lookups for serving ---------------------------------------------------------------
    def forget(self, identifier: str) -> None:
        with self._lock:
            self._lookups.pop(identifier, None)

    def known(self, identifier: str) -> tuple[bool, Served | None]:
        """(True, what is known) when the short-lived lookup cache has ``identifier``."""
        with self._lock:
            hit = self._lookups.get(identifier)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def lookup(self, identifier: str) -> Served | None:
        found, served = self.known(identifier)
        if found:
            return served
        now = time.monotonic()
        assert self.factory is not None
        with self.factory() as session:
            row = session.execute(
                select(MediaAsset, Attraction.status, Attraction.provider_id)
                .join(Attraction, Attraction.id == MediaAsset.attraction_id)
                .where(MediaAsset.identifier == identifier)).first()
        served = None
        if row is not None:
            a, status, provider_id = row
            served = Served(a.id, a.identifier, a.kind, a.status, a.media_type, a.blob_sha256, a.width,
                            a.height, a.licence, status == Status.published.value, provider_id,
                            tuple((r["width"], r["height"], r["format"], r["sha256"]) for r in a.renditions))
        with self._lock:
            if len(self._lookups) > 10_000:
                self._lookups.clear()
            self._lookups[identifier] = (now + LOOKUP_TTL, served)
        return served

    # IIIF ------------------------------------------------------------------------------
    def image(self, asset: Served, plan: iiif.Plan) -> bytes:
        """The bytes of ``plan`` drawn from ``asset``'s master: cached, or rendered and cached."""
        assert asset.blob_sha256 and asset.width
        data = self.derived.get(asset.blob_sha256, plan.key)
        if data is None:
            reduction = reduction_for(plan)
            level, scale = self.levels.get(asset.blob_sha256, self.storage.path(asset.blob_sha256),
                                           reduction, asset.width)
            data = iiif.render(level, scale, plan)
            self.derived.put(asset.blob_sha256, plan.key, data)
        return data
