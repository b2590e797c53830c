"""The tourism board's dashboard: one HTML page and its script, served as files.

The page holds no data: it signs in with a board token the user pastes (kept in the
tab's sessionStorage, sent as a bearer token) and draws its charts as SVG from the
`/v1/board/analytics/...` JSON, so it shows exactly what the API says. No third-party
script; a strict Content-Security-Policy allows only this origin's script and styles.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from causeway.api.errors import NotFound

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/board")
def board_page() -> FileResponse:
    return FileResponse(STATIC / "board.html", media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/board/static/{name}")
def board_asset(name: str) -> FileResponse:
    types = {"board.js": "text/javascript; charset=utf-8", "curation.js": "text/javascript; charset=utf-8",
             "board.css": "text/css; charset=utf-8"}
    if name not in types:  # a fixed list: nothing else under the folder is served
        raise NotFound(f"no dashboard file {name}")
    return FileResponse(STATIC / name, media_type=types[name], headers=HEADERS)
