"""IIIF Image API 3.0 (level 2) over the media of published attractions.

Not rate limited and not under /v1: the URL space is the IIIF standard's, and a deep-zoom
viewer asks for dozens of tiles a second; in production a CDN sits in front (long max-age,
strong ETags derived from the master and the canonical request, CORS for every origin).
The hot path (a tile already rendered) touches neither the database nor the thread pool:
identifiers are looked up through a short per-process cache, bytes come from memory.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from causeway.api.errors import ApiError, NotFound
from causeway.api.http import not_modified
from causeway.api.media.router import CORS, cache_headers, served
from causeway.content.media import iiif
from causeway.content.media.models import MediaKind
from causeway.content.media.runtime import MediaRuntime, Served

router = APIRouter(prefix="/iiif/3", tags=["iiif"])
JSONLD = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


class IIIFBadRequest(ApiError):
    status, slug = 400, "iiif-bad-request"


async def _image_asset(request: Request, identifier: str) -> Served:
    asset = await served(request, identifier)
    if not MediaKind(asset.kind).is_image or not asset.width or not asset.height:
        raise NotFound(f"{identifier!r} is not an image", headers=CORS)
    return asset


def _base_id(request: Request, identifier: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/iiif/3/{quote(identifier, safe='')}"


def _links(request: Request, identifier: str, canonical: str | None = None) -> str:
    links = [f'<{iiif.PROFILE}>;rel="profile"']
    if canonical:
        links.append(f'<{_base_id(request, identifier)}/{canonical}>;rel="canonical"')
    return ", ".join(links)


@router.get("/{identifier}", include_in_schema=False)
async def base_uri(request: Request, identifier: str) -> Response:
    """The base URI redirects to the image information (section 2.2)."""
    return RedirectResponse(f"{_base_id(request, identifier)}/info.json", status_code=303, headers=CORS)


@router.get("/{identifier}/info.json", summary="Image information (info.json)")
async def info(request: Request, identifier: str) -> Response:
    asset = await _image_asset(request, identifier)
    media: MediaRuntime = request.app.state.media
    assert asset.width and asset.height
    doc = iiif.info(_base_id(request, identifier), asset.width, asset.height,
                    tile=media.config.tile_size, rights=asset.licence)
    body = json.dumps(doc, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**cache_headers(asset, etag, 86400), "Vary": "Accept", "Link": _links(request, identifier)}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    wants_ld = "application/ld+json" in request.headers.get("accept", "")
    return Response(body, media_type=JSONLD if wants_ld else "application/json", headers=headers)


@router.get("/{identifier}/{region}/{size}/{rotation}/{quality}.{format}", summary="An image request",
            responses={200: {"content": {t: {} for t in iiif.FORMATS.values()}}})
async def image(request: Request, identifier: str, region: str, size: str, rotation: str, quality: str,
                format: str) -> Response:  # noqa: A002  (the standard's name)
    try:
        req = iiif.parse(region, size, rotation, quality, format)
    except iiif.IIIFError as exc:
        raise IIIFBadRequest(str(exc), headers=CORS) from exc
    asset = await _image_asset(request, identifier)
    media: MediaRuntime = request.app.state.media
    assert asset.width and asset.height and asset.blob_sha256
    try:
        plan = iiif.resolve(req, asset.width, asset.height, max_area=media.config.max_area)
    except iiif.IIIFError as exc:
        raise IIIFBadRequest(str(exc), headers=CORS) from exc
    key = plan.key
    etag = '"' + hashlib.sha256(f"{asset.blob_sha256}/{key}".encode()).hexdigest()[:32] + '"'
    headers = {**cache_headers(asset, etag, media.config.max_age), "Link": _links(request, identifier, key)}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    data = media.derived.peek(asset.blob_sha256, key)
    if data is None:
        data = await run_in_threadpool(media.image, asset, plan)
    return Response(data, media_type=iiif.FORMATS[plan.format], headers=headers)
