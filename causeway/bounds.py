"""Input ranges every layer shares: database ids, list positions, calendar dates, JSON depth.

The limits are the database's and the calendar's, stated once: an id is a positive 32-bit
integer (the ``INTEGER`` primary keys), a date lies between 2000-01-01 and three years
from today (analytics, stays and itineraries have no use for anything else, and year 9999
overflows the date arithmetic), and JSON is nested at most :data:`MAX_JSON_DEPTH` levels.
HTTP-free: the API turns these into 422 problem documents, ingestion into per-row reports.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1
MAX_POSITION = 100_000
MAX_JSON_DEPTH = 64
FIRST_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 3

#: A database id in a body or a stored document.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A place in a list (media order, impressions); 0 or 1 based by the caller.
Position = Annotated[int, Field(ge=0, le=MAX_POSITION)]


def last_date(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def check_date(value: dt.date) -> dt.date:
    """``value`` when it lies in 2000-01-01 .. today + 3 years, else ValueError."""
    if isinstance(value, dt.datetime):
        day = value.date()
    else:
        day = value
    if not FIRST_DATE <= day <= last_date():
        raise ValueError(f"must be between {FIRST_DATE.isoformat()} and {last_date().isoformat()}")
    return value


#: A calendar date in the supported range.
BoundedDate = Annotated[dt.date, AfterValidator(check_date)]
#: A date and time in the supported range.
BoundedDateTime = Annotated[dt.datetime, AfterValidator(check_date)]


class TooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH`."""


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((c, depth) for c in children if isinstance(c, (dict, list)))
    return deepest


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    if json_depth(value) > limit:
        raise TooDeep(f"JSON nested more than {limit} levels deep")
    return value


def loads(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` (a ValueError) instead of RecursionError and
    refuses documents nested deeper than ``limit``."""
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise TooDeep(f"JSON nested more than {limit} levels deep") from exc
    return check_depth(value, limit)


def storable_text(value: str | None) -> str | None:
    """Text a database column can hold (PostgreSQL refuses NUL characters)."""
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: A string that can be stored as given.
Text = Annotated[str, AfterValidator(storable_text)]
