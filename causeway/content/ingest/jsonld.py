"""schema.org JSON-LD feeds: TouristAttraction and its relatives.

Accepts a single object, an array, or an ``@graph``. Nodes whose ``@type`` is not a place
we list are ignored when they carry no ``geo`` (a feed's Organization or WebSite node) and
rejected with a reason when they do.
"""

from __future__ import annotations

import re
from typing import Any

from causeway.content import taxonomy
from causeway.content.hours import InvalidOpeningHours, check, from_schema_org
from causeway.content.ingest.base import FeedUnreadable, RawRow, decode, load_json

_WIKIDATA_URL = re.compile(r"wikidata\.org/(?:wiki|entity)/(Q\d+)")


def read_jsonld(data: bytes, default_language: str = "en") -> list[RawRow]:
    doc = load_json(decode(data))
    nodes = _nodes(doc)
    if not nodes:
        raise FeedUnreadable("JSON-LD has no nodes")
    rows: list[RawRow] = []
    position = 0
    for node in nodes:
        types = _types(node)
        is_place = bool(types & taxonomy.SCHEMA_ATTRACTION_TYPES)
        if not is_place and "geo" not in node:
            continue
        position += 1
        row = _row(position, node, types, default_language)
        if not is_place:
            row.errors.append(("@type", f"{', '.join(sorted(types)) or 'no @type'} is not an attraction type"))
        rows.append(row)
    return rows


def _nodes(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        out: list[dict[str, Any]] = []
        for item in doc:
            out.extend(_nodes(item))
        return out
    if isinstance(doc, dict):
        if isinstance(doc.get("@graph"), list):
            return [n for n in doc["@graph"] if isinstance(n, dict)]
        if doc.get("@type") == "ItemList" and isinstance(doc.get("itemListElement"), list):
            items = [e.get("item", e) for e in doc["itemListElement"] if isinstance(e, dict)]
            return [i for i in items if isinstance(i, dict)]
        return [doc]
    raise FeedUnreadable("JSON-LD must be an object, an array or an @graph")


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", [])
    raw = raw if isinstance(raw, list) else [raw]
    return {str(t).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in raw}


def _texts(value: Any, lang: str) -> dict[str, str]:
    """A schema.org text value (string, language-tagged object or list) as language -> text."""
    out: dict[str, str] = {}
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.strip():
            out.setdefault(lang, item.strip())
        elif isinstance(item, dict) and item.get("@value"):
            out.setdefault(str(item.get("@language") or lang).split("-")[0].lower(), str(item["@value"]).strip())
    return out


def _first_url(value: Any) -> str | None:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.strip():
            return item.strip()
        if isinstance(item, dict):
            url = item.get("contentUrl") or item.get("url") or item.get("@id")
            if isinstance(url, str) and url.strip():
                return url.strip()
    return None


def _row(position: int, node: dict[str, Any], types: set[str], lang: str) -> RawRow:
    row = RawRow(position)
    v = row.values
    ident = node.get("identifier")
    if isinstance(ident, dict):
        ident = ident.get("value")
    ext = ident or node.get("@id") or node.get("url")
    if ext:
        v["external_id"] = str(ext)
    v["name"] = _texts(node.get("name"), lang)
    v["description"] = _texts(node.get("description"), lang)
    v["categories"] = taxonomy.merge_categories(*(taxonomy.SCHEMA_TYPES.get(t, []) for t in sorted(types)))
    tags = [t.lower() for t in sorted(types) if t not in ("TouristAttraction", "Place")]
    for key in ("touristType", "keywords"):
        val = node.get(key)
        items = val if isinstance(val, list) else re.split(r",\s*", val) if isinstance(val, str) else []
        tags += [str(i.get("name") if isinstance(i, dict) else i) for i in items if i]
    v["tags"] = tags

    geo = node.get("geo")
    if isinstance(geo, list):
        geo = geo[0] if geo else None
    if isinstance(geo, dict):
        v["lat"], v["lon"] = geo.get("latitude"), geo.get("longitude")
    address = node.get("address")
    if isinstance(address, dict):
        v["address"] = ", ".join(str(address[k]) for k in ("streetAddress", "addressLocality")
                                 if address.get(k))
        if address.get("addressLocality"):
            v["town"] = str(address["addressLocality"])
        if address.get("postalCode"):
            v["postcode"] = str(address["postalCode"])
    elif isinstance(address, str):
        v["address"] = address

    if node.get("openingHoursSpecification"):
        try:
            v["opening_hours"] = from_schema_org(node["openingHoursSpecification"])
        except InvalidOpeningHours as exc:
            row.errors.append(("openingHoursSpecification", str(exc)))
    elif node.get("openingHours"):
        oh = node["openingHours"]
        v["opening_hours"] = "; ".join(oh) if isinstance(oh, list) else str(oh)
        try:
            check(v["opening_hours"])
        except InvalidOpeningHours as exc:
            row.errors.append(("openingHours", str(exc)))
            v.pop("opening_hours")

    image = _first_url(node.get("image") or node.get("photo"))
    if image:
        v["image_url"] = image
    if isinstance(node.get("url"), str):
        v["website"] = node["url"]
    free = node.get("isAccessibleForFree")
    if free is True or str(free).lower() == "true":
        v["price_band"] = "free"
    for same in node.get("sameAs", []) if isinstance(node.get("sameAs"), list) else [node.get("sameAs")]:
        m = _WIKIDATA_URL.search(str(same or ""))
        if m:
            v["wikidata"] = m.group(1)
    for feature in node.get("amenityFeature", []) if isinstance(node.get("amenityFeature"), list) else []:
        if isinstance(feature, dict) and "wheelchair" in str(feature.get("name", "")).lower():
            v["wheelchair"] = "yes" if str(feature.get("value")).lower() in ("true", "yes") else "no"
    return row
