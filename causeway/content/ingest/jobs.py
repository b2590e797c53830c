"""Feed imports as background jobs, off the event loop and outside any request.

A large feed is answered at once (202) with the id of its import record, ``queued``; a
worker thread of this process runs it (``running``), then records ``done`` with the counts
and report in the same transaction as the import itself, or ``failed`` with the reason
(nothing of the import is kept). A provider has at most one import queued or running; a
process holds at most ``queue_max`` (the feeds wait in memory, each at most
``max_import_bytes``). A background dry run keeps its record (that is where its report is)
but writes nothing else.

The record names the process (host:pid) that runs it: at start-up a process marks failed the
jobs of processes of its host that are gone (a crash or a kill), since their feeds died with
them; a clean shutdown cancels the queued jobs and stops the running one at its next row
(rolled back), both recorded failed ("submit the feed again").
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy.exc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from causeway.content.dedup import Thresholds
from causeway.content.ingest.base import FeedUnreadable
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import run_import
from causeway.content.models import ImportRun, Provider
from causeway.db import transaction

log = logging.getLogger("causeway.imports")
ACTIVE = ("queued", "running")


class QueueFull(Exception):
    """This process already holds as many background imports as it may."""


class Interrupted(Exception):
    """The process is stopping: the running import gives up (rolled back)."""


class ImportBusy(Exception):
    """The provider already has an import queued or running."""

    def __init__(self, run_id: int, status: str) -> None:
        super().__init__(f"import {run_id} of this provider is {status}; wait for it to finish")
        self.run_id, self.status = run_id, status


@dataclass(frozen=True)
class ImportRequest:
    provider_id: int
    data: bytes
    source: str
    fmt: str = "auto"
    mapping: Mapping | None = None
    full: bool = True
    dry_run: bool = False
    thresholds: Thresholds = Thresholds()
    language: str = "en"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def active_import(session: Session, provider_id: int) -> ImportRun | None:
    """The provider's import that is queued or running, if any."""
    return session.scalar(select(ImportRun).where(ImportRun.provider_id == provider_id,
                                                  ImportRun.status.in_(ACTIVE)).limit(1))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ImportJobs:
    """The background imports of one API process."""

    def __init__(self, factory: sessionmaker[Session], *, workers: int = 1, queue_max: int = 4) -> None:
        self._factory = factory
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="causeway-import")
        self._queue_max = queue_max
        self._lock = threading.Lock()
        self._held: dict[int, Future[None]] = {}
        self._progress: dict[int, tuple[int, int]] = {}
        self._closed = False
        self._stopping = threading.Event()
        self.host = socket.gethostname()[:80]
        self.runner = f"{self.host}:{os.getpid()}"

    def recover(self) -> int:
        """Mark failed the jobs left queued or running by processes of this host that are gone."""
        failed = 0
        try:
            with transaction(self._factory) as s:
                for run in s.scalars(select(ImportRun).where(ImportRun.status.in_(ACTIVE))):
                    host, _, pid = (run.runner or "").rpartition(":")
                    if host == self.host and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                        run.status, run.finished_at = "failed", _now()
                        run.error = "interrupted: the process running it stopped; submit the feed again"
                        failed += 1
        except sqlalchemy.exc.DBAPIError:
            log.warning("imports: cannot look for interrupted jobs (is the database migrated?)", exc_info=True)
            return 0
        if failed:
            log.warning("marked %d interrupted import(s) failed", failed)
        return failed

    def submit(self, request: ImportRequest) -> int:
        """Record the import as queued and hand it to a worker thread; returns its id."""
        with self._lock:
            if self._closed or len(self._held) >= self._queue_max:
                raise QueueFull(f"{len(self._held)} imports are already waiting or running here")
            with transaction(self._factory) as s:
                busy = active_import(s, request.provider_id)
                if busy is not None:
                    raise ImportBusy(busy.id, busy.status)
                run = ImportRun(provider_id=request.provider_id, source=request.source,
                                format=request.fmt[:10], dry_run=request.dry_run, status="queued",
                                runner=self.runner, counts={}, report={})
                s.add(run)
                s.flush()
                run_id = run.id
            self._held[run_id] = self._pool.submit(self._run, run_id, request)
        return run_id

    def progress(self, run_id: int) -> dict[str, int] | None:
        """Rows read and applied so far of a job running in this process."""
        done = self._progress.get(run_id)
        return None if done is None else {"done": done[0], "total": done[1]}

    def _mark(self, run_id: int, **values: object) -> None:
        with transaction(self._factory) as s:
            run = s.get(ImportRun, run_id)
            if run is not None:
                for name, value in values.items():
                    setattr(run, name, value)

    def _run(self, run_id: int, req: ImportRequest) -> None:
        try:
            self._mark(run_id, status="running", started_at=_now())
            self._import(run_id, req)
        except Interrupted:
            self._mark(run_id, status="failed", finished_at=_now(),
                       error="the server stopped during the import; nothing was written; submit the feed again")
        except FeedUnreadable as exc:
            self._mark(run_id, status="failed", error=f"the feed cannot be read: {exc}", finished_at=_now())
        except sqlalchemy.exc.DataError as exc:
            log.info("import %d: the database refused a value: %s", run_id, str(exc.orig).splitlines()[0][:200])
            self._mark(run_id, status="failed", finished_at=_now(),
                       error="the feed holds a value the database cannot store (for example a NUL character)")
        except Exception:  # noqa: BLE001  (recorded as failed, logged with its traceback)
            log.exception("import %d failed", run_id)
            self._mark(run_id, status="failed", finished_at=_now(),
                       error="the import failed unexpectedly; it has been logged")
        finally:
            with self._lock:
                self._held.pop(run_id, None)
                self._progress.pop(run_id, None)

    def _import(self, run_id: int, req: ImportRequest) -> None:
        def progress(done: int, total: int) -> None:
            if self._stopping.is_set():
                raise Interrupted
            self._progress[run_id] = (done, total)

        with self._factory() as s:
            provider = s.get(Provider, req.provider_id)
            run = s.get(ImportRun, run_id)
            if provider is None or run is None:
                raise FeedUnreadable("the provider was deleted before its import ran")
            report = run_import(s, provider, req.data, source=req.source, fmt=req.fmt, mapping=req.mapping,
                                full=req.full, dry_run=req.dry_run, thresholds=req.thresholds,
                                language=req.language, progress=progress, run=run)
            if req.dry_run:
                s.rollback()  # nothing of a dry run is kept but its report
                doc = report.as_dict()
                self._mark(run_id, status="done", format=report.format, counts=doc["counts"],
                           report={"rejected": doc["rejected"], "duplicates": doc["duplicates"]},
                           finished_at=_now())
            else:
                run.finished_at = _now()
                s.commit()

    def close(self) -> None:
        """Cancel the queued jobs and stop the running ones (rolled back; recorded as failed)."""
        with self._lock:
            self._closed = True
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            waiting = [run_id for run_id, future in self._held.items() if future.cancelled()]
        if waiting:
            with transaction(self._factory) as s:
                for run in s.scalars(select(ImportRun).where(ImportRun.id.in_(waiting),
                                                             ImportRun.status == "queued")):
                    run.status, run.finished_at = "failed", _now()
                    run.error = "the server stopped before the import started; submit the feed again"
        self._pool.shutdown(wait=True)
