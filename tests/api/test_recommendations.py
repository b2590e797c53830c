"""`causeway train` and GET /v1/recommendations on both backends, on the shipped demo data.

Training here is deliberately small (few simulated visitors, few epochs): these tests
check behaviour a visitor relies on, not accuracy (that is `causeway eval recommender`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from causeway.analytics.models import Event
from causeway.auth.models import Visitor
from causeway.content.models import Attraction, AttractionCategory
from causeway.recommendations import data, store
from causeway.recommendations.train import NothingToTrain, train
from causeway.recommender.model import TRAINING_DEFAULTS
from tests.conftest import bearer

SMALL = {"simulate_visitors_n": 150, "epochs": 5, "components": 8}
BELFAST = (54.597, -5.930)


@pytest.fixture
def app_client(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from causeway.api.app import create_app

    live = settings.model_copy(update={"recommender_reload_seconds": 0.0})
    with TestClient(create_app(live)) as c:
        yield c


def visitor(client: TestClient, profile: dict | None = None) -> dict[str, str]:
    headers = bearer(client.post("/v1/visitors").json()["token"])
    if profile is not None:
        assert client.put("/v1/visitors/me/profile", json=profile, headers=headers).status_code == 200
    return headers


def names(body: dict) -> list[str]:
    return [i["attraction"]["name"] for i in body["items"]]


def test_train_needs_a_catalogue(session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NothingToTrain, match="causeway demo load"):
        train(session, settings.models_dir, **SMALL)
    assert store.current(settings.models_dir) is None


def test_the_job_trains_with_the_benchmarked_defaults(catalogue: None, session: Session,
                                                      settings) -> None:  # type: ignore[no-untyped-def]
    from causeway.cli import build_parser

    result = train(session, settings.models_dir, simulate_visitors_n=150)
    meta = json.loads((result.path / "meta.json").read_text())
    assert {k: meta["params"][k] for k in TRAINING_DEFAULTS} == TRAINING_DEFAULTS
    # Every artifact carries its held-out check, on the simulated visitors who engaged with
    # at least two attractions (not counting impressions for the held-out one).
    check = meta["metrics"]["holdout"]
    assert 100 <= check["users"] <= 150 and meta["metadata"]["n_events_held_out"] >= check["users"]
    assert all(0.0 <= check[f"{m}_{s}@20"] <= 1.0 for m in ("model", "popularity")
               for s in ("hit", "ndcg"))
    assert train(session, settings.models_dir, simulate_visitors_n=150,
                 holdout_users=0).metrics == {"train_seconds": pytest.approx(0, abs=60)}
    args = build_parser().parse_args(["train"])
    assert (args.components, args.epochs, args.max_sampled) == (
        TRAINING_DEFAULTS["no_components"], TRAINING_DEFAULTS["epochs"],
        TRAINING_DEFAULTS["max_sampled"])


def test_before_training_the_api_says_so(app_client: TestClient, catalogue: None) -> None:
    r = app_client.get("/v1/recommendations", headers=visitor(app_client))
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "causeway train" in r.json()["detail"] and r.headers["Retry-After"]


def test_simulated_history_is_labelled_and_serves(app_client: TestClient, catalogue: None,
                                                  session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    result = train(session, settings.models_dir, **SMALL)
    assert result.metadata["events_source"] == "simulated" and result.metadata["simulated"]
    assert store.current(settings.models_dir) == result.version
    body = app_client.get("/v1/recommendations", params={"limit": 7}, headers=visitor(app_client)).json()
    assert body["simulated"] is True and body["model"]["version"] == result.version
    assert len(body["items"]) == 7 and [i["rank"] for i in body["items"]] == list(range(1, 8))
    assert all(i["reasons"] for i in body["items"])
    # Recommendations are for a visitor's token.
    assert app_client.get("/v1/recommendations").status_code == 401


def test_stated_interests_and_hard_filters(app_client: TestClient, catalogue: None,
                                           session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    train(session, settings.models_dir, **SMALL)
    # A new visitor with only stated interests (cold start) gets them first, with the reason.
    museums = app_client.get("/v1/recommendations", params={"limit": 5}, headers=visitor(
        app_client, {"interests": ["museum"]})).json()
    assert all("museum" in i["attraction"]["categories"] for i in museums["items"])
    assert museums["items"][0]["reasons"][0]["feature"] == "interests:museum"
    assert "museums" in museums["items"][0]["reasons"][0]["text"]
    # A one-day stay on a Monday: the Ulster Museum is closed all Monday, so it goes.
    monday = {"interests": ["museum"], "stay": {"start": "2026-11-23", "end": "2026-11-23"}}
    params = {"limit": 50, "category": "museum"}
    body = app_client.get("/v1/recommendations", params=params, headers=visitor(app_client, monday)).json()
    assert "Ulster Museum" not in names(body) and "Titanic Belfast" in names(body)
    assert body["filters"]["open_during_stay"] == ["2026-11-23", "2026-11-23"]
    everything = app_client.get("/v1/recommendations", params={**params, "open_during_stay": "false"},
                                headers=visitor(app_client, monday)).json()
    assert "Ulster Museum" in names(everything)
    # Within reach of the hotel.
    hotel = {"base": {"lat": BELFAST[0], "lon": BELFAST[1]}}
    near = app_client.get("/v1/recommendations", params={"limit": 20, "max_km": 3},
                          headers=visitor(app_client, hotel)).json()
    assert near["items"] and all(i["distance_km"] <= 3 for i in near["items"])
    # Category filter.
    gardens = app_client.get("/v1/recommendations", params={"limit": 10, "category": "garden"},
                             headers=visitor(app_client)).json()
    assert all("garden" in i["attraction"]["categories"] for i in gardens["items"])
    # Wheelchair users do not see places the provider says are not accessible.
    for_all = app_client.get("/v1/recommendations", params={"limit": 10}, headers=visitor(app_client)).json()
    stepped = [i["attraction"]["id"] for i in for_all["items"][:4]]
    session.execute(update(Attraction).where(Attraction.id.in_(stepped)).values(wheelchair="no"))
    session.commit()
    wheel = app_client.get("/v1/recommendations", params={"limit": 10}, headers=visitor(
        app_client, {"accessibility": {"wheelchair": True}})).json()
    assert len(wheel["items"]) == 10 and not set(stepped) & {i["attraction"]["id"] for i in wheel["items"]}
    bad = app_client.get("/v1/recommendations", params={"category": "dragons"}, headers=visitor(app_client))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_visited_places_drop_out_and_new_attractions_are_served(
        app_client: TestClient, catalogue: None, session: Session, factory, settings) -> None:  # type: ignore[no-untyped-def]
    train(session, settings.models_dir, **SMALL)
    me = visitor(app_client, {"interests": ["museum"]})
    first = app_client.get("/v1/recommendations", params={"limit": 3}, headers=me).json()["items"][0]
    vid = app_client.get("/v1/visitors/me", headers=me).json()["visitor_id"]
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        s.add(Event(event_id=str(uuid.uuid4()), type="visit", visitor_id=vid,
                    attraction_id=first["attraction"]["id"], occurred_at=now, received_at=now))
    again = app_client.get("/v1/recommendations", params={"limit": 3}, headers=me).json()
    assert first["attraction"]["id"] not in [i["attraction"]["id"] for i in again["items"]]
    assert first["attraction"]["id"] in [i["attraction"]["id"] for i in app_client.get(
        "/v1/recommendations", params={"limit": 3, "include_visited": "true"}, headers=me).json()["items"]]
    # An attraction published after training has no interactions; it is scored from its
    # features and reaches visitors without retraining.
    with factory.begin() as s:
        template = s.scalars(select(Attraction).where(Attraction.sort_name.like("ulster museum%"))).first()
        new = Attraction(provider_id=template.provider_id, external_id="new-gallery", source="test",
                         name={"en": "New Gallery"}, sort_name="new gallery", lat=54.60, lon=-5.93,
                         status="published", content_hash="x",
                         category_rows=[AttractionCategory(category="museum", position=0)])
        s.add(new)
    listed = app_client.get("/v1/recommendations", params={"limit": 50, "category": "museum"},
                            headers=visitor(app_client)).json()
    assert "New Gallery" in names(listed)


def test_real_events_train_the_model_and_erased_visitors_do_not(
        session: Session, factory, settings, catalogue: None) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        ids = list(s.scalars(select(Attraction.id).where(Attraction.merged_into_id.is_(None))
                             .order_by(Attraction.id).limit(30)))
        people = [Visitor(profile={"interests": ["garden"]}) for _ in range(12)]
        s.add_all(people)
        s.flush()
        for n, person in enumerate(people):
            for j in range(5):
                s.add(Event(event_id=str(uuid.uuid4()), type="visit", visitor_id=person.id,
                            attraction_id=ids[(n + j) % len(ids)], occurred_at=now, received_at=now))
        s.add(Event(event_id=str(uuid.uuid4()), type="visit", visitor_id=None, attraction_id=ids[0],
                    occurred_at=now, received_at=now))
    frame = data.events_frame(session)
    assert len(frame) == 60 and "None" not in set(frame["visitor_id"])
    # Read back as the same instant in UTC on both backends (recency decay depends on it).
    assert (frame["timestamp"] == pd.Timestamp(now)).all() and str(frame["timestamp"].dt.tz) == "UTC"
    assert set(frame["visitor_id"]) == {str(p.id) for p in people}
    assert set(frame["attraction_id"]) <= {str(i) for i in ids} and not frame["simulated"].any()
    result = train(session, settings.models_dir, min_events=50, **SMALL)
    assert result.metadata["events_source"] == "database" and not result.metadata["simulated"]
    assert result.metadata["n_visitors"] == 12 and result.metadata["n_events"] == 60


def test_scores_for_the_planner_follow_interests(app_client: TestClient, catalogue: None,
                                                 session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    service = app_client.app.state.recommender  # type: ignore[attr-defined]
    ids = list(session.scalars(select(Attraction.id).where(Attraction.status == "published")))
    train(session, settings.models_dir, **SMALL)
    museum_ids = set(session.scalars(select(AttractionCategory.attraction_id)
                                     .where(AttractionCategory.category == "museum")))
    scores = service.score(profile={"interests": ["museum"]}, visitor_id=None, attraction_ids=ids + [10**9])
    assert set(scores) == set(ids) and all(0.0 <= v <= 1.0 for v in scores.values())
    best = sorted(scores, key=scores.get, reverse=True)[:len(museum_ids & set(ids))]
    assert set(best) == museum_ids & set(ids)


def test_itineraries_use_the_trained_model(app_client: TestClient, catalogue: None,
                                           session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    train(session, settings.models_dir, **SMALL)
    me = visitor(app_client, {"interests": ["museum"], "base": {"lat": BELFAST[0], "lon": BELFAST[1]},
                              "travel_mode": "public_transport"})
    r = app_client.post("/v1/itineraries", json={"days": [{"date": "2026-11-24"}]}, headers=me)
    assert r.status_code == 201, r.text
    stops = [s for day in r.json()["days"] for s in day["stops"]]
    visited = {s["attraction"]["name"] if isinstance(s.get("attraction"), dict) else s.get("name") for s in stops}
    # A museum lover's Tuesday in Belfast is a day of museums, Titanic Belfast among them
    # (visits are valued by the hour, so two-hour museums are not crowded out by short stops).
    museums = set(session.scalars(select(Attraction.sort_name).join(AttractionCategory).where(
        AttractionCategory.category == "museum")))
    assert "Titanic Belfast" in visited and len(visited) >= 2, visited
    assert all(name.lower() in museums for name in visited), visited


def test_the_model_knows_only_visitors_it_was_trained_on(app_client: TestClient, catalogue: None,
                                                        session: Session, factory, settings) -> None:  # type: ignore[no-untyped-def]
    """A visitor registered after training (or one reusing an erased visitor's id) gets no
    identity from the model: their list comes from their profile alone."""
    from causeway.recommendations.service import RecommendationService

    service: RecommendationService = app_client.app.state.recommender  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        old = Visitor(profile={}, created_at=now - dt.timedelta(days=1))
        s.add(old)
        s.flush()
        ids = list(s.scalars(select(Attraction.id).limit(40)))
        for aid in ids:
            s.add(Event(event_id=str(uuid.uuid4()), type="visit", visitor_id=old.id, attraction_id=aid,
                        occurred_at=now, received_at=now))
        old_id = old.id
    train(session, settings.models_dir, **SMALL)
    loaded = service.current()
    assert service._model_key(session, loaded, old_id) == str(old_id)
    with factory.begin() as s:
        s.get(Visitor, old_id).created_at = now + dt.timedelta(hours=1)  # as if registered after training
    assert service._model_key(session, loaded, old_id) is None


def test_the_profile_base_becomes_the_models_base_area() -> None:
    from causeway.recommender.features import base_area

    record = data.model_profile({"interests": ["castle"], "base": {"lat": 55.2, "lon": -6.5}})
    assert record["base_area"] == base_area(55.2, -6.5) == "552:-44"
    assert "base_area" not in data.model_profile({"interests": ["castle"]})


def test_fairness_prices_small_providers_into_the_list(app_client: TestClient, catalogue: None,
                                                       session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    """Fairness is on by default: one exposure price for every visitor, solved when the model
    is loaded so that small providers' share of a sample of visitors' top 10 rises by the
    configured target. Turning it off changes lists that have small providers in them."""
    from causeway.content import providers
    from causeway.content.models import Provider

    # The demo's feeds are a medium and a large provider, and the fixture's few small venues'
    # records are Belfast favourites that every list shows already. Here a fifth of the
    # demo's places move to small venues, so small providers are a real share of the catalogue.
    venue = providers.create(session, slug="small-venues", name="Small venues", size_class="small",
                             trusted=True)
    demo_ids = select(Provider.id).where(Provider.slug.in_(["causeway-coast-glens",
                                                             "dfc-historic-environment"]))
    moved = list(session.scalars(select(Attraction.id).where(
        Attraction.provider_id.in_(demo_ids), Attraction.status == "published")
        .order_by(Attraction.id)))[::5]
    session.execute(update(Attraction).where(Attraction.id.in_(moved)).values(provider_id=venue.id))
    session.commit()
    train(session, settings.models_dir, **SMALL)
    service = app_client.app.state.recommender  # type: ignore[attr-defined]
    exposure = service.current().exposure
    assert exposure["target"] == settings.recommender_fairness_target == 0.10
    assert exposure["price"] > 0 and exposure["visitors"] >= 20
    assert exposure["share_after"] > exposure["share_before"]
    small = set(session.scalars(select(Attraction.id).join(Provider).where(
        Provider.size_class == "small", Attraction.status == "published")))
    assert set(moved) <= small
    profiles = [{"base": {"lat": BELFAST[0], "lon": BELFAST[1]}},  # the Belfast visitor
                {"interests": ["museum"], "base": {"lat": BELFAST[0], "lon": BELFAST[1]}},
                {"interests": ["history"]}, {"interests": ["garden"]}, {"interests": ["castle"]},
                {"interests": ["food", "history"], "base": {"lat": BELFAST[0], "lon": BELFAST[1]}},
                {}, {"interests": ["coast"]}]
    changed = []
    for profile in profiles:
        me = visitor(app_client, profile)
        on = [i["attraction"]["id"] for i in app_client.get(
            "/v1/recommendations", params={"limit": 10}, headers=me).json()["items"]]
        off = [i["attraction"]["id"] for i in app_client.get(
            "/v1/recommendations", params={"limit": 10, "fairness": "false"}, headers=me).json()["items"]]
        assert len(on) == len(off) == 10
        n_on, n_off = len(small & set(on)), len(small & set(off))
        assert n_on >= n_off, profile  # the price only ever favours small providers
        if on != off:
            changed.append((profile, n_off, n_on))
    # Lists that already show small providers change too (the quota left those alone).
    assert any(n_off >= 1 and n_on > n_off for _, n_off, n_on in changed), changed
    # Without a target there is no price, and fairness=true is the plain list.
    assert service.rerank_config(service.current(), diversity=None, fairness=True).exposure_price > 0
    loaded = service.current()
    off_cfg = service.rerank_config(replace(loaded, exposure={"price": 0.0}), diversity=0.0,
                                    fairness=True)
    assert off_cfg.exposure_price == 0.0 and off_cfg.diversity == 0.0


def test_a_returning_visitor_gets_the_revisit_and_popularity_prior(
        app_client: TestClient, catalogue: None, session: Session, factory, settings) -> None:  # type: ignore[no-untyped-def]
    """With visits recorded, the list is the prior the evaluation chose (history first,
    then popularity, the model at a small weight); before any visit it is the hybrid's."""
    train(session, settings.models_dir, **SMALL)
    me = visitor(app_client)
    params = {"limit": 10, "fairness": "false", "diversity": 0, "include_visited": "true"}
    cold = [i["attraction"]["id"] for i in app_client.get(
        "/v1/recommendations", params=params, headers=me).json()["items"]]
    vid = app_client.get("/v1/visitors/me", headers=me).json()["visitor_id"]
    service = app_client.app.state.recommender  # type: ignore[attr-defined]
    pipe = service.current().pipeline
    assert pipe.item_popularity_ is not None and pipe.item_popularity_.max() > 0
    # the least popular attraction the model does not rank in this visitor's top 10
    ids = service.current().ids
    order = np.argsort(pipe.item_popularity_, kind="stable")
    rare = next(int(ids[i]) for i in order if int(ids[i]) not in cold)
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as s:
        for _ in range(2):
            s.add(Event(event_id=str(uuid.uuid4()), type="visit", visitor_id=vid,
                        attraction_id=rare, occurred_at=now, received_at=now))
    back = [i["attraction"]["id"] for i in app_client.get(
        "/v1/recommendations", params=params, headers=me).json()["items"]]
    assert back[0] == rare  # places they went to come first when they ask for them
    # the rest follows popularity: the returning list's other places are more popular on
    # average than the cold visitor's hybrid list
    pos = service.current().positions
    pop = pipe.item_popularity_
    assert np.mean([pop[pos[a]] for a in back[1:]]) >= np.mean([pop[pos[a]] for a in cold]) - 1e-9
    # by default visited places drop out, and the list is the prior over the rest
    default = [i["attraction"]["id"] for i in app_client.get(
        "/v1/recommendations", params={"limit": 9, "fairness": "false", "diversity": 0},
        headers=me).json()["items"]]
    assert rare not in default and default == back[1:]
