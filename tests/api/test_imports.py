"""Imports over HTTP: token scope, reports, moderation; duplicates for the board."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import DATA, bearer

OSM = (DATA / "belfast-overpass.json").read_bytes()


def test_venue_imports_its_own_feed_and_waits_for_moderation(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/v1/providers/castle-venue/imports", content=OSM, headers=bearer(tokens["venue"]),
                    params={"filename": "belfast-overpass.json"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["format"] == "osm" and report["counts"]["created"] == 4 and report["counts"]["rejected"] == 3
    assert {(e["position"], e["field"]) for e in report["rejected"]} == {
        (4, "tourism"), (5, "geometry"), (6, "wheelchair")}
    # Submitted, not yet public.
    assert client.get("/v1/attractions", params={"q": "titanic"}).json()["items"] == []
    board_view = client.get("/v1/attractions", params={"q": "titanic", "status": "submitted"},
                            headers=bearer(tokens["board"])).json()["items"]
    att_id = board_view[0]["id"]
    assert client.get(f"/v1/attractions/{att_id}", headers=bearer(tokens["venue"])).status_code == 200
    assert client.get(f"/v1/attractions/{att_id}", headers=bearer(tokens["other"])).status_code == 404
    # The venue cannot publish; the board can.
    assert client.patch(f"/v1/attractions/{att_id}", json={"status": "published"},
                        headers=bearer(tokens["venue"])).status_code == 403
    r = client.patch(f"/v1/attractions/{att_id}", json={"status": "published"}, headers=bearer(tokens["board"]))
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["version"] == 2
    assert client.get("/v1/attractions", params={"q": "titanic"}).json()["items"][0]["id"] == att_id
    # The stored report can be read back.
    stored = client.get(f"/v1/providers/castle-venue/imports/{report['import_id']}", headers=bearer(tokens["venue"]))
    assert stored.status_code == 200 and stored.json()["counts"] == report["counts"]


def test_scope_and_auth(client: TestClient, tokens: dict[str, str]) -> None:
    url = "/v1/providers/castle-venue/imports"
    assert client.post(url, content=OSM).status_code == 401
    r = client.post(url, content=OSM, headers=bearer(tokens["other"]))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    visitor = client.post("/v1/visitors").json()["token"]
    assert client.post(url, content=OSM, headers=bearer(visitor)).status_code == 403
    assert client.post("/v1/providers/nobody/imports", content=OSM, headers=bearer(tokens["board"])).status_code == 404
    board = client.post(url, content=OSM, headers=bearer(tokens["board"]))
    assert board.status_code == 200 and board.json()["counts"]["created"] == 4


def test_dry_run_writes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/v1/providers/castle-venue/imports", content=OSM, params={"dry_run": "true"},
                    headers=bearer(tokens["board"]))
    assert r.json()["counts"]["created"] == 4 and r.json()["import_id"] is None
    assert client.get("/v1/attractions").json()["items"] == []


def test_unreadable_feed_and_bad_mapping(client: TestClient, tokens: dict[str, str]) -> None:
    url = "/v1/providers/castle-venue/imports"
    r = client.post(url, content=b"{nope", headers=bearer(tokens["venue"]))
    assert r.status_code == 422 and r.json()["type"].endswith("/feed-unreadable")
    assert "not valid JSON" in r.json()["detail"]
    r = client.post(url, content=b"a,b\n1,2\n", params={"mapping": json.dumps({"fields": {"colour": "a"}})},
                    headers=bearer(tokens["venue"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.mapping"
    r = client.post(url, content=b"x", params={"format": "xml"}, headers=bearer(tokens["venue"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.format"


def test_csv_with_mapping_over_http(client: TestClient, tokens: dict[str, str]) -> None:
    mapping = {"fields": {"external_id": "ref", "name": "title", "lat": "y", "lon": "x"},
               "constants": {"categories": ["gallery"]}}
    client.post("/v1/providers", json={"slug": "galleries", "name": "Galleries", "trusted": True},
                headers=bearer(tokens["board"]))
    r = client.post("/v1/providers/galleries/imports",
                    content=b"ref,title,y,x\ng1,Golden Thread Gallery,54.6025,-5.9318\n",
                    params={"mapping": json.dumps(mapping), "filename": "galleries.csv"},
                    headers=bearer(tokens["board"]))
    assert r.status_code == 200 and r.json()["counts"]["created"] == 1
    item = client.get("/v1/attractions", params={"category": "gallery"}).json()["items"][0]
    assert item["name"] == "Golden Thread Gallery" and item["provenance"][0]["source"] == "galleries.csv"


def test_board_merges_and_dismisses_duplicates(client: TestClient, tokens: dict[str, str]) -> None:
    board = bearer(tokens["board"])
    client.post("/v1/providers", json={"slug": "belfast-council", "name": "Belfast City Council",
                                       "size_class": "large", "trusted": True}, headers=board)
    council_feed = (b"id,name,lat,lon\nc1,Belfast Castle,54.6459,-5.9443\n"
                    b"c2,Titanic Belfast Visitor Centre,54.6080,-5.9100\n")
    client.post("/v1/providers/belfast-council/imports", content=council_feed, headers=board)
    r = client.post("/v1/providers/castle-venue/imports", content=OSM, headers=board)
    assert len(r.json()["duplicates"]) == 2
    pending = client.get("/v1/board/duplicates", headers=board).json()["items"]
    assert len(pending) == 2
    assert client.get("/v1/board/duplicates", headers=bearer(tokens["venue"])).status_code == 403

    castle = next(c for c in pending if c["a"]["name"] == "Belfast Castle")
    keep = castle["a"]["id"] if castle["a"]["provider"] == "belfast-council" else castle["b"]["id"]
    r = client.post(f"/v1/board/duplicates/{castle['id']}/merge", json={"keep": keep}, headers=board)
    assert r.status_code == 200, r.text
    merged = r.json()["attraction"]
    assert {p["provider"] for p in merged["provenance"]} == {"belfast-council", "castle-venue"}
    assert merged["opening_hours"] == "Mo-Sa 09:00-22:00; Su 09:00-17:30"
    other_id = castle["b"]["id"] if keep == castle["a"]["id"] else castle["a"]["id"]
    # The archived record's id now shows the merged attraction.
    assert client.get(f"/v1/attractions/{other_id}").json()["id"] == keep
    again = client.post(f"/v1/board/duplicates/{castle['id']}/merge", json={"keep": keep}, headers=board)
    assert again.status_code == 409
    bad_keep = next(c for c in pending if c["id"] != castle["id"])
    assert client.post(f"/v1/board/duplicates/{bad_keep['id']}/merge", json={"keep": 999999},
                       headers=board).status_code == 409
    r = client.post(f"/v1/board/duplicates/{bad_keep['id']}/dismiss", headers=board)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert client.get("/v1/board/duplicates", headers=board).json()["items"] == []
    assert client.post("/v1/board/duplicates/424242/dismiss", headers=board).status_code == 404


def test_providers(client: TestClient, tokens: dict[str, str]) -> None:
    slugs = [p["slug"] for p in client.get("/v1/providers").json()]
    assert slugs == ["castle-venue", "other-venue"]
    body = {"slug": "ulster-museum", "name": "Ulster Museum", "size_class": "large"}
    assert client.post("/v1/providers", json=body, headers=bearer(tokens["venue"])).status_code == 403
    assert client.post("/v1/providers", json=body, headers=bearer(tokens["board"])).status_code == 201
    assert client.post("/v1/providers", json=body, headers=bearer(tokens["board"])).status_code == 409
    r = client.post("/v1/providers", json={**body, "slug": "Bad Slug!"}, headers=bearer(tokens["board"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.slug"
