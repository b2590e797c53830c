"""Merges that lose nothing: the kept record takes the fields the board picks, fills the ones
it lacks from the other, gains its media, and the whole merge is one recorded transaction."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DATA, bearer
from tests.content.media_files import phone_photo

OSM = (DATA / "belfast-overpass.json").read_bytes()
COUNCIL = (b"id,name,lat,lon,description,wikidata\n"
           b"c1,Titanic Belfast Visitor Centre,54.6080,-5.9100,"
           b"The story of the Titanic where she was built.,Q2393146\n")


@pytest.fixture
def pair(client: TestClient, tokens: dict[str, str]) -> dict:
    """A trusted council's Titanic Belfast (no hours, no accessibility) and the venue's OSM one."""
    board = bearer(tokens["board"])
    client.post("/v1/providers", json={"slug": "belfast-council", "name": "Belfast City Council",
                                       "size_class": "large", "trusted": True}, headers=board)
    client.post("/v1/providers/belfast-council/imports", content=COUNCIL, headers=board,
                params={"filename": "council.csv"})
    dups = client.post("/v1/providers/castle-venue/imports", content=OSM, headers=board).json()["duplicates"]
    cand = next(d for d in dups if "Titanic" in d["a"]["name"])
    full = client.get(f"/v1/board/duplicates/{cand['candidate_id']}", headers=board).json()
    council = full["a"] if full["a"]["provider"] == "belfast-council" else full["b"]
    venue = full["b"] if council is full["a"] else full["a"]
    return {"id": cand["candidate_id"], "council": council["id"], "venue": venue["id"], "compare": full}


def test_side_by_side_lists_every_field(client: TestClient, tokens: dict[str, str], pair: dict) -> None:
    fields = {f["field"]: f for f in pair["compare"]["fields"]}
    council_side = "a" if pair["compare"]["a"]["id"] == pair["council"] else "b"
    venue_side = "b" if council_side == "a" else "a"
    assert fields["wheelchair"][venue_side] == "yes" and fields["wheelchair"][f"{council_side}_lacks"]
    assert fields["opening_hours"][f"{council_side}_lacks"]  # a category default is not the council's own
    assert fields["wikidata"][council_side] == "Q2393146" and fields["wikidata"]["same"] is False
    assert fields["wheelchair"][f"default_keep_{council_side}"] == "yes"
    assert client.get(f"/v1/board/duplicates/{pair['id']}", headers=bearer(tokens["venue"])).status_code == 403
    assert client.get("/v1/board/duplicates/999999", headers=bearer(tokens["board"])).status_code == 404


def test_merge_fills_what_the_kept_record_lacks(client: TestClient, tokens: dict[str, str], pair: dict) -> None:
    board = bearer(tokens["board"])
    r = client.post(f"/v1/board/duplicates/{pair['id']}/merge", json={"keep": pair["council"]}, headers=board)
    assert r.status_code == 200, r.text
    kept = r.json()["attraction"]
    assert kept["id"] == pair["council"] and kept["name"] == "Titanic Belfast Visitor Centre"
    # The OSM record's wheelchair access, hours and website are not lost.
    assert kept["accessibility"] == {"wheelchair": "yes"}
    assert kept["opening_hours"] == "Mo-Su 09:00-18:00" and "opening_hours" not in kept["estimated"]
    assert kept["website"] == "https://www.titanicbelfast.com"
    assert kept["wikidata"] == "Q2393146" and kept["description"].startswith("The story of the Titanic")
    assert {p["provider"] for p in kept["provenance"]} == {"belfast-council", "castle-venue"}
    irish = client.get(f"/v1/attractions/{pair['council']}", headers={"Accept-Language": "ga"}).json()
    assert irish["name"] == "Titanic Bhéal Feirste"  # the OSM record's Irish name is kept too
    rev = client.get(f"/v1/attractions/{pair['council']}/revisions", headers=board).json()["items"][0]
    assert rev["kind"] == "merge" and rev["status"] == "approved"
    assert {"wheelchair", "opening_hours", "website"} <= {c["field"] for c in rev["changes"]}
    assert client.get(f"/v1/attractions/{pair['venue']}").json()["id"] == pair["council"]


def test_merge_takes_the_fields_the_board_picks(client: TestClient, tokens: dict[str, str], pair: dict) -> None:
    board = bearer(tokens["board"])
    venue_rec = client.get(f"/v1/attractions/{pair['venue']}", headers=board).json()
    r = client.post(f"/v1/board/duplicates/{pair['id']}/merge", headers=board, json={
        "keep": pair["council"], "take": {"name": pair["venue"], "location": pair["venue"],
                                          "wikidata": pair["council"]}})
    assert r.status_code == 200, r.text
    kept = r.json()["attraction"]
    assert kept["name"] == "Titanic Belfast" and kept["location"] == venue_rec["location"]
    assert kept["wikidata"] == "Q2393146" and kept["accessibility"] == {"wheelchair": "yes"}
    found = client.get("/v1/attractions", params={"q": "titanic"}).json()["items"]
    assert [f["id"] for f in found] == [pair["council"]]


def test_bad_merges_change_nothing(client: TestClient, tokens: dict[str, str], pair: dict) -> None:
    board = bearer(tokens["board"])
    url = f"/v1/board/duplicates/{pair['id']}/merge"
    r = client.post(url, json={"keep": pair["council"], "take": {"colour": pair["venue"]}}, headers=board)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.take"
    r = client.post(url, json={"keep": pair["council"], "take": {"name": 424242}}, headers=board)
    assert r.status_code == 422
    assert client.post(url, json={"keep": pair["council"]}, headers=bearer(tokens["venue"])).status_code == 403
    assert client.get(f"/v1/board/duplicates/{pair['id']}", headers=board).json()["candidate"]["status"] == "pending"
    assert client.get(f"/v1/attractions/{pair['council']}").json()["accessibility"] == {"wheelchair": "unknown"}


def test_merge_moves_the_other_records_media(client: TestClient, tokens: dict[str, str], pair: dict) -> None:
    board = bearer(tokens["board"])
    up = client.post(f"/v1/attractions/{pair['venue']}/media", headers=bearer(tokens["venue"]),
                     files={"file": ("titanic.jpg", phone_photo(), "image/jpeg")},
                     data={"kind": "image", "alt": "The Titanic building's hull-shaped facade"})
    assert up.status_code == 201, up.text
    r = client.post(f"/v1/board/duplicates/{pair['id']}/merge", json={"keep": pair["council"]}, headers=board)
    assert r.status_code == 200
    media = client.get(f"/v1/attractions/{pair['council']}/media").json()["items"]
    assert [m["identifier"] for m in media] == [up.json()["identifier"]]
    assert client.get(f"/media/{up.json()['identifier']}/file").status_code == 200
