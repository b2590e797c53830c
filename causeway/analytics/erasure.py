"""Erasure (``DELETE /v1/visitors/me``): a visitor's events stay counted but point to nobody."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from causeway.analytics import rollups, store
from causeway.analytics.stream import EventStream

# The tombstone reaches a little past the erasure, over events accepted while it commits.
TOMBSTONE_MARGIN_SECONDS = 60.0


def erase_visitor_events(session: Session, stream: EventStream, visitor_id: int) -> int:
    """Unlink the visitor's stored events, and make sure no writer links the ones still queued.

    The tombstone goes first: if the stream is unreachable this raises StreamUnavailable and
    the caller's transaction erases nothing (the app retries). Returns the rows unlinked."""
    stream.forget_visitor(visitor_id, time.time() + TOMBSTONE_MARGIN_SECONDS)
    rollups.forget_visitor(session, visitor_id)  # support gone from the aggregated rows too
    return store.unlink_visitor(session, visitor_id)
