"""Venue media: upload, list, update, delete; media files with Range; virtual-visit manifests."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from causeway.api.deps import DbSession, OptionalPrincipal, SettingsDep, rate_limit
from causeway.api.params import IdPath
from causeway.api.errors import Forbidden, NotFound, Unauthorized
from causeway.api.http import etag_json, languages, not_modified
from causeway.auth.service import Principal, resolve
from causeway.bounds import MAX_POSITION, Position
from causeway.content import catalogue
from causeway.content.media import manifest, service
from causeway.content.media.models import MediaAsset, MediaKind, MediaStatus
from causeway.content.media.runtime import MediaRuntime, Served
from causeway.content.models import Attraction, Status

router = APIRouter(prefix="/v1/attractions", tags=["media"], dependencies=[Depends(rate_limit)])
files = APIRouter(prefix="/media", tags=["media"])
MAX_DURATION = 7 * 24 * 3600.0  # seconds: a week of audio or video
MAX_SIDE = 100_000  # pixels
CORS = {"Access-Control-Allow-Origin": "*"}


def get_media(request: Request) -> MediaRuntime:
    return request.app.state.media


MediaDep = Annotated[MediaRuntime, Depends(get_media)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _may_manage(principal: Principal | None, att: Attraction) -> bool:
    return principal is not None and principal.may_manage(att.provider_id)


def _manager(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized("managing media needs a venue or board token")
    return principal


def _managed(db: DbSession, attraction_id: int, principal: Principal | None) -> Attraction:
    """The attraction, if ``principal`` may change its media (its venue, or the board)."""
    principal = _manager(principal)
    att = catalogue.get(db, attraction_id)
    if att is None:
        raise NotFound(f"attraction {attraction_id} does not exist")
    if not _may_manage(principal, att):
        raise Forbidden("a venue token can manage media only of its own provider's attractions")
    return att


def _visible(db: DbSession, attraction_id: int, principal: Principal | None) -> tuple[Attraction, bool]:
    """The attraction and whether the caller manages it; 404 unless published or managed."""
    att = catalogue.get(db, attraction_id)
    manages = att is not None and _may_manage(principal, att)
    if att is None or not (att.status == Status.published.value or manages):
        raise NotFound(f"attraction {attraction_id} does not exist or is not published")
    return att, manages


def render(asset: MediaAsset, base: str) -> dict[str, Any]:
    ident = asset.identifier
    ready = asset.status == MediaStatus.ready.value
    urls: dict[str, Any] = {}
    if ready:
        urls["file"] = f"{base}/media/{ident}/file"
        if MediaKind(asset.kind).is_image:
            urls["iiif"] = f"{base}/iiif/3/{ident}"
            urls["renditions"] = [{"width": r["width"], "height": r["height"], "format": r["format"],
                                   "url": f"{base}/media/{ident}/w{r['width']}.{r['format']}"}
                                  for r in asset.renditions]
    return {
        "id": asset.id, "identifier": ident, "attraction_id": asset.attraction_id, "kind": asset.kind,
        "status": asset.status, "error": asset.error, "position": asset.position,
        "media_type": asset.media_type, "width": asset.width, "height": asset.height,
        "duration": asset.duration, "bytes": asset.blob_bytes, "alt": asset.alt, "caption": asset.caption,
        "credit": asset.credit, "licence": asset.licence, "blurhash": asset.blurhash,
        "dominant_color": asset.dominant_color, "panorama": asset.meta.get("gpano"),
        "urls": urls, "created_at": asset.created_at, "updated_at": asset.updated_at,
    }


def _json_field(raw: str | None, name: str) -> Any:
    """A form field holding either JSON ({"en": "...", "ga": "..."}) or plain text."""
    if raw is None:
        return None
    text = raw.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise service.MediaError("invalid-json", f"{name} is not valid JSON: {exc.msg}", name) from exc
    return raw


@router.post("/{attraction_id}/media", status_code=201, summary="Upload a photo, panorama, audio guide or video",
             responses={413: {"description": "Too large"}, 422: {"description": "Not acceptable media"}})
def upload(request: Request, attraction_id: IdPath, db: DbSession, settings: SettingsDep, media: MediaDep,
           principal: OptionalPrincipal,
           file: Annotated[UploadFile, File(description="the media file; its content decides, not its name")],
           kind: Annotated[MediaKind, Form()],
           alt: Annotated[str | None, Form(description='alt text: plain text, or JSON {"en": ..., "ga": ...}')] = None,
           caption: Annotated[str | None, Form(description="caption: plain text or JSON per language")] = None,
           credit: Annotated[str | None, Form(max_length=300)] = None,
           licence: Annotated[str | None, Form(
               description="Creative Commons / RightsStatements.org URI, or CC-BY-4.0")] = None,
           position: Annotated[int | None, Form(ge=0, le=MAX_POSITION)] = None,
           duration: Annotated[float | None, Form(
               gt=0, le=MAX_DURATION, allow_inf_nan=False,
               description="seconds, when the file does not say (WebM)")] = None,
           width: Annotated[int | None, Form(gt=0, le=MAX_SIDE)] = None,
           height: Annotated[int | None, Form(gt=0, le=MAX_SIDE)] = None,
           identifier: Annotated[str | None, Form(description="keep the IIIF identifier an image had on a previous "
                                                              "server (default: a new UUID)")] = None) -> Response:
    """Validate by content, process (large images in the background: `status` is `pending`
    until `ready`), and return the media resource. Venue of the attraction's provider, or board."""
    who = _manager(principal)
    att = _managed(db, attraction_id, who)
    lang = settings.default_language
    upload_ = service.Upload(
        kind=kind, credit=credit.strip() if credit and credit.strip() else None,
        alt=service.texts(_json_field(alt, "alt"), field="alt", default_language=lang),
        caption=service.texts(_json_field(caption, "caption"), field="caption", default_language=lang),
        licence=service.licence_uri(licence), position=position, duration=duration, width=width, height=height,
        identifier=identifier)
    asset = service.create(db, media, att, upload_, file.file, uploaded_by=who.label)
    location = f"/v1/attractions/{attraction_id}/media/{asset.id}"
    doc = jsonable_encoder(render(asset, _base(request)))
    return Response(json.dumps(doc, ensure_ascii=False), status_code=201, media_type="application/json",
                    headers={"Location": location})


@router.get("/{attraction_id}/media", summary="List an attraction's media")
def list_media(request: Request, attraction_id: IdPath, db: DbSession, principal: OptionalPrincipal) -> dict:
    """Ready media for anyone (published attractions); every status for its venue and the board."""
    _, manages = _visible(db, attraction_id, principal)
    assets = service.list_for(db, attraction_id, ready_only=not manages)
    return {"items": [render(a, _base(request)) for a in assets]}


@router.get("/{attraction_id}/media/{media_id}", summary="One media resource (with its processing status)")
def get_media_item(request: Request, attraction_id: IdPath, media_id: IdPath, db: DbSession,
                   principal: OptionalPrincipal) -> dict:
    _, manages = _visible(db, attraction_id, principal)
    asset = service.get(db, attraction_id, media_id)
    if asset is None or not (manages or asset.status == MediaStatus.ready.value):
        raise NotFound(f"attraction {attraction_id} has no media {media_id}")
    return render(asset, _base(request))


class MediaUpdate(BaseModel):
    """Fields to change; texts are per language ({"en": ..., "ga": ...})."""

    alt: dict[str, str] | None = None
    caption: dict[str, str] | None = None
    credit: str | None = Field(None, max_length=300)
    licence: str | None = None
    position: Position | None = None


@router.patch("/{attraction_id}/media/{media_id}", summary="Update alt text, caption, credit, licence, position")
def update_media(request: Request, attraction_id: IdPath, media_id: IdPath, body: MediaUpdate, db: DbSession,
                 settings: SettingsDep, media: MediaDep, principal: OptionalPrincipal) -> dict:
    _managed(db, attraction_id, principal)
    asset = service.get(db, attraction_id, media_id)
    if asset is None:
        raise NotFound(f"attraction {attraction_id} has no media {media_id}")
    sent = body.model_dump(exclude_unset=True)
    lang = settings.default_language
    changes: dict[str, Any] = {}
    for name in ("alt", "caption"):
        if name in sent:
            changes[name] = service.texts(sent[name] or {}, field=name, default_language=lang)
    if "credit" in sent:
        changes["credit"] = (sent["credit"] or "").strip() or None
    if "licence" in sent:
        changes["licence"] = service.licence_uri(sent["licence"])
    if "position" in sent and sent["position"] is not None:
        changes["position"] = sent["position"]
    service.update_texts(asset, changes)
    db.flush()
    media.forget(asset.identifier)
    return render(asset, _base(request))


@router.delete("/{attraction_id}/media/{media_id}", status_code=204, summary="Delete a media asset")
def delete_media(attraction_id: IdPath, media_id: IdPath, db: DbSession, media: MediaDep,
                 principal: OptionalPrincipal) -> Response:
    """Its files go too, unless another asset has the same bytes."""
    _managed(db, attraction_id, principal)
    asset = service.get(db, attraction_id, media_id)
    if asset is None:
        raise NotFound(f"attraction {attraction_id} has no media {media_id}")
    service.delete(db, media, asset)
    return Response(status_code=204)


@router.get("/{attraction_id}/virtual-visit", summary="Virtual visit: a IIIF Presentation 3.0 Manifest",
            responses={304: {"description": "Not modified"}})
def virtual_visit(request: Request, attraction_id: IdPath, db: DbSession, settings: SettingsDep,
                  principal: OptionalPrincipal, accept_language: Annotated[str | None, Header()] = None) -> Response:
    """The attraction's ready images (with their IIIF image service), panoramas, audio and
    video, in the language that best matches Accept-Language."""
    att, _ = _visible(db, attraction_id, principal)
    assets = service.list_for(db, attraction_id, ready_only=True)
    base = _base(request)
    place = manifest.Place(att.id, att.name, att.description, att.lat, att.lon, att.provider.name,
                           att.provider.website or f"{base}/v1/providers/{att.provider.slug}", att.website)
    langs = languages(accept_language)
    doc = manifest.build(place, assets, base=base, langs=langs, default=settings.default_language)
    response = etag_json(request, doc, max_age=300, headers={
        **CORS, "Content-Language": next(iter(doc["label"]))})
    if response.status_code == 200:
        response.headers["Content-Type"] = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
    return response


# Files -----------------------------------------------------------------------------------
async def served(request: Request, identifier: str) -> Served:
    """A ready asset the caller may see: public when its attraction is published, otherwise
    only with the token of its venue or the board."""
    media: MediaRuntime = request.app.state.media
    found, asset = media.known(identifier)
    if not found:
        asset = await run_in_threadpool(media.lookup, identifier)
    if asset is None or asset.status != MediaStatus.ready.value or not asset.blob_sha256:
        raise NotFound(f"no media {identifier!r}", headers=CORS)
    if not asset.public:
        auth = request.headers.get("authorization", "")
        principal = None
        if auth.lower().startswith("bearer "):
            def who() -> Principal | None:
                with request.app.state.sessionmaker() as session:
                    return resolve(session, auth[7:].strip())
            principal = await run_in_threadpool(who)
        if principal is None or not principal.may_manage(asset.provider_id):
            raise NotFound(f"no media {identifier!r}", headers=CORS)
    return asset


def cache_headers(asset: Served, etag: str, max_age: int) -> dict[str, str]:
    scope = "public" if asset.public else "private"
    return {**CORS, "ETag": etag, "Cache-Control": f"{scope}, max-age={max_age}"}


def _file(request: Request, media: MediaRuntime, asset: Served, sha: str, media_type: str) -> Response:
    etag = f'"{sha[:32]}"'
    headers = cache_headers(asset, etag, media.config.max_age)
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    # Starlette's FileResponse answers Range requests: 206 with Content-Range, 416 when unsatisfiable.
    return FileResponse(media.storage.path(sha), media_type=media_type, headers=headers)


@files.get("/{identifier}/file", summary="The media file (images: the cleaned master); Range supported")
async def media_file(request: Request, identifier: str) -> Response:
    asset = await served(request, identifier)
    assert asset.blob_sha256
    return _file(request, request.app.state.media, asset, asset.blob_sha256, asset.media_type)


@files.get("/{identifier}/w{width}.{fmt}", summary="A responsive rendition (WebP or JPEG)")
async def rendition(request: Request, identifier: str, width: IdPath, fmt: str) -> Response:
    asset = await served(request, identifier)
    for w, _h, f, sha in asset.renditions:
        if w == width and f == fmt:
            return _file(request, request.app.state.media, asset, sha, "image/webp" if f == "webp" else "image/jpeg")
    raise NotFound(f"media {identifier!r} has no {width}-pixel {fmt} rendition; see its `urls.renditions`",
                   headers=CORS)
