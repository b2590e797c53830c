"""Who may call what, over every endpoint the portal and the board's curation tabs use: each
with the owning venue's token, another venue's, a visitor's, the board's and none, against
castle-venue's ids. Nothing a refused call touched has changed afterwards."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DATA, bearer
from tests.content.media_files import phone_photo

OSM = (DATA / "belfast-overpass.json").read_bytes()
COUNCIL = (b"id,name,lat,lon,description,wikidata\n"
           b"c1,Titanic Belfast Visitor Centre,54.6080,-5.9100,The story of the Titanic.,Q2393146\n")


@pytest.fixture
def ids(client: TestClient, tokens: dict[str, str]) -> dict[str, int]:
    """castle-venue's published Belfast Castle with a pending revision and a photo, its
    submitted Titanic (a duplicate of the trusted council's), and an open invitation."""
    board, venue = bearer(tokens["board"]), bearer(tokens["venue"])
    client.post("/v1/providers", json={"slug": "belfast-council", "name": "Belfast City Council",
                                       "size_class": "large", "trusted": True}, headers=board)
    client.post("/v1/providers/belfast-council/imports", content=COUNCIL, headers=board,
                params={"filename": "council.csv"})
    dups = client.post("/v1/providers/castle-venue/imports", content=OSM, headers=venue).json()["duplicates"]
    items = {i["name"]: i for i in client.get("/v1/venue/attractions", headers=venue).json()["items"]}
    castle = items["Belfast Castle"]["id"]
    assert client.patch(f"/v1/attractions/{castle}", json={"status": "published"}, headers=board).status_code == 200
    rev = client.patch(f"/v1/attractions/{castle}", json={"visit_minutes": 100}, headers=venue).json()
    media = client.post(f"/v1/attractions/{castle}/media", headers=venue,
                        files={"file": ("castle.jpg", phone_photo(), "image/jpeg")},
                        data={"kind": "image", "alt": "The castle from the lawn"}).json()
    inv = client.post("/v1/board/invitations", json={"provider": "castle-venue"}, headers=board).json()
    return {"castle": castle, "titanic": items["Titanic Belfast"]["id"], "revision": rev["id"],
            "media": media["id"], "candidate": dups[0]["candidate_id"], "invitation": inv["id"]}


def test_every_new_endpoint_refuses_whoever_it_is_not_for(client: TestClient, tokens: dict[str, str],
                                                         ids: dict[str, int]) -> None:
    visitor = client.post("/v1/visitors").json()["token"]
    who = {"owner": bearer(tokens["venue"]), "other": bearer(tokens["other"]), "visitor": bearer(visitor),
           "none": {}}
    a, rev, media = ids["castle"], ids["revision"], ids["media"]
    cand, inv = ids["candidate"], ids["invitation"]
    # (method, url, body, expected status for owner / other venue / visitor / no token); None: not
    # called here (the owner's PATCH would supersede the pending revision: tests/api/test_revisions.py)
    venue_owned = [
        ("PATCH", f"/v1/attractions/{a}", {"visit_minutes": 10}, (None, 404, 403, 401)),
        ("GET", f"/v1/attractions/{a}/content", None, (200, 404, 403, 401)),
        ("GET", f"/v1/attractions/{a}/revisions", None, (200, 404, 403, 401)),
        ("GET", f"/v1/attractions/{a}/revisions/{rev}", None, (200, 404, 403, 401)),
        ("GET", f"/v1/attractions/{ids['titanic']}", None, (200, 404, 404, 404)),  # submitted: not public
        ("GET", f"/v1/attractions/{ids['titanic']}/media", None, (200, 404, 404, 404)),
        ("PATCH", f"/v1/attractions/{a}/media/{media}", {"alt": {"en": "Another view"}}, (200, 403, 403, 401)),
        ("DELETE", f"/v1/attractions/{a}/media/{media}", None, (None, 403, 403, 401)),
        ("GET", "/v1/providers/castle-venue/analytics/overview", None, (200, 403, 403, 401)),
        ("GET", "/v1/venue/me", None, (200, 200, 403, 401)),  # the other venue gets its own
        ("GET", "/v1/venue/attractions", None, (200, 200, 403, 401)),
    ]
    for method, url, body, expected in venue_owned:
        for name, status in zip(("other", "visitor", "none", "owner"), (*expected[1:], expected[0])):
            if status is None:
                continue
            got = client.request(method, url, json=body, headers=who[name]).status_code
            assert got == status, f"{method} {url} as {name}: {got}, not {status}"

    board_only = [
        ("GET", "/v1/board/revisions", None), ("GET", f"/v1/board/revisions/{rev}", None),
        ("POST", f"/v1/board/revisions/{rev}/approve", {}),
        ("POST", f"/v1/board/revisions/{rev}/reject", {"reason": "not yours to decide"}),
        ("GET", "/v1/board/duplicates", None), ("GET", f"/v1/board/duplicates/{cand}", None),
        ("POST", f"/v1/board/duplicates/{cand}/merge", {"keep": a}),
        ("POST", f"/v1/board/duplicates/{cand}/dismiss", None),
        ("GET", "/v1/board/invitations", None), ("POST", "/v1/board/invitations", {"provider": "castle-venue"}),
        ("DELETE", f"/v1/board/invitations/{inv}", None),
        ("POST", "/v1/providers", {"slug": "sneaky-venue", "name": "Sneaky"}),
        ("PATCH", "/v1/providers/castle-venue", {"trusted": True}),
        ("GET", "/v1/board/analytics/overview", None),
        ("GET", "/v1/attractions?status=submitted", None),
    ]
    for method, url, body in board_only:
        for name in ("owner", "other", "visitor", "none"):
            # Filtering the catalogue by status is refused as a bad query, whoever asks.
            expected = 422 if url.endswith("status=submitted") else 401 if name == "none" else 403
            got = client.request(method, url, json=body, headers=who[name]).status_code
            assert got == expected, f"{method} {url} as {name}: {got}, not {expected}"

    # A venue adds attractions to its own provider only; a visitor cannot add any.
    new = {"name": {"en": "Pop-up café"}, "location": {"lat": 54.6, "lon": -5.93}}
    theirs = {**new, "provider": "castle-venue"}
    assert client.post("/v1/attractions", json=theirs, headers=who["other"]).status_code == 422
    assert client.post("/v1/attractions", json=new, headers=who["visitor"]).status_code == 403
    assert client.post("/v1/attractions", json=new).status_code == 401
    # Uploads to another venue's attraction are refused before anything is stored.
    photo = {"file": ("x.jpg", phone_photo(), "image/jpeg")}
    assert client.post(f"/v1/attractions/{a}/media", headers=who["other"], files=photo,
                       data={"kind": "image", "alt": "x"}).status_code == 403

    # Nothing above changed anything: the revision waits, the pair is undecided, the invitation
    # is open, the provider is not trusted, the media is the owner's as it was.
    board = bearer(tokens["board"])
    assert client.get(f"/v1/board/revisions/{rev}", headers=board).json()["status"] == "pending"
    assert client.get(f"/v1/board/duplicates/{cand}", headers=board).json()["candidate"]["status"] == "pending"
    assert [i["state"] for i in client.get("/v1/board/invitations", headers=board).json()["items"]] == ["open"]
    provs = {p["slug"]: p for p in client.get("/v1/providers").json()}
    assert provs["castle-venue"]["trusted"] is False and "sneaky-venue" not in provs
    assert client.get(f"/v1/attractions/{a}").json()["visit_minutes"] != 10
    items = client.get(f"/v1/attractions/{a}/media", headers=board).json()["items"]
    assert [(m["id"], m["alt"]) for m in items] == [(media, {"en": "Another view"})]  # the owner's own edit
    assert client.get("/v1/venue/attractions", headers=who["other"]).json()["items"] == []
