"""The visitor app: an installable web app (PWA) at /app/, served from this package.

Plain ES modules, no build step: the files under ``static/`` are served as they are, and the
two browser libraries (Leaflet for maps, OpenSeadragon for IIIF deep zoom) come from npm
(``package.json`` and its lockfile at the top of the checkout; ``make install`` runs
``npm ci``) and are served from ``node_modules`` by the vendor route, each from a fixed
folder of its package. The service worker is served with the list of files to keep for
offline use and a version that changes when any of them does, so a new release replaces
the old cache. A strict Content-Security-Policy allows this origin only, plus the tile
server of the basemap when one is configured (the app works without it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from causeway.api.errors import NotFound
from causeway.api.http import not_modified
from causeway.settings import Settings

STATIC = Path(__file__).parent / "static"
CHECKOUT_NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json",
         ".webmanifest": "application/manifest+json", ".png": "image/png", ".svg": "image/svg+xml",
         ".txt": "text/plain; charset=utf-8", "": "text/plain; charset=utf-8"}
# What of each npm package the app may load: a folder of its build and its licence.
VENDOR = {"leaflet": ("dist/", "LICENSE"), "openseadragon": ("build/openseadragon/", "LICENSE.txt")}
# Loaded by every screen (kept for offline use): Leaflet's minified build and its stylesheet (the
# maps draw vector points, no marker images). OpenSeadragon (345 KiB) is fetched when a virtual
# visit opens, and kept then; the rest of the packages' files are fetched when used.
VENDOR_PRECACHE = ("leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css")
# App files the app shell does not need offline: the browser fetches the large icons itself
# when it installs the app.
NOT_PRECACHED = ("icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png")

EMPTY_STYLE = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # base64(sha256(b""))

router = APIRouter(include_in_schema=False)


def _csp(tile_url: str) -> str:
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url)
        host = parts.netloc.replace("{s}.", "*.", 1)
        tiles = f" {parts.scheme}://{host}"
    # style-src: this origin, and the hash of the empty string only: the app inserts one empty
    # <style data-openseadragon-mobile-css> so that OpenSeadragon does not inject its own
    # (which would remove the focus outline on touch screens).
    return (f"default-src 'none'; script-src 'self'; style-src 'self' '{EMPTY_STYLE}'; "
            f"img-src 'self' data: blob:{tiles}; media-src 'self' blob:; connect-src 'self'; "
            "worker-src 'self'; manifest-src 'self'; font-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


@dataclass
class Webapp:
    settings: Settings

    @cached_property
    def vendor_dir(self) -> Path:
        return (self.settings.webapp_vendor_dir or CHECKOUT_NODE_MODULES).resolve()

    @cached_property
    def headers(self) -> dict[str, str]:
        return {"Content-Security-Policy": _csp(self.settings.webapp_tile_url),
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-cache"}

    @cached_property
    def files(self) -> dict[str, Path]:
        """Every file of the app by its path under /app/ (the service worker is served apart)."""
        out = {p.relative_to(STATIC).as_posix(): p for p in sorted(STATIC.rglob("*")) if p.is_file()}
        out.pop("sw.js", None)
        return out

    def vendor_file(self, package: str, path: str) -> Path | None:
        allowed = VENDOR.get(package)
        if allowed is None or ".." in path.split("/"):
            return None
        folder, licence = allowed
        if path != licence and not path.startswith(folder):
            return None
        root = (self.vendor_dir / package).resolve()
        found = (root / path).resolve()
        if not found.is_relative_to(root) or not found.is_file() or found.suffix not in TYPES:
            return None
        return found

    @cached_property
    def precache(self) -> list[str]:
        shell = ["/app/"] + [f"/app/{name}" for name in self.files
                             if name != "index.html" and name not in NOT_PRECACHED]
        vendor = [f"/app/vendor/{v}" for v in VENDOR_PRECACHE if self.vendor_file(*v.split("/", 1))]
        return shell + vendor

    @cached_property
    def version(self) -> str:
        digest = hashlib.sha256()
        for path in [*self.files.values(), STATIC / "sw.js",
                     *(self.vendor_dir / v for v in VENDOR_PRECACHE)]:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        digest.update(json.dumps(self.config, sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def etag(self, path: Path) -> str:
        """A strong validator from the file's bytes (the same in every checkout and process)."""
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        found = self._etags.get(key)
        if found is None:
            found = self._etags[key] = '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:20] + '"'
        return found

    @cached_property
    def _etags(self) -> dict[tuple[Path, int, int], str]:
        return {}

    def file(self, request: Request, path: Path, media_type: str) -> Response:
        """The file, or a 304 when the client's copy is current (the service worker's install
        re-checks what the page has just downloaded: answered with headers only)."""
        tag = self.etag(path)
        headers = {**self.headers, "ETag": tag}
        if not_modified(request, tag):
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers)

    @cached_property
    def config(self) -> dict[str, object]:
        tiles = ({"url": self.settings.webapp_tile_url, "attribution": self.settings.webapp_tile_attribution}
                 if self.settings.webapp_tile_url else None)
        return {"tiles": tiles,
                "timezone": self.settings.timezone, "default_language": self.settings.default_language}


def _webapp(request: Request) -> Webapp:
    app = request.app
    if not hasattr(app.state, "webapp"):
        app.state.webapp = Webapp(app.state.settings)
    return app.state.webapp


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app")
def app_no_slash() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=308)


@router.get("/app/")
def index(request: Request) -> Response:
    return _webapp(request).file(request, STATIC / "index.html", TYPES[".html"])


@router.get("/app/sw.js")
def service_worker(request: Request) -> Response:
    webapp = _webapp(request)
    text = (STATIC / "sw.js").read_text(encoding="utf-8")
    text = text.replace('"__VERSION__"', json.dumps(webapp.version)).replace(
        '["__PRECACHE__"]', json.dumps(webapp.precache))
    return Response(text, media_type=TYPES[".js"], headers=webapp.headers)


@router.get("/app/config.json")
def config(request: Request) -> Response:
    webapp = _webapp(request)
    return Response(json.dumps({**webapp.config, "version": webapp.version}), media_type="application/json",
                    headers=webapp.headers)


@router.get("/app/vendor/{package}/{path:path}")
def vendor(request: Request, package: str, path: str) -> Response:
    webapp = _webapp(request)
    found = webapp.vendor_file(package, path)
    if found is None:
        hint = "" if webapp.vendor_dir.is_dir() else f" ({webapp.vendor_dir} is missing: run `make install`)"
        raise NotFound(f"no browser library file {package}/{path}{hint}")
    return webapp.file(request, found, TYPES[found.suffix])


@router.get("/app/{path:path}")
def asset(request: Request, path: str) -> Response:
    webapp = _webapp(request)
    found = webapp.files.get(path)
    if found is None or path == "index.html":
        raise NotFound(f"no app file {path}")
    return webapp.file(request, found, TYPES.get(found.suffix, "application/octet-stream"))
