"""The visitor profile: stated interests, stay, base and needs, validated on the way in."""

from __future__ import annotations

from tests.conftest import bearer

PROFILE = {
    "interests": ["history", "food"], "languages": ["en", "fr"],
    "stay": {"start": "2026-07-14", "end": "2026-07-16"},
    "base": {"lat": 54.5973, "lon": -5.9301, "label": "Hotel"},
    "travel_mode": "public_transport", "accessibility": {"wheelchair": True},
    "party": "couple", "home_country": "FR",
}


def visitor(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(client.post("/v1/visitors").json()["token"])


def test_profile_round_trip_and_replace(client) -> None:  # type: ignore[no-untyped-def]
    me = visitor(client)
    assert client.get("/v1/visitors/me", headers=me).json()["profile"]["interests"] == []
    r = client.put("/v1/visitors/me/profile", json=PROFILE, headers=me)
    assert r.status_code == 200, r.text
    got = client.get("/v1/visitors/me", headers=me).json()["profile"]
    assert got["stay"] == {"start": "2026-07-14", "end": "2026-07-16"}
    assert got["accessibility"] == {"wheelchair": True} and got["home_country"] == "FR"
    # PUT replaces the whole profile: what is left out is gone.
    client.put("/v1/visitors/me/profile", json={"interests": ["castle"]}, headers=me)
    got = client.get("/v1/visitors/me", headers=me).json()["profile"]
    assert got["interests"] == ["castle"] and got["stay"] is None and got["base"] is None


def test_profile_is_private_to_its_visitor(client) -> None:  # type: ignore[no-untyped-def]
    a, b = visitor(client), visitor(client)
    client.put("/v1/visitors/me/profile", json=PROFILE, headers=a)
    assert client.get("/v1/visitors/me", headers=b).json()["profile"]["interests"] == []


def test_bad_profiles_are_problems_with_field_paths(client, tokens) -> None:  # type: ignore[no-untyped-def]
    me = visitor(client)
    cases = [
        ({"interests": ["dragons"]}, "interests"),
        ({"stay": {"start": "2026-07-16", "end": "2026-07-14"}}, "stay"),
        ({"base": {"lat": 95, "lon": 0}}, "base.lat"),
        ({"travel_mode": "teleport"}, "travel_mode"),
        ({"home_country": "france"}, "home_country"),
        ({"favourite_colour": "green"}, "favourite_colour"),
    ]
    for body, field in cases:
        r = client.put("/v1/visitors/me/profile", json=body, headers=me)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(field in e["field"] for e in r.json()["errors"]), (field, r.json())
    # Nothing of a refused profile was stored.
    assert client.get("/v1/visitors/me", headers=me).json()["profile"]["interests"] == []
    # Only visitors have profiles.
    assert client.put("/v1/visitors/me/profile", json=PROFILE,
                      headers=bearer(tokens["board"])).status_code == 403


def test_categories_list_the_taxonomy(client) -> None:  # type: ignore[no-untyped-def]
    items = client.get("/v1/categories").json()["items"]
    slugs = {c["slug"] for c in items}
    assert {"history", "castle", "food"} <= slugs
    assert all(c["attractions"] == 0 for c in items)  # empty catalogue
