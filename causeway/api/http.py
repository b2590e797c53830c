"""HTTP helpers: query-parameter parsers, Accept-Language negotiation, ETags, cursors."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder

from causeway.api.errors import Unprocessable
from causeway.content.taxonomy import CATEGORIES


def csv_list(values: list[str] | None) -> list[str]:
    """A repeatable query parameter whose values may also be comma-separated."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def one_of(known: Iterable[str], what: str) -> Callable[[list[str] | None], list[str]]:
    """A validator for a comma-separated query list whose items must be among ``known``."""
    allowed = tuple(known)

    def check(values: list[str] | None) -> list[str]:
        items = csv_list(values)
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise ValueError(f"unknown {what} {unknown}; known: {', '.join(allowed)}")
        return items

    return check


#: ``category=castle,museum``: taxonomy slugs.
categories = one_of(CATEGORIES, "categories")


def lat_lon(value: str | None) -> tuple[float, float] | None:
    """``near=54.597,-5.930``: a point in decimal degrees."""
    if value is None:
        return None
    try:
        lat, lon = (float(p) for p in value.split(","))
    except ValueError as exc:
        raise ValueError("must be 'lat,lon' in decimal degrees, e.g. 54.597,-5.930") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within -90..90 and longitude within -180..180")
    return lat, lon


def languages(header: str | None) -> list[str]:
    """Accept-Language as primary language tags, most preferred first (q=0 dropped)."""
    if not header:
        return []
    prefs: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            prefs.append((-q, i, tag.split("-")[0]))
    out: list[str] = []
    for _, _, tag in sorted(prefs):
        if tag not in out:
            out.append(tag)
    return out


def pick(texts: dict[str, str], wanted: list[str], default: str) -> tuple[str | None, str | None]:
    """(language, text) best matching ``wanted``, then ``default``, then any language."""
    for lang in [*wanted, default]:
        if lang in texts:
            return lang, texts[lang]
    for lang, text in texts.items():
        return lang, text
    return None, None


def not_modified(request: Request, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` or is ``*``: the weak comparison (RFC 9110 13.1.2),
    W/ prefixes do not matter. The one parser: catalogue JSON, media, IIIF and the app's files."""
    inm = request.headers.get("if-none-match")
    if not inm:
        return False
    offered = [t.strip().removeprefix("W/") for t in inm.split(",")]
    return "*" in offered or etag in offered


def etag_json(request: Request, payload: Any, *, max_age: int = 60,
              headers: dict[str, str] | None = None) -> Response:
    """JSON with a strong ETag; 304 when If-None-Match already has it."""
    body = json.dumps(jsonable_encoder(payload), ensure_ascii=False, separators=(",", ":")).encode()
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common = {"ETag": tag, "Cache-Control": f"public, max-age={max_age}",
              "Vary": "Accept-Language", **(headers or {})}
    if not_modified(request, tag):
        return Response(status_code=304, headers=common)
    return Response(body, media_type="application/json", headers=common)


def encode_cursor(key: tuple[float, int], fingerprint: str) -> str:
    raw = json.dumps({"k": key[0], "id": key[1], "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> tuple[float, int]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = (float(doc["k"]), int(doc["id"]))
        same = doc["f"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise Unprocessable("cursor is not one this API issued",
                            errors=[{"field": "query.cursor", "message": "malformed cursor"}]) from exc
    if not same:
        raise Unprocessable("cursor belongs to a different query; start again without it",
                            errors=[{"field": "query.cursor", "message": "filters changed"}])
    return key
