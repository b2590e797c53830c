"""The app's catalogue API on both backends: filters, pages, ETags, languages, problems."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.conftest import bearer

BELFAST = "54.597,-5.930"


def all_pages(client: TestClient, url: str, **params: str) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        r = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_near_lists_nearest_first_across_pages(client: TestClient, catalogue: None) -> None:
    items = all_pages(client, "/v1/attractions", near=BELFAST, radius_km="100", limit="7")
    distances = [i["distance_km"] for i in items]
    assert distances == sorted(distances) and distances[-1] <= 100
    assert len({i["id"] for i in items}) == len(items)  # no repeats across pages
    assert items[0]["name"] == "Belfast City Hall"  # BELFAST is the City Hall
    assert len(items) > 50
    everything = all_pages(client, "/v1/attractions", limit="50")
    # Live records: curated core, council, register (public access), monuments, 10 small
    # venues, the sample venue, less the open-data copies merged into the core (4, 18, 10).
    assert len(everything) == 124 + (19 - 4) + (57 - 18) + (40 - 10) + 10 + 4
    assert [i["id"] for i in everything] == sorted(i["id"] for i in everything)


def test_filters(client: TestClient, catalogue: None) -> None:
    castles = client.get("/v1/attractions", params={"category": "castle", "limit": 200}).json()["items"]
    assert castles and all("castle" in i["categories"] for i in castles)
    museums = client.get("/v1/attractions", params={"q": "titanic", "provider": "visit-belfast-sample"}).json()["items"]
    assert [i["name"] for i in museums] == ["Titanic Belfast"]
    everywhere = {i["name"] for i in client.get("/v1/attractions", params={"q": "titanic"}).json()["items"]}
    assert {"Titanic Belfast", "SS Nomadic", "Titanic's Dock and Pump-House"} <= everywhere
    tagged = client.get("/v1/attractions", params={"tag": "grade-a*", "limit": 200}).json()["items"]
    assert tagged and all("grade-a*" in i["tags"] for i in tagged)
    # Ulster Museum is closed on Mondays; Titanic Belfast is open 09:00-18:00 daily.
    for provider in ("visit-belfast-sample", "causeway-board"):
        monday = client.get("/v1/attractions", params={
            "near": BELFAST, "radius_km": 5, "open_at": "2026-11-23T11:00", "category": "museum",
            "provider": provider, "limit": 50}).json()["items"]
        assert "Titanic Belfast" in {i["name"] for i in monday} and "Ulster Museum" not in {i["name"] for i in monday}
        tuesday = client.get("/v1/attractions", params={
            "near": BELFAST, "radius_km": 5, "open_at": "2026-11-24T11:00", "category": "museum",
            "provider": provider, "limit": 50}).json()["items"]
        assert {"Titanic Belfast", "Ulster Museum"} <= {i["name"] for i in tuesday}
    step_free = client.get("/v1/attractions", params={"wheelchair": "yes", "limit": 200}).json()["items"]
    assert step_free and all(i["accessibility"]["wheelchair"] == "yes" for i in step_free)
    open_data = {"causeway-coast-glens", "dfc-historic-environment", "dfc-scheduled-monuments"}
    assert "causeway-board" in {i["provider"]["slug"] for i in step_free}
    assert not {i["provider"]["slug"] for i in step_free} & open_data  # the open data says nothing


def test_sparse_fields_and_language(client: TestClient, catalogue: None) -> None:
    r = client.get("/v1/attractions",
                   params={"q": "titanic", "provider": "visit-belfast-sample", "fields": "id,name,language"},
                   headers={"Accept-Language": "ga-IE, en;q=0.8"})
    assert r.json()["items"] == [{"id": r.json()["items"][0]["id"], "name": "Titanic Bhéal Feirste", "language": "ga"}]
    att_id = r.json()["items"][0]["id"]
    r = client.get(f"/v1/attractions/{att_id}", headers={"Accept-Language": "fr, en;q=0.5"})
    assert r.json()["name"] == "Titanic Belfast" and r.headers["content-language"] == "en"
    # Description falls back to English when the Irish text lacks one.
    r = client.get(f"/v1/attractions/{att_id}", headers={"Accept-Language": "ga"})
    assert r.json()["name"] == "Titanic Bhéal Feirste" and r.json()["description"].startswith("Interactive")


def test_etag_gives_304(client: TestClient, catalogue: None) -> None:
    r = client.get("/v1/attractions/1")
    etag = r.headers["etag"]
    again = client.get("/v1/attractions/1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    listing = client.get("/v1/attractions", params={"limit": 5})
    assert client.get("/v1/attractions", params={"limit": 5},
                      headers={"If-None-Match": listing.headers["etag"]}).status_code == 304
    assert client.get("/v1/attractions", params={"limit": 6},
                      headers={"If-None-Match": listing.headers["etag"]}).status_code == 200


def test_attraction_carries_estimates_and_provenance(client: TestClient, catalogue: None) -> None:
    doc = client.get("/v1/attractions/1").json()
    assert doc["name"] == "Giants Causeway" and doc["provider"]["slug"] == "causeway-coast-glens"
    assert doc["estimated"]["opening_hours"].startswith("default:")
    assert doc["provenance"] == [{"provider": "causeway-coast-glens",
                                  "source": "causeway-coast-and-glens-places.geojson",
                                  "external_id": "1", "last_imported_at": doc["provenance"][0]["last_imported_at"]}]
    assert doc["provenance"][0]["last_imported_at"].endswith(("Z", "+00:00"))


def test_problems(client: TestClient, catalogue: None) -> None:
    r = client.get("/v1/attractions",
                   params={"near": "54.6", "radius_km": 0, "category": "spaceport", "fields": "colour"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"query.near", "query.radius_km", "query.category", "query.fields"}
    r = client.get("/v1/attractions/999999")
    assert r.status_code == 404 and r.json()["status"] == 404 and r.json()["type"].endswith("/not-found")
    r = client.get("/v1/attractions", params={"cursor": "garbage"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"
    page = client.get("/v1/attractions", params={"limit": 2}).json()
    r = client.get("/v1/attractions", params={"limit": 2, "category": "castle", "cursor": page["next_cursor"]})
    assert r.status_code == 422 and "different query" in r.json()["detail"]
    r = client.get("/v1/attractions", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/v1/nowhere").json()["status"] == 404


def test_status_filter_is_for_the_board(client: TestClient, catalogue: None, tokens: dict[str, str]) -> None:
    assert client.get("/v1/attractions", params={"status": "archived"}).status_code == 422
    r = client.get("/v1/attractions", params={"status": "published", "limit": 1}, headers=bearer(tokens["board"]))
    assert r.status_code == 200 and len(r.json()["items"]) == 1


def test_visitor_registration_and_deletion(client: TestClient) -> None:
    r = client.post("/v1/visitors")
    assert r.status_code == 201 and r.json()["token"].startswith("cw_visitor_")
    headers = bearer(r.json()["token"])
    assert client.get("/v1/attractions", headers=headers).status_code == 200
    assert client.delete("/v1/visitors/me", headers=headers).status_code == 204
    assert client.get("/v1/attractions", headers=headers).status_code == 401  # token went with the visitor


def test_rate_limit(settings, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from causeway.api.app import create_app

    settings.rate_limit_per_minute = 3
    with TestClient(create_app(settings)) as c:
        codes = [c.get("/v1/providers").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_openapi_has_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/attractions" in spec["paths"] and "/v1/providers/{slug}/imports" in spec["paths"]
    assert spec["components"]["schemas"]["AttractionRead"]["examples"][0]["name"] == "Dunluce Castle"
