"""The media pipeline without the web: validation, processing, IIIF geometry, sniffing, storage."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from causeway.content.media import avclean, iiif, xmp
from causeway.content.media.derived import DerivedCache, LevelCache, pretile, reduction_for
from causeway.content.media.process import process_image
from causeway.content.media.sniff import NotMedia, sniff
from causeway.content.media.storage import LocalStorage, TooLarge
from causeway.content.media.validate import ImageRejected, inspect_image
from tests.content.media_files import (
    GPS_XMP,
    gradient,
    has_gps,
    mp3_with_tags,
    mp4,
    phone_photo,
    png_bomb,
    truncated_jpeg,
    wav,
    wav_with_info,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# Validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data", "reason"), [
    ("notes.jpg", b"Opening times: 10:00-17:00\n" * 20, "not-an-image"),
    ("empty.png", b"", "not-an-image"),
    ("bomb.png", png_bomb(), "too-many-pixels"),
    ("cut.jpg", truncated_jpeg(), "damaged"),
])
def test_refusals_say_why(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as info:
        inspect_image(write(tmp_path, name, data), max_pixels=50_000_000)
    assert info.value.reason == reason
    assert str(info.value)


def test_pixel_limit_is_the_configured_one(tmp_path: Path) -> None:
    path = write(tmp_path, "p.jpg", phone_photo(400, 300))
    assert inspect_image(path, max_pixels=120_000).width == 300  # orientation 6: upright it is 300 wide
    with pytest.raises(ImageRejected, match="119,999 pixels"):
        inspect_image(path, max_pixels=119_999)


def test_panorama_must_be_two_to_one(tmp_path: Path) -> None:
    pano = write(tmp_path, "pano.jpg", phone_photo(800, 400, orientation=1, xmp=GPS_XMP))
    assert inspect_image(pano, max_pixels=10**8, panorama=True).width == 800
    with pytest.raises(ImageRejected, match="2:1") as info:
        inspect_image(write(tmp_path, "wide.jpg", phone_photo(600, 400, orientation=1)), max_pixels=10**8,
                      panorama=True)
    assert info.value.reason == "not-equirectangular"


# Processing ------------------------------------------------------------------------------
def test_processing_orients_strips_and_keeps_credit(tmp_path: Path) -> None:
    src = write(tmp_path, "photo.jpg", phone_photo(400, 300, orientation=6))
    assert has_gps(src.read_bytes())
    done = process_image(src, panorama=False, widths=(100, 200, 1000))
    assert (done.master.width, done.master.height) == (300, 400)  # turned upright
    assert [(r.width, r.format) for r in done.renditions] == [
        (100, "jpg"), (100, "webp"), (200, "jpg"), (200, "webp"), (300, "jpg"), (300, "webp")]
    for encoded in [done.master, *done.renditions]:
        assert not has_gps(encoded.data)
        with Image.open(io.BytesIO(encoded.data)) as im:
            exif = im.getexif()
            assert exif.get(ExifTags.Base.Copyright) == "(c) Castle Venue 2026"
            assert ExifTags.Base.Make not in exif and ExifTags.Base.Orientation not in exif
            assert ExifTags.Base.BodySerialNumber not in exif.get_ifd(ExifTags.IFD.Exif)
            assert im.mode == "RGB" and (im.width, im.height) == (encoded.width, encoded.height)
    # Upright: the red half of the original's left is now at the top.
    with Image.open(io.BytesIO(done.master.data)) as im:
        top, bottom = im.getpixel((150, 20)), im.getpixel((150, 380))
    assert top[0] > 150 > bottom[0] or bottom[0] > 150 > top[0]
    assert done.meta["artist"] == "A. Photographer"
    assert len(done.blurhash) == 2 + 4 + 2 * (3 * 4 - 1) and done.dominant_color.startswith("#")


def test_panorama_keeps_photo_sphere_xmp_only(tmp_path: Path) -> None:
    src = write(tmp_path, "pano.jpg", phone_photo(800, 400, orientation=1, xmp=GPS_XMP))
    done = process_image(src, panorama=True, widths=(200,))
    for encoded in [done.master, *done.renditions]:
        with Image.open(io.BytesIO(encoded.data)) as im:
            packet = im.info["xmp"]
        props = xmp.gpano(packet)
        assert props is not None and props["ProjectionType"] == "equirectangular"
        assert props["PoseHeadingDegrees"] == "90.0" and "CaptureSoftware" not in props
        assert b"GPS" not in packet and not has_gps(encoded.data)
        assert props["FullPanoWidthPixels"] == str(encoded.width) == str(2 * int(props["FullPanoHeightPixels"]))


def test_icc_profile_converted_to_srgb(tmp_path: Path) -> None:
    from PIL import ImageCms

    lab_like = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "PNG", icc_profile=lab_like)
    done = process_image(write(tmp_path, "icc.png", buf.getvalue()), panorama=False, widths=(32,))
    with Image.open(io.BytesIO(done.master.data)) as im:
        assert "icc_profile" not in im.info and im.mode == "RGB"


# IIIF ------------------------------------------------------------------------------------
def plan(region: str = "full", size: str = "max", rotation: str = "0", quality: str = "default",
         fmt: str = "jpg", w: int = 1000, h: int = 800) -> iiif.Plan:
    return iiif.resolve(iiif.parse(region, size, rotation, quality, fmt), w, h, max_area=4096 * 4096)


@pytest.mark.parametrize(("region", "size", "box", "out"), [
    ("full", "max", (0, 0, 1000, 800), (1000, 800)),
    ("square", "max", (100, 0, 800, 800), (800, 800)),
    ("pct:10,10,50,50", "max", (100, 80, 500, 400), (500, 400)),
    ("900,700,500,500", "max", (900, 700, 100, 100), (100, 100)),  # clipped to the image
    ("full", "500,", (0, 0, 1000, 800), (500, 400)),
    ("full", ",400", (0, 0, 1000, 800), (500, 400)),
    ("full", "pct:25", (0, 0, 1000, 800), (250, 200)),
    ("full", "!300,300", (0, 0, 1000, 800), (300, 240)),
    ("full", "^!2000,2000", (0, 0, 1000, 800), (2000, 1600)),
    ("full", "^1500,", (0, 0, 1000, 800), (1500, 1200)),
    ("full", "^max", (0, 0, 1000, 800), (1000, 800)),
    ("full", "300,100", (0, 0, 1000, 800), (300, 100)),
])
def test_region_and_size(region: str, size: str, box: tuple[int, int, int, int], out: tuple[int, int]) -> None:
    p = plan(region, size)
    assert p.region == box and p.size == out


@pytest.mark.parametrize(("region", "size", "rotation", "quality", "fmt"), [
    ("full", "full", "0", "default", "jpg"),  # 'full' size is Image API 2
    ("full", "1500,", "0", "default", "jpg"),  # upscaling without ^
    ("full", "pct:150", "0", "default", "jpg"),
    ("full", "!2000,3000", "0", "default", "jpg"),
    ("1000,0,10,10", "max", "0", "default", "jpg"),  # outside the image
    ("0,0,0,10", "max", "0", "default", "jpg"),
    ("junk", "max", "0", "default", "jpg"),
    ("full", "0,", "0", "default", "jpg"),
    ("full", "max", "361", "default", "jpg"),
    ("full", "max", "-90", "default", "jpg"),
    ("full", "max", "0", "sepia", "jpg"),
    ("full", "max", "0", "default", "bmp"),
    ("full", "^9000,9000", "0", "default", "jpg"),  # beyond the rendering limit
])
def test_bad_requests(region: str, size: str, rotation: str, quality: str, fmt: str) -> None:
    with pytest.raises(iiif.IIIFError):
        plan(region, size, rotation, quality, fmt)


def test_canonical_key_is_shared_by_spellings() -> None:
    assert plan("full", "500,").key == plan("0,0,1000,800", "500,400").key == plan("full", "pct:50").key
    assert plan("full", "max", quality="color").key == plan("full", "max").key
    assert plan("full", "max", rotation="!90.50").key.split("/")[2] == "!90.5"


def test_render_rotation_mirror_and_qualities() -> None:
    im = gradient(40, 20)  # left half red, right half blue
    def pixels(rotation: str, quality: str = "default", fmt: str = "png") -> Image.Image:
        return Image.open(io.BytesIO(iiif.render(im, 1.0, plan(rotation=rotation, quality=quality, fmt=fmt,
                                                                   w=40, h=20))))
    assert pixels("0").getpixel((2, 10))[0] > 200
    assert pixels("!0").getpixel((2, 10))[2] > 200  # mirrored: blue on the left
    turned = pixels("90")
    assert turned.size == (20, 40) and turned.getpixel((10, 2))[0] > 200  # red (left) is now on top
    assert pixels("270").getpixel((10, 2))[2] > 200
    assert pixels("45").size[0] > 40 and pixels("45").mode == "RGBA"
    assert pixels("0", "gray").mode == "L" and pixels("0", "bitonal").mode == "1"
    assert pixels("0", "bitonal", "jpg").mode == "L"


def test_info_advertises_tiles_and_the_pyramid_serves_them(tmp_path: Path) -> None:
    doc = iiif.info("http://x/iiif/3/a", 1000, 600, tile=256)
    assert doc["tiles"] == [{"width": 256, "height": 256, "scaleFactors": [1, 2, 4]}]
    assert doc["profile"] == "level2" and doc["type"] == "ImageService3"
    cache = DerivedCache(tmp_path, 1 << 20)
    im = gradient(1000, 600)
    made = pretile(im, "a" * 64, cache, 256)
    tiles = [p for _, p in iiif.tile_plans(1000, 600, 256)]
    assert made == len(tiles) == 4 * 3 + 2 * 2 + 1 + 2  # tiles at 1, 2, 4; whole image at 1 and 2
    # What a viewer asks for the bottom-right tile at scale factor 2 is already there.
    edge = plan("512,512,488,88", "244,44", w=1000, h=600)
    assert cache.get("a" * 64, edge.key) is not None
    cache.drop("a" * 64)
    assert cache.get("a" * 64, edge.key) is None


def test_decoded_levels_come_from_dct_scaling(tmp_path: Path) -> None:
    path = tmp_path / "m.jpg"
    gradient(1600, 1200).save(path, "JPEG")
    levels = LevelCache(10_000_000)
    im, scale = levels.get("b" * 64, path, 4, 1600)
    assert im.size == (400, 300) and scale == 4.0
    assert levels.get("b" * 64, path, 4, 1600)[0] is im  # decoded once
    assert reduction_for(plan("full", "200,", w=1600, h=1200)) == 8


# Audio and video -------------------------------------------------------------------------
def test_sniff_by_content(tmp_path: Path) -> None:
    found = sniff(write(tmp_path, "guide.bin", wav(2.0)), "audio")
    assert (found.container, found.media_type, round(found.duration or 0, 2)) == ("wav", "audio/wav", 2.0)
    video = sniff(write(tmp_path, "clip.dat", mp4()), "video")
    assert (video.media_type, video.duration, video.width, video.height) == ("video/mp4", 12.5, 640, 360)
    assert sniff(write(tmp_path, "a.m4a", mp4(video=False)), "audio").media_type == "audio/mp4"
    with pytest.raises(NotMedia, match="kind=video"):
        sniff(write(tmp_path, "v.mp4", mp4()), "audio")
    with pytest.raises(NotMedia, match="kind=audio"):
        sniff(write(tmp_path, "g.wav", wav()), "video")
    with pytest.raises(NotMedia, match="not a recognised"):
        sniff(write(tmp_path, "song.mp3", b"<html>not a song</html>" * 10), "audio")
    with pytest.raises(NotMedia, match="truncated"):
        sniff(write(tmp_path, "cut.mp4", mp4()[:60]), "video")


def test_audio_and_video_metadata_blanked_in_place(tmp_path: Path) -> None:
    movie = mp4(location=b"+54.5973-005.9301/")
    path = write(tmp_path, "clip.mp4", movie)
    assert avclean.strip(path, "mp4") == ["moov/udta"]
    out = path.read_bytes()
    assert b"+54.5973" not in out and len(out) == len(movie) and out[-72:] == movie[-72:]  # mdat untouched
    assert sniff(path, "video").duration == 12.5
    recording = write(tmp_path, "guide.wav", wav_with_info(1.0))
    assert avclean.strip(recording, "wav") == ["LIST"]
    assert b"Jane Doe" not in recording.read_bytes() and sniff(recording, "audio").duration == 1.0
    song = write(tmp_path, "song.mp3", mp3_with_tags())
    assert avclean.strip(song, "mp3") == ["ID3v2", "ID3v1"]
    assert song.read_bytes().startswith(b"\xff\xfb") and b"Secret" not in song.read_bytes()
    assert b"Owner" not in song.read_bytes()


# Storage ---------------------------------------------------------------------------------
def test_same_bytes_stored_once(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    sha, created = storage.put_bytes(b"castle")
    assert created and storage.exists(sha)
    assert storage.put_bytes(b"castle") == (sha, False)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]
    with storage.temporary() as tmp, pytest.raises(TooLarge):
        storage.receive(io.BytesIO(b"x" * 100), tmp, limit=99)
    assert not any((tmp_path / "tmp").iterdir())
