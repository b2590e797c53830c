"""What every feed adapter produces: raw rows in canonical field names, and typed errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from causeway import bounds


class FeedUnreadable(Exception):
    """The feed as a whole cannot be read (wrong encoding, not JSON, unknown format...)."""


@dataclass
class RowError:
    """Why one row of a feed was rejected: its 1-based position, the field and the reason."""

    position: int
    field: str
    reason: str
    external_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "external_id": self.external_id,
                "field": self.field, "reason": self.reason}


@dataclass
class RawRow:
    """One record of a feed in canonical field names, before validation.

    ``values`` keys: external_id, name (dict language -> text), description (dict),
    categories (list), tags (list), lat, lon, address, town, postcode, website, image_url,
    wikidata, opening_hours, visit_minutes, price_band, wheelchair, extra (dict).
    ``errors`` are problems the adapter already found (e.g. "not an attraction").
    """

    position: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


FORMATS = ("csv", "geojson", "jsonld", "osm")


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else a clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedUnreadable(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from exc


def load_json(text: str) -> Any:
    try:
        return bounds.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedUnreadable(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except bounds.TooDeep as exc:
        raise FeedUnreadable(f"not accepted: {exc}") from exc


def detect_format(data: bytes, filename: str | None = None) -> str:
    """Guess the feed format from its content (the file name only breaks ties)."""
    text = decode(data).lstrip()
    if not text:
        raise FeedUnreadable("the feed is empty")
    if text[0] in "[{":
        doc = load_json(text)
        probe = doc[0] if isinstance(doc, list) and doc else doc
        if isinstance(doc, dict) and "elements" in doc and isinstance(doc["elements"], list):
            return "osm"
        if isinstance(probe, dict) and ("@context" in probe or "@type" in probe or "@graph" in probe):
            return "jsonld"
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
            feats = doc.get("features") or []
            if any(_looks_osm(f) for f in feats[:50] if isinstance(f, dict)):
                return "osm"
            return "geojson"
        raise FeedUnreadable("JSON that is neither GeoJSON, schema.org JSON-LD nor Overpass JSON")
    if filename and filename.lower().endswith((".json", ".geojson", ".jsonld")):
        raise FeedUnreadable("the file name says JSON but the content is not")
    return "csv"


def _looks_osm(feature: dict[str, Any]) -> bool:
    props = feature.get("properties") or {}
    fid = str(feature.get("id") or props.get("@id") or props.get("id") or "")
    tagged = isinstance(props.get("tags"), dict) or any(k in props for k in ("tourism", "historic"))
    return fid.split("/")[0] in ("node", "way", "relation") or tagged
