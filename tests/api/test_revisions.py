"""Revisions: a venue proposes, the board approves (possibly edited) or rejects; the board's
own edits apply at once; stale edits are 409; one publication rule; nobody crosses over."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DATA, bearer

OSM = (DATA / "belfast-overpass.json").read_bytes()
NEW_HOURS = "Apr-Sep Mo-Su 10:00-18:00; Oct-Mar Sa,Su 11:00-16:00"


@pytest.fixture
def venue_places(client: TestClient, tokens: dict[str, str]) -> dict[str, int]:
    """castle-venue's four OSM records, published by the board; name -> id."""
    r = client.post("/v1/providers/castle-venue/imports", content=OSM, headers=bearer(tokens["venue"]))
    assert r.status_code == 200 and r.json()["new_status"] == "submitted"
    items = client.get("/v1/venue/attractions", headers=bearer(tokens["venue"])).json()["items"]
    assert len(items) == 4 and {i["status"] for i in items} == {"submitted"}
    for item in items:
        r = client.patch(f"/v1/attractions/{item['id']}", json={"status": "published"},
                         headers=bearer(tokens["board"]))
        assert r.status_code == 200, r.text
    return {i["name"]: i["id"] for i in items}


def test_venue_edit_waits_for_the_board_and_goes_live_on_approval(
        client: TestClient, tokens: dict[str, str], venue_places: dict[str, int]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    att_id = venue_places["Belfast Castle"]
    before = client.get(f"/v1/attractions/{att_id}").json()
    content = client.get(f"/v1/attractions/{att_id}/content", headers=venue).json()
    assert content["version"] == before["version"] and content["pending_revision"] is None

    r = client.patch(f"/v1/attractions/{att_id}", headers={**venue, "If-Match": f'"{content["version"]}"'},
                     json={"opening_hours": NEW_HOURS, "description": {"ga": "Caisleán Bhéal Feirste"},
                           "contact": {"phone": "+44 28 9077 6925"}})
    assert r.status_code == 202, r.text
    rev = r.json()
    assert rev["status"] == "pending" and rev["kind"] == "edit" and rev["author"].startswith("venue:")
    assert r.headers["location"] == f"/v1/attractions/{att_id}/revisions/{rev['id']}"
    changes = {c["field"]: c for c in rev["changes"]}
    assert set(changes) == {"opening_hours", "description", "phone"}
    assert changes["opening_hours"]["before"] == before["opening_hours"]
    assert changes["opening_hours"]["proposed"] == NEW_HOURS
    # The live record has not changed.
    live = client.get(f"/v1/attractions/{att_id}").json()
    assert live["opening_hours"] == before["opening_hours"] and live["version"] == before["version"]
    assert client.get(f"/v1/attractions/{att_id}/content", headers=venue).json()["pending_revision"]["id"] == rev["id"]

    queue = client.get("/v1/board/revisions", headers=board).json()["items"]
    assert [q["id"] for q in queue] == [rev["id"]]
    r = client.post(f"/v1/board/revisions/{rev['id']}/approve", json={}, headers=board)
    assert r.status_code == 200, r.text
    assert r.json()["revision"]["status"] == "approved"
    live = client.get(f"/v1/attractions/{att_id}", headers={"Accept-Language": "ga"}).json()
    assert live["opening_hours"] == NEW_HOURS and live["version"] == before["version"] + 1
    assert live["description"] == "Caisleán Bhéal Feirste" and live["contact"]["phone"] == "+44 28 9077 6925"
    assert "opening_hours" not in live["estimated"]
    assert client.get("/v1/board/revisions", headers=board).json()["items"] == []
    # Deciding twice is a conflict.
    assert client.post(f"/v1/board/revisions/{rev['id']}/approve", json={}, headers=board).status_code == 409
    history = client.get(f"/v1/attractions/{att_id}/revisions", headers=venue).json()["items"]
    assert history[0]["id"] == rev["id"] and history[0]["applied"]["opening_hours"] == NEW_HOURS


def test_rejection_carries_a_reason_the_venue_sees(client: TestClient, tokens: dict[str, str],
                                                   venue_places: dict[str, int]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    att_id = venue_places["Belfast Castle"]
    rev = client.patch(f"/v1/attractions/{att_id}", json={"price_band": "low"}, headers=venue).json()
    assert client.post(f"/v1/board/revisions/{rev['id']}/reject", json={"reason": ""},
                       headers=board).status_code == 422
    r = client.post(f"/v1/board/revisions/{rev['id']}/reject",
                    json={"reason": "Entry to the castle grounds is free but the tour is not."}, headers=board)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    mine = {i["id"]: i for i in client.get("/v1/venue/attractions", headers=venue).json()["items"]}
    latest = mine[att_id]["latest_revision"]
    assert latest["status"] == "rejected" and latest["reason"].startswith("Entry to the castle grounds")
    assert client.get(f"/v1/attractions/{att_id}").json()["price_band"] == "free"  # the feed's, unchanged


def test_board_edits_then_approves_and_later_edits_supersede(client: TestClient, tokens: dict[str, str],
                                                              venue_places: dict[str, int]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    att_id = venue_places["Belfast Castle"]
    first = client.patch(f"/v1/attractions/{att_id}", json={"opening_hours": "Mo-Su 09:00-17:00"}, headers=venue).json()
    second = client.patch(f"/v1/attractions/{att_id}", json={"visit_minutes": 120}, headers=venue).json()
    # One pending revision per attraction; it carries what the first proposed.
    assert {c["field"] for c in second["changes"]} == {"opening_hours", "visit_minutes"}
    first_now = client.get(f"/v1/attractions/{att_id}/revisions/{first['id']}", headers=venue).json()
    assert first_now["status"] == "superseded"
    r = client.post(f"/v1/board/revisions/{second['id']}/approve",
                    json={"edits": {"opening_hours": "Mo-Su 09:30-17:00"}}, headers=board)
    assert r.status_code == 200, r.text
    live = r.json()["attraction"]
    assert live["opening_hours"] == "Mo-Su 09:30-17:00" and live["visit_minutes"] == 120
    assert r.json()["revision"]["applied"] == {"opening_hours": "Mo-Su 09:30-17:00", "visit_minutes": 120}
    # Edits are validated like everything else.
    third = client.patch(f"/v1/attractions/{att_id}", json={"visit_minutes": 90}, headers=venue).json()
    bad = client.post(f"/v1/board/revisions/{third['id']}/approve", json={"edits": {"opening_hours": "sometimes"}},
                      headers=board)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.edits.opening_hours"


def test_board_edits_apply_at_once_and_are_recorded(client: TestClient, tokens: dict[str, str],
                                                    venue_places: dict[str, int]) -> None:
    board = bearer(tokens["board"])
    att_id = venue_places["Belfast Castle"]
    version = client.get(f"/v1/attractions/{att_id}").json()["version"]
    r = client.patch(f"/v1/attractions/{att_id}", headers=board,
                     json={"name": {"ga": "Caisleán Bhéal Feirste"}, "tags": ["Views", "wedding venue"],
                           "categories": ["castle", "garden"], "accessibility": {"wheelchair": "limited"}})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == version + 1 and r.headers["etag"] == f'"{version + 1}"'
    assert r.json()["accessibility"] == {"wheelchair": "limited"} and r.json()["tags"] == ["views", "wedding venue"]
    rev = client.get(f"/v1/attractions/{att_id}/revisions", headers=board).json()["items"][0]
    assert rev["kind"] == "board" and rev["status"] == "approved"
    assert {c["field"] for c in rev["changes"]} == {"name", "tags", "categories", "wheelchair"}
    found = client.get("/v1/attractions", params={"q": "caisleán"}).json()["items"]
    assert [f["id"] for f in found] == [att_id]


def test_stale_edits_are_409_with_the_current_version(client: TestClient, tokens: dict[str, str],
                                                      venue_places: dict[str, int]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    att_id = venue_places["Belfast Castle"]
    version = client.get(f"/v1/attractions/{att_id}").json()["version"]
    rev = client.patch(f"/v1/attractions/{att_id}", json={"opening_hours": "Mo-Su 10:00-16:00", "version": version},
                       headers=venue).json()
    # Meanwhile the board changes the same field directly.
    assert client.patch(f"/v1/attractions/{att_id}", json={"opening_hours": "Mo-Su 09:00-18:00"},
                        headers=board).status_code == 200
    stale = client.patch(f"/v1/attractions/{att_id}", json={"visit_minutes": 45},
                         headers={**venue, "If-Match": f'"{version}"'})
    assert stale.status_code == 409 and stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == version + 1 and stale.json()["current"]["version"] == version + 1
    # Approving the venue's revision as it is would overwrite the board's change: 409, with the field.
    r = client.post(f"/v1/board/revisions/{rev['id']}/approve", json={}, headers=board)
    assert r.status_code == 409 and r.json()["fields"] == ["opening_hours"]
    r = client.post(f"/v1/board/revisions/{rev['id']}/approve",
                    json={"edits": {"opening_hours": "Mo-Su 10:00-16:00"}, "version": version}, headers=board)
    assert r.status_code == 409 and r.json()["current_version"] == version + 1
    r = client.post(f"/v1/board/revisions/{rev['id']}/approve",
                    json={"edits": {"opening_hours": "Mo-Su 10:00-16:00"}, "version": version + 1}, headers=board)
    assert r.status_code == 200 and r.json()["attraction"]["opening_hours"] == "Mo-Su 10:00-16:00"
    assert client.patch(f"/v1/attractions/{att_id}", json={"visit_minutes": 45},
                        headers={**venue, "If-Match": "nonsense"}).status_code == 422


def test_validation_errors_name_each_field(client: TestClient, tokens: dict[str, str],
                                           venue_places: dict[str, int]) -> None:
    venue = bearer(tokens["venue"])
    att_id = venue_places["Belfast Castle"]
    r = client.patch(f"/v1/attractions/{att_id}", headers=venue, json={
        "opening_hours": "Mo-Fr 10:00-17;00", "categories": ["castle", "spaceport"], "website": "ftp://x",
        "contact": {"email": "not-an-address"}, "name": {"en": None}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"body.opening_hours", "body.categories", "body.website", "body.contact.email", "body.name"}
    assert client.patch(f"/v1/attractions/{att_id}", headers=venue, json={"colour": "red"}).status_code == 422
    assert client.patch(f"/v1/attractions/{att_id}", headers=venue,
                        json={"visit_minutes": 3}).json()["errors"][0]["field"] == "body.visit_minutes"


def test_hours_preview(client: TestClient) -> None:
    r = client.post("/v1/hours/preview", json={"opening_hours": NEW_HOURS, "start": "2026-12-07"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["days"][0] == {"date": "2026-12-07", "weekday": "Mo", "hours": "closed"}
    assert doc["days"][5] == {"date": "2026-12-12", "weekday": "Sa", "hours": "11:00-16:00"}
    assert [s["label"] for s in doc["seasons"]] == ["Dec-Mar", "Apr-Sep", "Oct-Nov"]
    assert doc["seasons"][1]["week"] == "Mo-Su 10:00-18:00"
    bad = client.post("/v1/hours/preview", json={"opening_hours": "Mo-Fr 10:00-17;00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.opening_hours"
    assert "not valid opening_hours syntax" in bad.json()["detail"]


def test_unpublished_records_are_edited_in_place_and_submitted_by_the_venue(
        client: TestClient, tokens: dict[str, str]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    r = client.post("/v1/attractions", headers=venue, json={
        "name": {"en": "Castle Tea Room"}, "location": {"lat": 54.6431, "lon": -5.9420},
        "categories": ["food"], "opening_hours": "Mo-Su 10:00-16:00"})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["status"] == "submitted" and new["version"] == 1 and new["categories"] == ["food"]
    assert client.get(f"/v1/attractions/{new['id']}").status_code == 404  # not live
    r = client.patch(f"/v1/attractions/{new['id']}", json={"visit_minutes": 40}, headers=venue)
    assert r.status_code == 200 and r.json()["visit_minutes"] == 40 and r.json()["version"] == 2
    assert client.patch(f"/v1/attractions/{new['id']}", json={"status": "published"},
                        headers=venue).status_code == 403
    assert client.patch(f"/v1/attractions/{new['id']}", json={"status": "submitted"},
                        headers=venue).status_code == 200
    assert client.patch(f"/v1/attractions/{new['id']}", json={"status": "published"},
                        headers=board).json()["status"] == "published"
    assert client.get(f"/v1/attractions/{new['id']}").json()["name"] == "Castle Tea Room"
    # Validation and required fields on create.
    r = client.post("/v1/attractions", headers=venue, json={"name": {"en": "Nowhere"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.location"
    r = client.post("/v1/attractions", headers=board,
                    json={"name": {"en": "X"}, "location": {"lat": 54.6, "lon": -5.9}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.provider"


def test_trusted_providers_publish_and_change_at_once(client: TestClient, tokens: dict[str, str],
                                                      venue_places: dict[str, int]) -> None:
    venue, board = bearer(tokens["venue"]), bearer(tokens["board"])
    assert client.patch("/v1/providers/castle-venue", json={"trusted": True}, headers=venue).status_code == 403
    r = client.patch("/v1/providers/castle-venue", json={"trusted": True}, headers=board)
    assert r.status_code == 200 and r.json()["trusted"] is True
    assert client.get("/v1/venue/me", headers=venue).json()["provider"]["trusted"] is True
    created = client.post("/v1/attractions", headers=venue, json={
        "name": {"en": "Castle Shop"}, "location": {"lat": 54.6432, "lon": -5.9421}})
    assert created.json()["status"] == "published"
    r = client.patch(f"/v1/attractions/{venue_places['Belfast Castle']}", json={"visit_minutes": 100}, headers=venue)
    assert r.status_code == 200 and r.json()["visit_minutes"] == 100
    assert client.patch("/v1/providers/nobody", json={"trusted": True}, headers=board).status_code == 404


def test_no_one_crosses_over(client: TestClient, tokens: dict[str, str], venue_places: dict[str, int]) -> None:
    """Every new endpoint, with another venue's token, a visitor's, and none."""
    venue, board, other = bearer(tokens["venue"]), bearer(tokens["board"]), bearer(tokens["other"])
    visitor = bearer(client.post("/v1/visitors").json()["token"])
    att_id = venue_places["Belfast Castle"]
    rev = client.patch(f"/v1/attractions/{att_id}", json={"visit_minutes": 100}, headers=venue).json()
    calls = [
        ("PATCH", f"/v1/attractions/{att_id}", {"visit_minutes": 10}),
        ("GET", f"/v1/attractions/{att_id}/content", None),
        ("GET", f"/v1/attractions/{att_id}/revisions", None),
        ("GET", f"/v1/attractions/{att_id}/revisions/{rev['id']}", None),
    ]
    for method, url, body in calls:
        assert client.request(method, url, json=body, headers=other).status_code == 404, url
        assert client.request(method, url, json=body, headers=visitor).status_code == 403, url
        assert client.request(method, url, json=body).status_code == 401, url
    board_calls = [
        ("GET", "/v1/board/revisions", None), ("GET", f"/v1/board/revisions/{rev['id']}", None),
        ("POST", f"/v1/board/revisions/{rev['id']}/approve", {}),
        ("POST", f"/v1/board/revisions/{rev['id']}/reject", {"reason": "not yours"}),
        ("PATCH", "/v1/providers/castle-venue", {"trusted": True}),
    ]
    for method, url, body in board_calls:
        for who in (venue, other, visitor):
            assert client.request(method, url, json=body, headers=who).status_code == 403, url
        assert client.request(method, url, json=body).status_code == 401, url
    # A venue's own lists hold only its own records.
    assert client.get("/v1/venue/attractions", headers=other).json()["items"] == []
    assert client.get("/v1/venue/attractions", headers=board).status_code == 403
    assert client.get("/v1/venue/me", headers=other).json()["provider"]["slug"] == "other-venue"
    # Nothing above changed the pending revision or the record.
    assert client.get(f"/v1/board/revisions/{rev['id']}", headers=board).json()["status"] == "pending"
    assert client.get(f"/v1/attractions/{att_id}").json()["visit_minutes"] != 10
    # Unknown ids are 404 for the board too.
    assert client.post("/v1/board/revisions/999999/approve", json={}, headers=board).status_code == 404
    assert client.get(f"/v1/attractions/{att_id}/revisions/999999", headers=venue).status_code == 404
