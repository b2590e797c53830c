"""Personal recommendations for the calling visitor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import AfterValidator, BaseModel
from sqlalchemy import select

from causeway.api.deps import CurrentVisitor, DbSession, SettingsDep, rate_limit
from causeway.api.errors import ServiceUnavailable
from causeway.api.http import categories, languages, lat_lon, pick
from causeway.auth import profile as profile_model
from causeway.content.models import Attraction
from causeway.recommendations.service import NoModel, RecommendationService

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"],
                   dependencies=[Depends(rate_limit)])


class Reason(BaseModel):
    feature: str
    text: str
    weight: float


class Item(BaseModel):
    rank: int
    score: float
    distance_km: float | None
    attraction: dict
    reasons: list[Reason]


class ModelInfo(BaseModel):
    version: str
    trained_at: str | None
    simulated: bool
    events_source: str | None


class Recommendations(BaseModel):
    model: ModelInfo
    simulated: bool
    filters: dict
    items: list[Item]


@router.get("", response_model=Recommendations, summary="Recommendations for me")
def recommend(
    request: Request, db: DbSession, settings: SettingsDep, visitor: CurrentVisitor,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    category: Annotated[list[str] | None, Query(description="only these categories (any of them)"),
                        AfterValidator(categories)] = None,
    max_km: Annotated[float | None, Query(gt=0, le=500,
                                          description="within this distance of `near` or your base")] = None,
    near: Annotated[str | None, Query(description="lat,lon; default: the base in your profile"),
                    AfterValidator(lat_lon)] = None,
    open_during_stay: Annotated[bool, Query(description="drop places closed for the whole stay")] = True,
    include_visited: Annotated[bool, Query(description="keep places you checked in at")] = False,
    diversity: Annotated[float | None, Query(ge=0, le=1, description="0: by score only; default 0.3")] = None,
    fairness: Annotated[bool, Query(description="give small providers a fair share of the list")] = True,
    explain: Annotated[bool, Query(description="include the top reasons for each item")] = True,
    accept_language: Annotated[str | None, Header()] = None,
) -> Recommendations:
    """Attractions ranked for you from your interests, stay, base and what you did in the
    app, with the reasons for each. Places closed for your whole stay, out of reach, or
    not step-free when you need it are filtered out before ranking."""
    profile = profile_model.read(visitor.profile)
    service: RecommendationService = request.app.state.recommender
    try:
        loaded, recs = service.recommend(
            db, visitor_id=visitor.id, profile=profile, limit=limit, categories=category or [],
            max_km=max_km, near=near, open_during_stay=open_during_stay,  # type: ignore[arg-type]
            include_visited=include_visited, diversity=diversity, fairness=fairness,
            explain=3 if explain else 0)
    except NoModel as exc:
        raise ServiceUnavailable(str(exc), headers={"Retry-After": "60"}) from exc
    ids = [int(r.attraction_id) for r in recs]
    rows = {a.id: a for a in db.scalars(select(Attraction).where(Attraction.id.in_(ids)))} if ids else {}
    langs = languages(accept_language) or profile.languages
    items: list[Item] = []
    for r in recs:
        att = rows.get(int(r.attraction_id))
        if att is None:  # archived since the catalogue snapshot
            continue
        lang, name = pick(att.name, langs, settings.default_language)
        items.append(Item(rank=len(items) + 1, score=round(r.score, 4),
                          distance_km=None if r.distance_km is None else round(r.distance_km, 2),
                          attraction={
                              "id": att.id, "name": name, "language": lang, "categories": att.categories,
                              "location": {"lat": att.lat, "lon": att.lon}, "town": att.town,
                              "image_url": att.image_url, "visit_minutes": att.visit_minutes,
                              "price_band": att.price_band,
                              "provider": {"slug": att.provider.slug, "size_class": att.provider.size_class}},
                          reasons=[Reason(feature=x.feature, text=x.text, weight=round(x.weight, 3))
                                   for x in r.reasons]))
    meta = loaded.metadata
    simulated = bool(meta.get("simulated") or meta.get("simulated_events"))
    base = near or ((profile.base.lat, profile.base.lon) if profile.base else None)
    return Recommendations(
        model=ModelInfo(version=loaded.version, trained_at=meta.get("trained_at"), simulated=simulated,
                        events_source=meta.get("events_source")),
        simulated=simulated,
        filters={"category": category or [], "max_km": max_km if base else None,
                 "near": list(base) if base else None,
                 "open_during_stay": [str(profile.stay.start), str(profile.stay.end)]
                 if open_during_stay and profile.stay else None,
                 "wheelchair": profile.accessibility.wheelchair, "include_visited": include_visited},
        items=items)
