"""Shapes of the event API: a batch in, a result per event and a receipt out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from causeway.analytics.intake import EventIn

# Events are validated one by one (a bad one is rejected, the rest still count), so the
# body takes any JSON values here; the documented schema is EventIn's.
_EVENTS_SCHEMA = {"type": "array", "minItems": 1, "items": EventIn.model_json_schema(),
                  "description": "At most `event_batch_max` events (default 500)"}


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[Any], Field(min_length=1), WithJsonSchema(_EVENTS_SCHEMA)]


class EventResultRead(BaseModel):
    index: int = Field(description="Position of the event in the batch")
    event_id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None


class ReceiptRead(BaseModel):
    """Keep an accepted batch until ``entry <= stored_through`` in the same ``epoch`` (compare
    ids as ``<ms>-<seq>`` integer pairs); re-send every batch still kept when the epoch changes."""

    epoch: str
    entry: str | None = Field(None, description="This batch's stream entry; null when nothing was queued")
    stored_through: str = Field(description="Every entry up to this id is written")
    stored: bool = Field(description="This batch is already written (entry <= stored_through)")


class EventBatchRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "accepted": 1, "duplicate": 1, "rejected": 1,
        "results": [
            {"index": 0, "event_id": "0b7c3e9a-2f4d-4c1e-9a55-3f1f0d6c2a10", "status": "accepted", "reason": None},
            {"index": 1, "event_id": "5c1d0e44-8b0a-4a7e-bb3e-0d0f3f1f2a11", "status": "duplicate",
             "reason": "already counted"},
            {"index": 2, "event_id": "9f0e3d1c-0a4b-4c5d-8e6f-7a8b9c0d1e2f", "status": "rejected",
             "reason": "occurred_at: older than 7 days"}],
        "receipt": {"epoch": "5f0c2a9e11d04b7a", "entry": "1784023323000-0",
                    "stored_through": "1784023322991-3", "stored": False}}]})

    accepted: int
    duplicate: int
    rejected: int
    results: list[EventResultRead]
    receipt: ReceiptRead
