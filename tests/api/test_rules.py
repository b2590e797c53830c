"""Rules written once (issue 13): the calling visitor, If-None-Match, provider conflicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.requests import Request

from causeway.api import errors
from causeway.api.deps import current_visitor, get_principal
from causeway.api.http import not_modified
from causeway.auth.models import Role, Visitor
from causeway.auth.service import Principal
from causeway.content import providers

GONE = Principal(token_id=0, role=Role.visitor, visitor_id=10**9)


@pytest.fixture
def gone_client(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An app whose caller is a visitor token naming a visitor that no longer exists."""
    from causeway.api.app import create_app

    app = create_app(settings)
    app.dependency_overrides[get_principal] = lambda: GONE
    with TestClient(app) as c:
        yield c


def test_a_gone_visitor_is_401_on_every_visitor_endpoint(gone_client: TestClient) -> None:
    # Before: 404 from the profile, recommendations and itineraries, 401 from events.
    calls = [
        ("GET", "/v1/visitors/me", None),
        ("PUT", "/v1/visitors/me/profile", {}),
        ("DELETE", "/v1/visitors/me", None),
        ("GET", "/v1/recommendations", None),
        ("POST", "/v1/itineraries", {"days": [{"date": "2026-07-14"}]}),
        ("POST", "/v1/itineraries/1/replan", {}),
        ("GET", "/v1/itineraries/1", None),
        ("POST", "/v1/events", {"events": []}),
    ]
    for method, path, body in calls:
        # (a bearer header for the body-limit middleware, which looks before the app does)
        r = gone_client.request(method, path, json=body, headers={"Authorization": "Bearer cw_visitor_gone"})
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"] == "this visitor no longer exists"


def test_current_visitor_is_the_row(session: Session) -> None:
    visitor = Visitor(profile={"interests": ["castle"]})
    session.add(visitor)
    session.flush()
    me = Principal(token_id=1, role=Role.visitor, visitor_id=visitor.id)
    assert current_visitor(session, me) is visitor
    with pytest.raises(errors.Unauthorized):
        current_visitor(session, GONE)


def _request(inm: str | None) -> Request:
    headers = [] if inm is None else [(b"if-none-match", inm.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_if_none_match_parsed_once() -> None:
    tag = '"abc"'
    assert not_modified(_request(tag), tag)
    assert not_modified(_request('"x", W/"abc"'), tag)  # a list, weak comparison
    assert not_modified(_request(" * "), tag) and not_modified(_request('"x", *'), tag)
    assert not not_modified(_request('"abcd"'), tag)
    assert not not_modified(_request(""), tag) and not not_modified(_request(None), tag)


def test_409_comes_from_the_exception_class_not_its_text(session: Session) -> None:
    providers.create(session, slug="ulster-museum", name="Ulster Museum")
    with pytest.raises(providers.ProviderExists):
        providers.create(session, slug="ulster-museum", name="Again")
    # An invalid slug whose message happens to say "already exists" is still invalid input.
    with pytest.raises(providers.ProviderError) as invalid:
        providers.create(session, slug="already exists", name="X")
    assert not isinstance(invalid.value, providers.ProviderExists) and "already exists" in str(invalid.value)

    app = FastAPI()
    errors.install(app)

    @app.get("/exists")
    def exists() -> None:
        raise providers.ProviderExists("provider 'x' already exists")

    @app.get("/invalid")
    def invalid_slug() -> None:
        raise providers.ProviderError(str(invalid.value))

    with TestClient(app) as c:
        assert c.get("/exists").status_code == 409
        assert c.get("/invalid").status_code == 422  # was 409: matched "already exists"


def test_content_exceptions_carry_no_http_codes() -> None:
    from causeway.content.media import service as media
    from causeway.itineraries import service as itineraries

    for exc in (
        media.MediaError("r", "d"),
        media.MediaTooLarge("r", "d"),
        media.MediaConflict("r", "d"),
        itineraries.InvalidRequest("body.x", "bad"),
        providers.ProviderExists("x"),
    ):
        assert not hasattr(exc, "status") and not hasattr(exc, "status_code")
