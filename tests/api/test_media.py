"""Venue media over HTTP on both backends: uploads, refusals, scoping, IIIF, manifests, Range."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from iiif_prezi3 import Manifest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway.content import providers
from causeway.content.media.models import MediaAsset
from causeway.content.models import Attraction
from tests.conftest import DATA, bearer
from tests.content.media_files import GPS_XMP, has_gps, mp4, phone_photo, png_bomb, truncated_jpeg, wav

PRESENTATION = "http://iiif.io/api/presentation/3/context.json"


def attraction(factory: sessionmaker[Session], provider: str = "castle-venue", status: str = "published") -> int:
    with factory.begin() as s:
        p = providers.get_by_slug(s, provider)
        assert p is not None
        att = Attraction(provider_id=p.id, external_id=f"{provider}-{status}", source="test",
                         name={"en": "Dunluce Castle", "ga": "Caisleán Dhún Libhse"},
                         description={"en": "A ruined castle on a cliff.", "ga": "Caisleán briste ar aill."},
                         sort_name="dunluce castle", lat=55.2108, lon=-6.5795, status=status, content_hash="-")
        s.add(att)
        s.flush()
        return att.id


def upload(client: TestClient, att: int, token: str, data: bytes, name: str = "photo.jpg", **form: str):  # type: ignore[no-untyped-def]
    form.setdefault("kind", "image")
    if form["kind"] in ("image", "panorama"):
        form.setdefault("alt", '{"en": "The gatehouse", "ga": "An geatáras"}')
    return client.post(f"/v1/attractions/{att}/media", headers=bearer(token), data=form,
                       files={"file": (name, data, "application/octet-stream")})


def files_under(root: Path) -> list[Path]:
    return [p for p in (root / "media").rglob("*") if p.is_file()] if (root / "media").exists() else []


def count_assets(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(MediaAsset)) or 0


@pytest.fixture
def castle(factory: sessionmaker[Session], tokens: dict[str, str]) -> int:
    return attraction(factory)


def test_twelve_megapixel_phone_photo_becomes_renditions_and_tiles_without_gps(
        client: TestClient, tokens: dict[str, str], castle: int) -> None:
    photo = phone_photo(4000, 3000, orientation=6)
    assert has_gps(photo)
    r = upload(client, castle, tokens["venue"], photo, licence="CC-BY-4.0", credit="Castle Venue")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"  # 12 MP: processed off the request path
    client.app.state.media.drain(300)  # type: ignore[attr-defined]
    media = client.get(r.headers["location"], headers=bearer(tokens["venue"])).json()
    assert media["status"] == "ready", media
    assert (media["width"], media["height"]) == (3000, 4000)
    assert media["licence"] == "http://creativecommons.org/licenses/by/4.0/"
    assert [x["width"] for x in media["urls"]["renditions"]] == [320, 320, 640, 640, 1024, 1024, 1600, 1600, 2048, 2048]
    for rendition in media["urls"]["renditions"]:
        got = client.get(rendition["url"])
        assert got.status_code == 200 and not has_gps(got.content)
        assert Image.open(io.BytesIO(got.content)).width == rendition["width"]
    tile = client.get(f"/iiif/3/{media['identifier']}/0,0,1024,1024/256,256/0/default.jpg")
    assert tile.status_code == 200 and not has_gps(tile.content)
    assert Image.open(io.BytesIO(tile.content)).size == (256, 256)
    assert not has_gps(client.get(media["urls"]["file"]).content)


def test_small_image_is_ready_at_once_with_placeholders(client: TestClient, tokens: dict[str, str],
                                                         castle: int) -> None:
    r = upload(client, castle, tokens["board"], phone_photo(400, 300), caption="Gatehouse at dusk")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "ready" and body["blurhash"] and body["dominant_color"].startswith("#")
    assert body["caption"] == {"en": "Gatehouse at dusk"} and body["alt"]["ga"] == "An geatáras"
    listed = client.get(f"/v1/attractions/{castle}/media").json()["items"]
    assert [m["id"] for m in listed] == [body["id"]]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("castle.jpg", b"This is a text file, not a photo of a castle.\n" * 30, "not-an-image"),
    ("bomb.png", png_bomb(), "too-many-pixels"),
    ("cut.jpg", truncated_jpeg(), "damaged"),
])
def test_refused_uploads_leave_nothing_behind(client: TestClient, tokens: dict[str, str], castle: int,
                                              factory: sessionmaker[Session], settings, name: str,  # type: ignore[no-untyped-def]
                                              data: bytes, reason: str) -> None:
    r = upload(client, castle, tokens["venue"], data, name=name)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["reason"] == reason and problem["detail"] and problem["errors"][0]["field"] == "file"
    assert count_assets(factory) == 0
    assert files_under(settings.data_dir) == []


def test_too_large_is_413_and_leaves_nothing(settings, tokens: dict[str, str], castle: int,  # type: ignore[no-untyped-def]
                                            factory: sessionmaker[Session]) -> None:
    from causeway.api.app import create_app

    small = settings.model_copy(update={"media_max_image_bytes": 2048})
    with TestClient(create_app(small)) as client:
        r = upload(client, castle, tokens["venue"], phone_photo(400, 300))
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "file"
    assert "2,048 bytes" in r.json()["detail"]
    assert count_assets(factory) == 0 and files_under(settings.data_dir) == []


def test_panorama_must_be_equirectangular_and_keeps_photo_sphere(client: TestClient, tokens: dict[str, str],
                                                                 castle: int) -> None:
    bad = upload(client, castle, tokens["venue"], phone_photo(600, 400, orientation=1), kind="panorama")
    assert bad.status_code == 422 and bad.json()["reason"] == "not-equirectangular"
    r = upload(client, castle, tokens["venue"], phone_photo(800, 400, orientation=1, xmp=GPS_XMP), kind="panorama")
    assert r.status_code == 201, r.text
    assert r.json()["panorama"]["ProjectionType"] == "equirectangular"
    master = client.get(r.json()["urls"]["file"]).content
    with Image.open(io.BytesIO(master)) as im:
        assert b"GPano" in im.info["xmp"] and b"GPS" not in im.info["xmp"]


def test_scoping(client: TestClient, tokens: dict[str, str], factory: sessionmaker[Session], settings) -> None:  # type: ignore[no-untyped-def]
    castle = attraction(factory)
    other = upload(client, castle, tokens["other"], phone_photo(200, 100))
    assert other.status_code == 403 and other.headers["content-type"] == "application/problem+json"
    assert upload(client, castle, "not-a-token", phone_photo(200, 100)).status_code == 401
    assert client.post(f"/v1/attractions/{castle}/media", data={"kind": "image"},
                       files={"file": ("a.jpg", b"x")}).status_code == 401
    assert upload(client, 99999, tokens["venue"], phone_photo(200, 100)).status_code == 404
    assert count_assets(factory) == 0 and files_under(settings.data_dir) == []
    mine = upload(client, castle, tokens["venue"], phone_photo(200, 100)).json()
    url = f"/v1/attractions/{castle}/media/{mine['id']}"
    assert client.patch(url, json={"credit": "Not mine"}, headers=bearer(tokens["other"])).status_code == 403
    assert client.delete(url, headers=bearer(tokens["other"])).status_code == 403
    changed = client.patch(url, json={"alt": {"en": "North tower"}, "licence": "CC0-1.0"},
                           headers=bearer(tokens["venue"]))
    assert changed.status_code == 200 and changed.json()["alt"] == {"en": "North tower"}
    assert client.patch(url, json={"alt": {}}, headers=bearer(tokens["venue"])).json()["reason"] == "alt-required"
    assert upload(client, castle, tokens["venue"], phone_photo(200, 100), alt="").json()["reason"] == "alt-required"


def test_drafts_are_private_to_their_venue(client: TestClient, tokens: dict[str, str],
                                           factory: sessionmaker[Session]) -> None:
    draft = attraction(factory, status="draft")
    media = upload(client, draft, tokens["venue"], phone_photo(300, 200)).json()
    info = f"/iiif/3/{media['identifier']}/info.json"
    assert client.get(info).status_code == 404
    assert client.get(info, headers=bearer(tokens["other"])).status_code == 404
    seen = client.get(info, headers=bearer(tokens["venue"]))
    assert seen.status_code == 200 and seen.headers["cache-control"].startswith("private")
    assert client.get(f"/v1/attractions/{draft}/media").status_code == 404
    assert client.get(f"/v1/attractions/{draft}/virtual-visit").status_code == 404


def test_iiif_headers_cache_and_errors(client: TestClient, tokens: dict[str, str], castle: int) -> None:
    ident = upload(client, castle, tokens["venue"], phone_photo(600, 400, orientation=1)).json()["identifier"]
    redirect = client.get(f"/iiif/3/{ident}", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"].endswith(f"/iiif/3/{ident}/info.json")
    info = client.get(f"/iiif/3/{ident}/info.json", headers={"Accept": "application/ld+json"})
    assert info.headers["content-type"].startswith("application/ld+json")
    assert info.headers["access-control-allow-origin"] == "*"
    assert info.json()["id"] == f"http://testserver/iiif/3/{ident}" and info.json()["width"] == 600
    url = f"/iiif/3/{ident}/pct:0,0,50,50/!100,100/!90/gray.webp"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    assert "max-age=" in first.headers["cache-control"] and first.headers["access-control-allow-origin"] == "*"
    assert Image.open(io.BytesIO(first.content)).size == (66, 100)  # 300x200 fitted in 100x100, turned
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    same = client.get(f"/iiif/3/{ident}/0,0,300,200/100,66/!90/gray.webp")  # the canonical spelling
    assert same.headers["etag"] == first.headers["etag"] and same.content == first.content
    bad = client.get(f"/iiif/3/{ident}/full/full/0/default.jpg")
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert client.get(f"/iiif/3/{ident}/full/max/0/default.gif").status_code == 400
    assert client.get("/iiif/3/no-such-image/full/max/0/default.jpg").status_code == 404


def test_validator_image_renders_its_squares(client: TestClient, tokens: dict[str, str], castle: int) -> None:
    png = (DATA / "67352ccc-d1b0-11e1-89ae-279075081939.png").read_bytes()
    r = upload(client, castle, tokens["venue"], png, name="grid.png", identifier="67352ccc-d1b0-11e1-89ae-279075081939")
    assert r.status_code == 201, r.text
    region = client.get("/iiif/3/67352ccc-d1b0-11e1-89ae-279075081939/113,213,74,74/max/0/default.png")
    colours = sorted(Image.open(io.BytesIO(region.content)).convert("RGB").getcolors(10_000), reverse=True)
    assert max(abs(a - b) for a, b in zip(colours[0][1], (118, 45, 130), strict=True)) < 6  # column 1, row 2
    taken = upload(client, castle, tokens["venue"], png, identifier="67352ccc-d1b0-11e1-89ae-279075081939")
    assert taken.status_code == 409


def test_same_bytes_stored_once_and_deletion_keeps_shared_files(client: TestClient, tokens: dict[str, str],
                                                                castle: int, settings) -> None:  # type: ignore[no-untyped-def]
    photo = phone_photo(500, 400, orientation=1)
    first = upload(client, castle, tokens["venue"], photo).json()
    blobs = sorted(p for p in files_under(settings.data_dir) if "blobs" in p.parts)
    second = upload(client, castle, tokens["venue"], photo).json()
    assert second["identifier"] != first["identifier"]
    assert sorted(p for p in files_under(settings.data_dir) if "blobs" in p.parts) == blobs
    gone = client.delete(f"/v1/attractions/{castle}/media/{first['id']}", headers=bearer(tokens["venue"]))
    assert gone.status_code == 204
    client.app.state.media.drain(60)  # type: ignore[attr-defined]
    assert client.get(second["urls"]["file"]).status_code == 200
    client.delete(f"/v1/attractions/{castle}/media/{second['id']}", headers=bearer(tokens["venue"]))
    client.app.state.media.drain(60)  # type: ignore[attr-defined]
    assert [p for p in files_under(settings.data_dir) if "blobs" in p.parts] == []
    assert client.get(second["urls"]["file"]).status_code == 404


def test_audio_is_served_with_ranges(client: TestClient, tokens: dict[str, str], castle: int) -> None:
    guide = wav(3.0)
    r = upload(client, castle, tokens["venue"], guide, name="guide.mp3", kind="audio", caption="Audio guide")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["media_type"], body["duration"]) == ("audio/wav", 3.0)
    url = body["urls"]["file"]
    whole = client.get(url)
    assert whole.content == guide and whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == guide[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(guide)}"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == guide[-10:]
    beyond = client.get(url, headers={"Range": f"bytes={len(guide)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(guide)}"
    text = upload(client, castle, tokens["venue"], b"ID4 not really" * 50, name="guide.mp3", kind="audio")
    assert text.status_code == 422 and text.json()["reason"] == "not-audio"


def test_video_is_served_without_its_recording_place(client: TestClient, tokens: dict[str, str],
                                                     castle: int) -> None:
    movie = mp4(location=b"+54.5973-005.9301/")
    r = upload(client, castle, tokens["venue"], movie, name="clip.mov", kind="video")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["media_type"], body["width"], body["height"], body["duration"]) == ("video/mp4", 640, 360, 12.5)
    served = client.get(body["urls"]["file"]).content
    assert len(served) == len(movie) and b"+54.5973" not in served
    visit = client.get(f"/v1/attractions/{castle}/virtual-visit").json()
    video = visit["items"][0]["items"][0]["items"][0]["body"]
    assert video["type"] == "Video" and (video["width"], video["duration"]) == (640, 12.5)


def test_virtual_visit_manifest_is_presentation_3(client: TestClient, tokens: dict[str, str], castle: int) -> None:
    image = upload(client, castle, tokens["venue"], phone_photo(600, 400, orientation=1), credit="© Castle Venue",
                   licence="CC-BY-4.0", caption='{"en": "The gatehouse", "ga": "An geatáras"}').json()
    pano = upload(client, castle, tokens["venue"], phone_photo(800, 400, orientation=1), kind="panorama",
                  licence="CC-BY-4.0").json()
    audio = upload(client, castle, tokens["venue"], wav(2.0), kind="audio", licence="CC-BY-4.0",
                   caption='{"en": "Audio guide", "ga": "Treoir fuaime"}').json()
    r = client.get(f"/v1/attractions/{castle}/virtual-visit", headers={"Accept-Language": "ga, en;q=0.5"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/ld+json") and r.headers["content-language"] == "ga"
    doc = r.json()
    Manifest(**doc)  # the schema-generated models accept it
    assert doc["@context"][-1] == PRESENTATION and doc["type"] == "Manifest"
    assert doc["id"].endswith(f"/v1/attractions/{castle}/virtual-visit")
    assert doc["label"] == {"ga": ["Caisleán Dhún Libhse"]} and doc["summary"] == {"ga": ["Caisleán briste ar aill."]}
    assert doc["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    point = doc["navPlace"]["features"][0]["geometry"]
    assert doc["navPlace"]["type"] == "FeatureCollection"
    assert point == {"type": "Point", "coordinates": [-6.5795, 55.2108]}
    canvases = doc["items"]
    assert [c["id"].rsplit("/", 1)[-1] for c in canvases] == [m["identifier"] for m in (image, pano, audio)]
    for canvas in canvases:
        assert canvas["type"] == "Canvas" and canvas["id"].startswith(doc["id"])
        (page,) = canvas["items"]
        assert page["type"] == "AnnotationPage"
        (anno,) = page["items"]
        assert anno["type"] == "Annotation" and anno["motivation"] == "painting" and anno["target"] == canvas["id"]
    photo, sphere, sound = (c["items"][0]["items"][0]["body"] for c in canvases)
    assert canvases[0]["label"] == {"ga": ["An geatáras"]}
    assert canvases[0]["requiredStatement"]["value"] == {"none": ["© Castle Venue"]}
    assert (canvases[0]["width"], canvases[0]["height"]) == (600, 400)
    assert photo["type"] == "Image" and photo["service"][0]["type"] == "ImageService3"
    assert client.get(photo["service"][0]["id"] + "/info.json").status_code == 200
    assert client.get(photo["id"]).status_code == 200
    assert sphere["type"] == "Image" and canvases[1]["metadata"][0]["value"] == {"none": ["equirectangular"]}
    assert sound["type"] == "Sound" and sound["format"] == "audio/wav" and canvases[2]["duration"] == 2.0
    assert "width" not in canvases[2]
    assert client.get(sound["id"], headers={"Range": "bytes=0-3"}).content == b"RIFF"
    english = client.get(f"/v1/attractions/{castle}/virtual-visit", headers={"Accept-Language": "fr, en;q=0.5"}).json()
    assert english["label"] == {"en": ["Dunluce Castle"]}
