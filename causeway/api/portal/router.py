"""The venue portal: one HTML page and its scripts, served as files.

A venue signs in with the invitation link the board sends (``/portal#invite=<code>``): the
page exchanges the code once at ``POST /v1/invitations/accept`` for a venue token and keeps
that token in the browser (localStorage). Everything it shows comes from the venue API
(``/v1/venue/...``, ``/v1/attractions/{id}/content``, ``.../revisions``, ``.../media``,
``/v1/hours/preview``, ``/v1/providers/{slug}/analytics/...``), so it can do nothing a
venue token cannot. Plain ES modules, no build step, no third-party script; a strict
Content-Security-Policy allows this origin only (``blob:`` images: the thumbnails of media not
yet public are fetched with the token and shown from memory).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from causeway.api.errors import NotFound

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
# A fixed list: nothing else under the folder is served.
FILES = {"portal.js": "text/javascript; charset=utf-8", "dom.js": "text/javascript; charset=utf-8",
         "portal.css": "text/css; charset=utf-8"}

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def portal_page() -> FileResponse:
    # Referrer-Policy no-referrer: the invitation code in the fragment never leaves the page anyway.
    return FileResponse(STATIC / "portal.html", media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/portal/")
def portal_slash() -> RedirectResponse:
    return RedirectResponse("/portal", status_code=308)


@router.get("/portal/static/{name}")
def portal_asset(name: str) -> FileResponse:
    if name not in FILES:
        raise NotFound(f"no portal file {name}")
    return FileResponse(STATIC / name, media_type=FILES[name], headers=HEADERS)
