"""Builders for the event tests: attractions to point at, events as the app sends them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from causeway.analytics.intake import EventIn, encode
from causeway.content.models import Attraction, Provider


def add_attractions(session: Session, n: int = 3) -> list[int]:
    provider = Provider(slug=f"events-test-{uuid.uuid4().hex[:6]}", name="Events test", size_class="small")
    session.add(provider)
    session.flush()
    rows = [Attraction(provider_id=provider.id, external_id=f"a{i}", source="test", name={"en": f"Place {i}"},
                       sort_name=f"place {i}", lat=54.6 + i / 100, lon=-5.93, content_hash=f"h{i}",
                       status="published") for i in range(n)]
    session.add_all(rows)
    session.flush()
    return [a.id for a in rows]


def event(type_: str = "detail_view", *, attraction_id: int | None = None, age: dt.timedelta = dt.timedelta(0),
          **fields: Any) -> dict[str, Any]:
    """One event as JSON, occurred ``age`` ago."""
    doc: dict[str, Any] = {"event_id": str(uuid.uuid4()), "type": type_,
                           "occurred_at": (dt.datetime.now(dt.UTC) - age).isoformat()}
    if attraction_id is not None:
        doc["attraction_id"] = attraction_id
    doc.update(fields)
    return doc


def encoded(doc: dict[str, Any], *, visitor_id: int | None,
            received_at: dt.datetime | None = None) -> tuple[str, bytes]:
    """``doc`` as the API would publish it to the stream."""
    parsed = EventIn.model_validate(doc)
    return str(parsed.event_id), encode(parsed, visitor_id=visitor_id, market=None,
                                        received_at=received_at or dt.datetime.now(dt.UTC))
