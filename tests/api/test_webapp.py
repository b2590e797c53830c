"""The visitor app's files as the server serves them (the journey itself: test_webapp_browser.py),
and the opening-hours endpoint it shows."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from causeway.api.webapp.router import CHECKOUT_NODE_MODULES, STATIC
from causeway.settings import Settings


@pytest.fixture
def web(tmp_path: Path) -> Iterator[TestClient]:
    from causeway.api.app import create_app
    from causeway.db import make_engine
    from causeway.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(make_engine(url))
    with TestClient(create_app(Settings(database_url=url, data_dir=tmp_path)), follow_redirects=False) as c:
        yield c


def test_root_and_app_lead_to_the_app_shell(web: TestClient) -> None:
    assert web.get("/").status_code == 307 and web.get("/").headers["location"] == "/app/"
    assert web.get("/app").headers["location"] == "/app/"
    page = web.get("/app/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert 'rel="manifest"' in page.text and 'type="module" src="/app/js/main.js"' in page.text
    # Every file the page names is served, from this origin.
    for ref in re.findall(r'(?:src|href)="(/app/[^"]+)"', page.text):
        assert web.get(ref).status_code == 200, ref


def test_the_manifest_makes_it_installable(web: TestClient) -> None:
    r = web.get("/app/manifest.webmanifest")
    assert r.headers["content-type"].startswith("application/manifest+json")
    doc = r.json()
    assert doc["start_url"] == "/app/" and doc["scope"] == "/app/" and doc["display"] == "standalone"
    sizes = {i["sizes"]: i for i in doc["icons"]}
    assert {"192x192", "512x512"} <= set(sizes) and any(i.get("purpose") == "maskable" for i in doc["icons"])
    for icon in doc["icons"]:
        png = web.get(icon["src"])
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png.content[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]


def test_the_service_worker_lists_what_it_keeps_and_is_versioned(web: TestClient, tmp_path: Path) -> None:
    r = web.get("/app/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "__VERSION__" not in r.text and "__PRECACHE__" not in r.text
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', r.text).group(1)  # type: ignore[union-attr]
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", r.text).group(1))  # type: ignore[union-attr]
    assert "/app/" in precache and "/app/js/main.js" in precache and "/app/js/events.js" in precache
    for url in precache:
        assert web.get(url).status_code == 200, url
    assert web.get("/app/config.json").json()["version"] == version


def test_vendor_route_serves_only_the_libraries_build_folders(web: TestClient) -> None:
    if not (CHECKOUT_NODE_MODULES / "leaflet").is_dir():
        pytest.fail("node_modules is missing: run `make install` (npm ci)", pytrace=False)
    js = web.get("/app/vendor/leaflet/dist/leaflet.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert web.get("/app/vendor/openseadragon/build/openseadragon/openseadragon.min.js").status_code == 200
    assert "BSD" in web.get("/app/vendor/leaflet/LICENSE").text
    for bad in ("/app/vendor/leaflet/package.json", "/app/vendor/leaflet/src/Leaflet.js",
                "/app/vendor/left-pad/index.js", "/app/vendor/leaflet/dist/../package.json",
                "/app/vendor/leaflet/dist/%2e%2e/package.json", "/app/sw.js/../index.html"):
        r = web.get(bad)
        assert r.status_code == 404, bad
    problem = web.get("/app/vendor/leaflet/nothing.js")
    assert problem.headers["content-type"].startswith("application/problem+json")


def test_vendor_dir_setting_and_a_missing_one(tmp_path: Path) -> None:
    from causeway.api.app import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path,
                        webapp_vendor_dir=tmp_path / "nowhere", webapp_tile_url="")
    with TestClient(create_app(settings)) as c:
        r = c.get("/app/vendor/leaflet/dist/leaflet.css")
        assert r.status_code == 404 and "make install" in r.json()["detail"]
        assert c.get("/app/config.json").json()["tiles"] is None  # no basemap: points only
        assert "tile" not in c.get("/app/").headers["content-security-policy"].split("img-src")[1].split(";")[0]


def test_a_tile_server_is_the_only_other_host_allowed(web: TestClient) -> None:
    csp = web.get("/app/").headers["content-security-policy"]
    img = csp.split("img-src")[1].split(";")[0].split()
    assert img == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]


def test_only_files_of_the_app_are_served(web: TestClient) -> None:
    assert web.get("/app/js/main.js").status_code == 200
    assert web.get("/app/nothing.js").status_code == 404
    assert web.get("/app/../causeway/settings.py").status_code == 404
    assert not list(STATIC.rglob("*.py"))


def test_hours_per_day_as_a_person_reads_them(client: TestClient, catalogue: None) -> None:
    found = client.get("/v1/attractions", params={"q": "Dunluce", "fields": "id,name,opening_hours"}).json()["items"][0]
    r = client.get(f"/v1/attractions/{found['id']}/hours", params={"from": "2026-07-13", "to": "2026-07-15"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["timezone"] == "Europe/London" and doc["opening_hours"] == found["opening_hours"]
    assert [d["date"] for d in doc["days"]] == ["2026-07-13", "2026-07-14", "2026-07-15"]
    assert all(d["open"] and d["windows"] for d in doc["days"])
    for d in doc["days"]:
        for w in d["windows"]:
            assert re.fullmatch(r"\d\d:\d\d", w["opens"]) and re.fullmatch(r"\d\d:\d\d", w["closes"])
            assert w["opens"] < w["closes"]
    # Too long, reversed, unknown.
    hours = f"/v1/attractions/{found['id']}/hours"
    assert client.get(hours, params={"from": "2026-07-01", "to": "2026-09-01"}).status_code == 422
    assert client.get(hours, params={"from": "2026-07-02", "to": "2026-07-01"}).status_code == 422
    assert client.get("/v1/attractions/999999/hours").status_code == 404


def test_hours_follow_the_expression(client: TestClient, catalogue: None, factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from causeway.content.models import Attraction

    with factory.begin() as s:
        att = s.scalars(select(Attraction).where(Attraction.status == "published").limit(1)).one()
        att.opening_hours = "Tu-Sa 10:00-13:00,14:00-17:00; PH off"
        att_id = att.id
    # 2026-07-13 is a Monday; 2026-07-14 a Tuesday; 2026-07-12 (the Twelfth) falls on a Sunday.
    doc = client.get(f"/v1/attractions/{att_id}/hours", params={"from": "2026-07-13", "to": "2026-07-14"}).json()
    monday, tuesday = doc["days"]
    assert monday == {"date": "2026-07-13", "open": False, "windows": []}
    assert tuesday["windows"] == [{"opens": "10:00", "closes": "13:00"}, {"opens": "14:00", "closes": "17:00"}]


def test_text_is_gzipped_and_images_and_ranges_are_not(web: TestClient) -> None:
    if not (CHECKOUT_NODE_MODULES / "leaflet").is_dir():
        pytest.fail("node_modules is missing: run `make install` (npm ci)", pytrace=False)
    source = (CHECKOUT_NODE_MODULES / "leaflet" / "dist" / "leaflet.js").read_bytes()
    with web.stream("GET", "/app/vendor/leaflet/dist/leaflet.js", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip" and "accept-encoding" in r.headers["vary"].lower()
    assert gzip.decompress(raw) == source and len(raw) < len(source) / 2
    plain = web.get("/app/vendor/leaflet/dist/leaflet.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == source
    # API answers (JSON) too; small ones go as they are.
    spec = web.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["content-encoding"] == "gzip" and spec.json()["openapi"]
    small = web.get("/app/js/state.js", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 1024 and "content-encoding" not in small.headers
    # Images are already compressed; a byte range must be of the file itself.
    icon = web.get("/app/icons/icon-512.png", headers={"Accept-Encoding": "gzip"})
    assert icon.status_code == 200 and "content-encoding" not in icon.headers
    part = web.get("/app/vendor/leaflet/dist/leaflet.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert part.status_code == 206 and "content-encoding" not in part.headers and part.content == source[:100]


def test_app_files_answer_304_to_a_current_copy(web: TestClient) -> None:
    for url in ("/app/", "/app/js/main.js", "/app/vendor/leaflet/dist/leaflet.css"):
        first = web.get(url)
        tag = first.headers["etag"]
        assert first.status_code == 200 and tag.startswith('"')
        again = web.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert "content-security-policy" in again.headers
        assert web.get(url, headers={"If-None-Match": f"W/{tag}"}).status_code == 304  # weak comparison
        assert web.get(url, headers={"If-None-Match": '"stale", ' + tag}).status_code == 304
        assert web.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert web.get("/app/js/main.js").headers["etag"] != web.get("/app/js/api.js").headers["etag"]


def test_the_service_worker_keeps_only_what_the_app_needs_offline(web: TestClient) -> None:
    text = web.get("/app/sw.js").text
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", text).group(1))  # type: ignore[union-attr]
    assert "/app/vendor/leaflet/dist/leaflet.js" in precache  # the minified build
    assert not [u for u in precache if "openseadragon" in u or "-src" in u or "512" in u]
    size = sum(len(web.get(u, headers={"Accept-Encoding": "identity"}).content) for u in precache)
    assert size < 400 * 1024, size
