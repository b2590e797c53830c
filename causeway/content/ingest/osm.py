"""OpenStreetMap feeds: Overpass API JSON and OSM GeoJSON exports (osmtogeojson, Overpass Turbo)."""

from __future__ import annotations

import re
from typing import Any

from causeway.content import taxonomy
from causeway.content.ingest.base import FeedUnreadable, RawRow, decode, load_json
from causeway.content.ingest.tabular import point_of

_WIKIDATA = re.compile(r"^Q\d+$")


def read_osm(data: bytes, default_language: str = "en") -> list[RawRow]:
    doc = load_json(decode(data))
    if isinstance(doc, dict) and isinstance(doc.get("elements"), list):
        return _from_overpass(doc["elements"], default_language)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        return _from_geojson(doc.get("features") or [], default_language)
    raise FeedUnreadable("OSM feed must be Overpass JSON (elements) or a GeoJSON FeatureCollection")


def _from_overpass(elements: list[Any], lang: str) -> list[RawRow]:
    rows: list[RawRow] = []
    position = 0
    for el in elements:
        if not isinstance(el, dict) or not el.get("tags"):
            continue  # untagged nodes are the geometry of ways, not records
        position += 1
        ext = f"{el.get('type', 'node')}/{el.get('id')}"
        if "lat" in el and "lon" in el:
            point: tuple[float, float] | None = (el["lat"], el["lon"])
        elif isinstance(el.get("center"), dict):
            point = (el["center"].get("lat"), el["center"].get("lon"))
        elif isinstance(el.get("bounds"), dict):
            b = el["bounds"]
            point = ((b["minlat"] + b["maxlat"]) / 2, (b["minlon"] + b["maxlon"]) / 2)
        else:
            point = None
        rows.append(_row(position, ext, el["tags"], point, lang))
    return rows


def _from_geojson(features: list[Any], lang: str) -> list[RawRow]:
    rows: list[RawRow] = []
    for position, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            rows.append(RawRow(position, errors=[("*", "not a GeoJSON Feature")]))
            continue
        props = dict(feat.get("properties") or {})
        tags = props.pop("tags") if isinstance(props.get("tags"), dict) else props
        ext = str(feat.get("id") or props.get("@id") or props.get("id") or "")
        if ext and "/" not in ext and props.get("type") in ("node", "way", "relation"):
            ext = f"{props['type']}/{ext}"
        rows.append(_row(position, ext, tags, point_of(feat.get("geometry")), lang))
    return rows


def _row(position: int, ext: str, tags: dict[str, Any], point: Any, lang: str) -> RawRow:
    tags = {str(k): str(v) for k, v in tags.items() if v is not None and not str(k).startswith("@")}
    row = RawRow(position)
    v = row.values
    v["external_id"] = ext
    # The plain name first: it is the name in the destination's default language.
    names = {lang: tags["name"]} if tags.get("name") else {}
    for key, val in tags.items():
        if re.fullmatch(r"name:[a-z]{2,3}", key):
            names.setdefault(key.split(":", 1)[1], val)
    v["name"] = names
    descriptions = {lang: tags["description"]} if tags.get("description") else {}
    for key, val in tags.items():
        if re.fullmatch(r"description:[a-z]{2,3}", key):
            descriptions.setdefault(key.split(":", 1)[1], val)
    v["description"] = descriptions
    if point is not None:
        v["lat"], v["lon"] = point
    else:
        row.errors.append(("geometry", "no coordinates (for ways and relations ask Overpass for `out center`)"))

    tourism = tags.get("tourism")
    if tourism in taxonomy.OSM_TOURISM_NOT_ATTRACTIONS:
        row.errors.append(("tourism", f"tourism={tourism} is not an attraction"))
    cats: list[list[str]] = []
    if tourism:
        cats.append(taxonomy.OSM_TOURISM.get(tourism, []))
    if tags.get("historic"):
        cats.append(taxonomy.OSM_HISTORIC.get(tags["historic"], ["history"]))
    for (key, value), mapped in taxonomy.OSM_OTHER.items():
        if tags.get(key) == value:
            cats.append(mapped)
    v["categories"] = taxonomy.merge_categories(*cats)
    v["tags"] = [f"{k}={tags[k]}" for k in ("tourism", "historic", "leisure") if tags.get(k)]

    street = " ".join(p for p in (tags.get("addr:housenumber"), tags.get("addr:street")) if p)
    address = ", ".join(p for p in (street, tags.get("addr:city")) if p)
    if address:
        v["address"] = address
    for target, keys in {
        "town": ("addr:city",), "postcode": ("addr:postcode",),
        "website": ("website", "contact:website", "url"),
        "opening_hours": ("opening_hours",), "wheelchair": ("wheelchair",),
        "image_url": ("image",),
    }.items():
        for key in keys:
            if tags.get(key):
                v[target] = tags[key]
                break
    if tags.get("wikidata"):
        v["wikidata"] = tags["wikidata"]
    if tags.get("fee") == "no":
        v["price_band"] = "free"
    v["extra"] = {"osm_tags": tags}
    return row
