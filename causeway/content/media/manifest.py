"""Virtual visits: an attraction's ready media as one IIIF Presentation 3.0 Manifest.

One Canvas per asset: images and panoramas painted with their IIIF Image service (a
panorama says so in its metadata: equirectangular), audio guides as Sound on a
Canvas with a duration, videos as Video. Texts are given in the one language that best
matches the caller's; the Manifest carries the attraction's place as ``navPlace`` (the
navPlace extension, whose context precedes the Presentation context).

The document is assembled as plain data and then parsed by ``iiif-prezi3``'s models, which
are generated from the Presentation 3 JSON Schema: what leaves here has been checked
against the specification's schema, and is serialised by the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from iiif_prezi3 import Manifest

from causeway.content.media.models import MediaAsset, MediaKind

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
NAVPLACE_CONTEXT = "http://iiif.io/api/extension/navplace/context.json"
_WORDS = {"credit": {"en": "Credit", "ga": "Creidiúint"}, "projection": {"en": "Projection", "ga": "Teilgean"},
          "audio": {"en": "Audio guide", "ga": "Treoir fuaime"}, "video": {"en": "Video", "ga": "Físeán"},
          "provided": {"en": "Provided by", "ga": "Curtha ar fáil ag"}}


@dataclass
class Place:
    """What the manifest needs of the attraction."""

    id: int
    name: dict[str, str]
    description: dict[str, str]
    lat: float
    lon: float
    provider_name: str
    provider_url: str
    website: str | None = None


def pick(texts: dict[str, str], langs: list[str], default: str) -> tuple[str, str] | None:
    for lang in [*langs, default]:
        if lang in texts:
            return lang, texts[lang]
    return next(iter(texts.items()), None)


def _lng(texts: dict[str, str], langs: list[str], default: str) -> dict[str, list[str]] | None:
    found = pick(texts, langs, default)
    return {found[0]: [found[1]]} if found else None


def _word(key: str, langs: list[str], default: str) -> dict[str, list[str]]:
    found = pick(_WORDS[key], langs, default)
    assert found is not None
    return {found[0]: [found[1]]}


def _canvas(asset: MediaAsset, base: str, manifest_id: str, langs: list[str], default: str) -> dict[str, Any]:
    kind = MediaKind(asset.kind)
    ident = quote(asset.identifier, safe="")
    canvas_id = f"{manifest_id}/canvas/{ident}"
    label = (_lng(asset.caption, langs, default) or _lng(asset.alt, langs, default)
             or _word("audio" if kind is MediaKind.audio else "video", langs, default))
    body: dict[str, Any]
    canvas: dict[str, Any] = {"id": canvas_id, "type": "Canvas", "label": label}
    if kind.is_image:
        service = f"{base}/iiif/3/{ident}"
        body = {"id": f"{service}/full/max/0/default.jpg", "type": "Image", "format": "image/jpeg",
                "width": asset.width, "height": asset.height,
                "service": [{"id": service, "type": "ImageService3", "profile": "level2"}]}
        alt = _lng(asset.alt, langs, default)
        if alt:
            body["label"] = alt
        canvas.update(width=asset.width, height=asset.height)
        small = [r for r in asset.renditions if r["format"] == "jpg"]
        if small:
            r = small[0]
            canvas["thumbnail"] = [{"id": f"{base}/media/{ident}/w{r['width']}.jpg", "type": "Image",
                                    "format": "image/jpeg", "width": r["width"], "height": r["height"]}]
        if kind is MediaKind.panorama:
            canvas["metadata"] = [{"label": _word("projection", langs, default),
                                   "value": {"none": ["equirectangular"]}}]
    else:
        body = {"id": f"{base}/media/{ident}/file", "type": "Sound" if kind is MediaKind.audio else "Video",
                "format": asset.media_type, "duration": asset.duration}
        canvas["duration"] = asset.duration
        if kind is MediaKind.video:
            body.update(width=asset.width, height=asset.height)
            canvas.update(width=asset.width, height=asset.height)
    caption = _lng(asset.caption, langs, default)
    if caption and asset.caption and asset.alt:
        canvas["summary"] = caption
    if asset.credit:
        canvas["requiredStatement"] = {"label": _word("credit", langs, default), "value": {"none": [asset.credit]}}
    if asset.licence:
        canvas["rights"] = asset.licence
    page_id = f"{canvas_id}/page"
    canvas["items"] = [{"id": page_id, "type": "AnnotationPage", "items": [
        {"id": f"{page_id}/painting", "type": "Annotation", "motivation": "painting",
         "body": body, "target": canvas_id}]}]
    return canvas


def build(place: Place, assets: list[MediaAsset], *, base: str, langs: list[str], default: str) -> dict[str, Any]:
    """The Manifest of ``place`` with ``assets`` (ready ones, in order) as a JSON-LD dict."""
    manifest_id = f"{base}/v1/attractions/{place.id}/virtual-visit"
    name = _lng(place.name, langs, default) or {"none": [str(place.id)]}
    doc: dict[str, Any] = {
        "@context": [NAVPLACE_CONTEXT, PRESENTATION_CONTEXT],
        "id": manifest_id, "type": "Manifest", "label": name,
        "requiredStatement": {"label": _word("provided", langs, default), "value": {"none": [place.provider_name]}},
        "provider": [{"id": place.provider_url, "type": "Agent", "label": {"none": [place.provider_name]}}],
        "navPlace": {"id": f"{manifest_id}/place", "type": "FeatureCollection", "features": [{
            "id": f"{manifest_id}/place/1", "type": "Feature", "properties": {"label": name},
            "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]}}]},
        "items": [_canvas(a, base, manifest_id, langs, default) for a in assets],
    }
    summary = _lng(place.description, langs, default)
    if summary:
        doc["summary"] = summary
    if place.website:
        doc["homepage"] = [{"id": place.website, "type": "Text", "label": name, "format": "text/html"}]
    licences = {a.licence for a in assets}
    if len(licences) == 1 and None not in licences:
        doc["rights"] = licences.pop()
    # Parse with the schema-generated models; serialise as the library does.
    return Manifest(**doc).jsonld_dict()
