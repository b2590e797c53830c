"""The demo's placeholder media: illustrations, panoramas and audio guides through the real
pipeline, their manifests, and the committed recordings kept in step with the catalogue."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from causeway import demo
from causeway.content.media.models import MediaAsset
from causeway.content.media.sniff import sniff
from causeway.content.models import Attraction, Provider
from causeway.demo import illustrate, media

# A small subset of the curated core keeps this fast: the Causeway (tier 1: illustration,
# panorama, audio guide), the Ulster Museum (tier 2, indoor: illustration and audio guide) and
# Castle Coole (tier 3: an illustration).
CAUSEWAY = ("causeway-board", "giants-causeway")
MUSEUM = ("causeway-board", "ulster-museum")
COOLE = ("causeway-board", "castle-coole")


def _id(factory: sessionmaker[Session], key: tuple[str, str]) -> int:
    with factory() as s:
        found = s.scalar(select(Attraction.id).join(Provider).where(
            Provider.slug == key[0], Attraction.external_id == key[1]))
        assert found is not None
        return found


def test_illustrations_are_labelled_deterministic_and_panoramas_wrap() -> None:
    one = illustrate.illustration("k", "Dunluce Castle", ["castle", "history", "coast"])
    assert one == illustrate.illustration("k", "Dunluce Castle", ["castle", "history", "coast"])
    assert one != illustrate.illustration("other", "Dunluce Castle", ["castle", "history", "coast"])
    im = Image.open(io.BytesIO(one))
    assert im.format == "JPEG" and im.size == illustrate.IMAGE_SIZE
    arr = np.asarray(im.convert("RGB")).astype(int)
    # The cream label band across the top (the word "Illustration" in red on it).
    band = arr[: im.height // 7]
    assert (np.abs(band - (250, 246, 232)).sum(axis=2) < 30).mean() > 0.6
    assert ((band[..., 0] > 120) & (band[..., 1] < 70)).any()
    pano = Image.open(io.BytesIO(illustrate.panorama("k", "Giant's Causeway", ["coast", "nature"])))
    assert pano.width == 2 * pano.height
    p = np.asarray(pano.convert("RGB")).astype(int)
    # Left and right edges meet: the two outermost columns are nearly the same colours.
    assert np.abs(p[:, 0] - p[:, -1]).mean() < 12


def test_demo_media_make_full_manifests_labelled_as_illustrations(
        client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session] = client.app.state.sessionmaker
    runtime = client.app.state.media
    with factory.begin() as s:
        demo.load(s)
    with factory() as s:
        stale, missing, orphaned = media.check_audio(s)
        picked = {(a.provider.slug, a.external_id): kinds for a, kinds in media.chosen(s)}
        tiers = {(a.provider.slug, a.external_id): a.extra.get("popularity_tier") for a in s.scalars(
            select(Attraction).join(Provider).where(Provider.slug == "causeway-board"))}
    # The committed recordings read exactly what the catalogue says today (else: causeway demo narrate).
    assert (stale, missing, orphaned) == ([], [], [])
    # Every tier 1-2 place of the core gets an illustration and an audio guide; tier 1 a panorama too;
    # nothing without a tier (the open-data layers) is chosen.
    top = {k for k, t in tiers.items() if str(t) in ("1", "2")}
    assert len(top) >= 20 and all({"image", "audio"} <= set(picked[k]) for k in top)
    assert all("panorama" in picked[k] for k, t in tiers.items() if str(t) == "1")
    assert "causeway-board" in {slug for slug, _ in picked}
    assert not {slug for slug, _ in picked} & {"causeway-coast-glens", "dfc-historic-environment"}

    report = media.attach(factory, runtime, keys=[CAUSEWAY, MUSEUM, COOLE])
    assert report.created == {"image": 3, "panorama": 1, "audio": 2} and not report.stale_audio

    doc = client.get(f"/v1/attractions/{_id(factory, CAUSEWAY)}/virtual-visit").json()
    canvases = doc["items"]
    assert [c["items"][0]["items"][0]["body"]["type"] for c in canvases] == ["Image", "Image", "Sound"]
    image, pano, sound = canvases
    for canvas in (image, pano):
        assert "illustration" in canvas["label"]["en"][0]
        body = canvas["items"][0]["items"][0]["body"]
        assert "not a photograph" in body["label"]["en"][0]
        assert "not a photograph" in canvas["requiredStatement"]["value"]["none"][0]
        assert canvas["rights"] == "http://creativecommons.org/publicdomain/zero/1.0/"
        info = client.get(body["service"][0]["id"] + "/info.json")
        assert info.status_code == 200 and info.json()["width"] == canvas["width"]
        tile = client.get(body["service"][0]["id"] + "/0,0,256,256/256,/0/default.jpg")
        assert tile.status_code == 200 and tile.headers["content-type"] == "image/jpeg"
    assert (image["width"], image["height"]) == illustrate.IMAGE_SIZE
    assert pano["width"] == 2 * pano["height"]
    assert pano["metadata"][0]["value"] == {"none": ["equirectangular"]}
    assert "synthesized" in sound["label"]["en"][0] and "not a recorded guide" in (
        sound["requiredStatement"]["value"]["none"][0])
    body = sound["items"][0]["items"][0]["body"]
    assert body["format"] == "audio/ogg" and 3 < body["duration"] < 120
    whole = client.get(body["id"])
    assert whole.status_code == 200 and whole.content[:4] == b"OggS"
    part = client.get(body["id"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == whole.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"

    museum = client.get(f"/v1/attractions/{_id(factory, MUSEUM)}/virtual-visit").json()
    assert [c["items"][0]["items"][0]["body"]["type"] for c in museum["items"]] == ["Image", "Sound"]
    coole = client.get(f"/v1/attractions/{_id(factory, COOLE)}/virtual-visit").json()
    assert [c["items"][0]["items"][0]["body"]["type"] for c in coole["items"]] == ["Image"]

    # Idempotent: again, nothing is redrawn or added.
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(MediaAsset))
    again = media.attach(factory, runtime, keys=[CAUSEWAY, MUSEUM, COOLE])
    assert again.created == {"image": 0, "panorama": 0, "audio": 0} and again.unchanged == 6
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(MediaAsset)) == before
        assets = list(s.scalars(select(MediaAsset)))
    assert {a.uploaded_by for a in assets} == {media.UPLOADER}
    assert all(a.status == "ready" for a in assets)


def test_committed_recordings_are_small_ogg_opus() -> None:
    index = media.load_audio_index()
    assert index, "no recordings committed"
    for entry in index.values():
        path = media.AUDIO_DIR / entry["file"]
        assert path.stat().st_size < 100_000
        found = sniff(path, "audio")
        assert found.container == "ogg" and found.duration and found.duration > 3
        assert entry["text"].endswith(media.AUDIO_NOTICE)


def test_tiers_choose_the_media() -> None:
    from causeway.content.models import AttractionCategory

    def att(tier: object, *cats: str) -> Attraction:
        return Attraction(external_id="x", extra={"popularity_tier": tier},
                          category_rows=[AttractionCategory(category=c, position=i) for i, c in enumerate(cats)])

    assert media.kinds_for("causeway-board", att(1, "museum")) == ("image", "panorama", "audio")
    assert media.kinds_for("causeway-board", att(2, "museum", "history")) == ("image", "audio")
    assert media.kinds_for("causeway-board", att(2, "coast", "nature")) == ("image", "panorama", "audio")
    assert media.kinds_for("causeway-board", att(3, "castle")) == ("image",)
    assert media.kinds_for("causeway-board", att("2", "museum")) == ("image", "audio")  # from a CSV
    assert media.kinds_for("causeway-board", att("top", "castle")) == ()
    assert media.kinds_for("causeway-board", att(4, "castle")) == ()
    assert media.kinds_for("causeway-board", att(None, "castle")) == ()
    assert media.kinds_for("causeway-board", att(True, "castle")) == ()
