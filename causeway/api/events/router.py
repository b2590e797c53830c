"""Engagement events from the visitor's app: batched, answered per event, counted once."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from causeway.analytics.consumer import TRANSIENT, Writer
from causeway.analytics.intake import Limits, ingest
from causeway.analytics.stream import EventStream, Receipt
from causeway.api.deps import CurrentVisitor, DbSession, SettingsDep, VisitorPrincipal, rate_limit
from causeway.api.errors import Unprocessable
from causeway.api.events.schemas import EventBatchIn, EventBatchRead, EventResultRead, ReceiptRead

log = logging.getLogger("causeway.api.events")
router = APIRouter(prefix="/v1/events", tags=["events"], dependencies=[Depends(rate_limit)])


def get_event_stream(request: Request) -> EventStream:
    return request.app.state.event_stream


EventStreamDep = Annotated[EventStream, Depends(get_event_stream)]


def _receipt(receipt: Receipt, entry: str | None) -> ReceiptRead:
    return ReceiptRead(epoch=receipt.epoch, entry=entry, stored_through=receipt.stored_through,
                       stored=entry is None or receipt.covers(entry, receipt.epoch))


@router.post("", response_model=EventBatchRead, summary="Report what the visitor did",
             responses={503: {"description": "The event stream is unreachable: re-send the batch later"}})
def post_events(batch: EventBatchIn, request: Request, db: DbSession, settings: SettingsDep,
                visitor: CurrentVisitor, stream: EventStreamDep) -> EventBatchRead:
    """A batch of events, each answered `accepted`, `duplicate` or `rejected` (with a reason).

    Re-sending is always safe: an event id is counted once, however often it arrives.
    Events up to `event_max_age_days` (7) old are accepted, for offline use. A 503 means
    nothing of the batch may have been taken: re-send it as it was.
    """
    if len(batch.events) > settings.event_batch_max:
        message = f"at most {settings.event_batch_max} events per batch; got {len(batch.events)}"
        raise Unprocessable(message, errors=[{"field": "body.events", "message": message}])
    report = ingest(db, stream, batch.events, visitor_id=visitor.id, profile=visitor.profile,
                    now=dt.datetime.now(dt.UTC), limits=Limits.from_settings(settings))
    receipt = report.receipt
    if _drain(request, stream):  # embedded default: written before the answer leaves
        receipt = stream.receipt()
    return EventBatchRead(**report.counts, results=[EventResultRead(**vars(r)) for r in report.results],
                          receipt=_receipt(receipt, report.entry))


def _drain(request: Request, stream: EventStream) -> bool:
    """In the embedded default, write what is queued. If the database is busy or down, the
    answer stands (the events are queued) and the receipt says they are not yet written."""
    writer: Writer | None = request.app.state.event_writer
    if writer is None:
        return False
    try:
        writer.drain()
    except TRANSIENT as exc:
        log.warning("events queued but not yet written: %s", str(exc).splitlines()[0][:200])
    return True


@router.get("/receipt", response_model=ReceiptRead, summary="How far the stream has been written")
def get_receipt(request: Request, principal: VisitorPrincipal, stream: EventStreamDep) -> ReceiptRead:
    """The current epoch and `stored_through`, for an app holding batches it has not yet seen stored."""
    _drain(request, stream)
    return _receipt(stream.receipt(), None)
