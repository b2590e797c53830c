"""Venue invitations: the board invites, the code works once and only until it expires."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from causeway.auth import invitations
from causeway.content import providers
from tests.conftest import bearer


def test_invitation_is_exchanged_once_for_a_venue_token(client: TestClient, tokens: dict[str, str],
                                                        settings) -> None:  # type: ignore[no-untyped-def]
    board = bearer(tokens["board"])
    r = client.post("/v1/board/invitations", json={"provider": "castle-venue", "label": "Duty manager"}, headers=board)
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["state"] == "open" and inv["url"].endswith(f"/portal#invite={inv['code']}")
    hours = (dt.datetime.fromisoformat(inv["expires_at"]) - dt.datetime.fromisoformat(inv["created_at"]))
    assert hours == dt.timedelta(hours=settings.invitation_ttl_hours)

    r = client.post("/v1/invitations/accept", json={"code": inv["code"]})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert token.startswith("cw_venue_") and r.json()["provider"]["slug"] == "castle-venue"
    assert client.get("/v1/venue/me", headers=bearer(token)).json()["provider"]["slug"] == "castle-venue"
    # Single use.
    again = client.post("/v1/invitations/accept", json={"code": inv["code"]})
    assert again.status_code == 410 and again.json()["reason"] == "used"
    assert again.headers["content-type"] == "application/problem+json"
    listed = client.get("/v1/board/invitations", headers=board).json()["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(inv["id"], "used")] and "code" not in listed[0]
    assert client.post("/v1/invitations/accept", json={"code": "cwi_not-a-real-code"}).status_code == 404


def test_expired_and_withdrawn_invitations_are_refused(client: TestClient, tokens: dict[str, str],
                                                       factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        venue = providers.get_by_slug(s, "castle-venue")
        _, old = invitations.create(s, venue, created_by="board:1", ttl_hours=1,
                                    now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        _, nearly = invitations.create(s, venue, created_by="board:1", ttl_hours=1,
                                       now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=59))
    r = client.post("/v1/invitations/accept", json={"code": old})
    assert r.status_code == 410 and r.json()["reason"] == "expired"
    assert client.post("/v1/invitations/accept", json={"code": nearly}).status_code == 200

    board = bearer(tokens["board"])
    inv = client.post("/v1/board/invitations", json={"provider": "castle-venue"}, headers=board).json()
    assert client.delete(f"/v1/board/invitations/{inv['id']}", headers=board).json()["state"] == "expired"
    assert client.post("/v1/invitations/accept", json={"code": inv["code"]}).json()["reason"] == "expired"


def test_only_the_board_invites(client: TestClient, tokens: dict[str, str]) -> None:
    body = {"provider": "castle-venue"}
    for who in ("venue", "other"):
        assert client.post("/v1/board/invitations", json=body, headers=bearer(tokens[who])).status_code == 403
        assert client.get("/v1/board/invitations", headers=bearer(tokens[who])).status_code == 403
        assert client.delete("/v1/board/invitations/1", headers=bearer(tokens[who])).status_code == 403
    assert client.post("/v1/board/invitations", json=body).status_code == 401
    assert client.post("/v1/board/invitations", json={"provider": "nobody"},
                       headers=bearer(tokens["board"])).status_code == 404
    assert client.delete("/v1/board/invitations/999999", headers=bearer(tokens["board"])).status_code == 404
    # A token from another provider's invitation sees only that provider's records.
    inv = client.post("/v1/board/invitations", json={"provider": "other-venue"}, headers=bearer(tokens["board"])).json()
    token = client.post("/v1/invitations/accept", json={"code": inv["code"]}).json()["token"]
    assert client.get("/v1/venue/me", headers=bearer(token)).json()["provider"]["slug"] == "other-venue"
