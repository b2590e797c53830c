"""Path and query parameters shared by the routers: database ids in their range.

An id outside 1..2^31-1 cannot name a row, so it is a 422 at the schema (never a database
overflow, never a 500); the OpenAPI document states the range.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from causeway.bounds import MAX_ID

#: An id in the path: ``/v1/attractions/{attraction_id}``.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id (at most 2^31-1)")]
#: An id in the query string: ``?version=3``.
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
