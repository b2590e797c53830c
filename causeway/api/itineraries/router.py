"""Itineraries for visitors: plan a trip, read it back, re-plan it in the street."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from causeway.api.deps import CurrentVisitor, DbSession, SettingsDep, rate_limit
from causeway.api.http import languages
from causeway.api.params import IdPath, IdQuery
from causeway.api.itineraries.render import render
from causeway.api.itineraries.schemas import ItineraryCreate, ItineraryRead, ReplanIn
from causeway.api.scoring import score_attractions
from causeway.itineraries import service

router = APIRouter(prefix="/v1/itineraries", tags=["itineraries"], dependencies=[Depends(rate_limit)])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown bearer token"},
    403: {"description": "Not a visitor token"},
    404: {"description": "No such itinerary (or not yours)"},
    422: {"description": "Invalid request: problem+json with `errors: [{field, message}]`"},
}


def _scorer(request: Request, db: Session, visitor_id: int
            ) -> Callable[[dict[str, Any], list[int]], dict[int, float]]:
    def score(profile: dict[str, Any], ids: list[int]) -> dict[int, float]:
        return score_attractions(request.app.state, db, visitor_id=visitor_id,
                                 profile=profile, attraction_ids=ids)

    return score


@router.post("", status_code=201, response_model=ItineraryRead, summary="Plan a trip",
             responses=PROBLEMS)
def create_itinerary(body: ItineraryCreate, request: Request, response: Response, db: DbSession,
                     settings: SettingsDep, visitor: CurrentVisitor,
                     accept_language: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """A day-by-day plan from the published catalogue: per day the ordered stops with arrival,
    wait, start, end and departure (local times), the travel legs and the slack; the
    high-scoring places that did not fit, as virtual visits, each with the reason; and why a
    must-see could not be fitted, if one could not."""
    found = service.create(db, visitor=visitor, ask=body.ask(languages(accept_language)),
                           settings=settings, scorer=_scorer(request, db, visitor.id))
    response.headers["Location"] = f"/v1/itineraries/{found.itinerary.id}"
    return render(found)


@router.get("/{itinerary_id}", response_model=ItineraryRead, summary="One of your itineraries",
            responses=PROBLEMS)
def get_itinerary(itinerary_id: IdPath, db: DbSession, visitor: CurrentVisitor,
                  version: Annotated[IdQuery | None, Query(description="default: the current one")] = None
                  ) -> dict[str, Any]:
    """The current version (or an earlier one), with the list of all versions."""
    found = service.get(db, visitor_id=visitor.id, itinerary_id=itinerary_id,
                        version=version)
    return render(found)


@router.post("/{itinerary_id}/replan", response_model=ItineraryRead, summary="Re-plan in the street",
             responses={**PROBLEMS, 409: {"description": "Re-planned concurrently; fetch and retry"}})
def replan_itinerary(itinerary_id: IdPath, body: ReplanIn, request: Request, db: DbSession,
                     settings: SettingsDep, visitor: CurrentVisitor) -> dict[str, Any]:
    """Repair the plan from where you are now: skip or lock stops, say you are running late,
    add an attraction. The rest changes as little as possible; the result is the next version,
    and `changes` says what changed."""
    found = service.replan_itinerary(
        db, visitor=visitor, itinerary_id=itinerary_id, now=body.now,
        position=body.position.place() if body.position else None, edits=body.edits.edits(),
        settings=settings, scorer=_scorer(request, db, visitor.id))
    return render(found)
