"""CSV and GeoJSON feeds: records shaped by a column/property mapping."""

from __future__ import annotations

import csv
import io
from typing import Any

from causeway.content.ingest.base import FeedUnreadable, RawRow, decode, load_json
from causeway.content.ingest.mapping import Mapping


def read_csv(data: bytes, mapping: Mapping | None) -> list[RawRow]:
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if not columns:
        raise FeedUnreadable("CSV has no header row")
    mapping = mapping or Mapping.infer(columns)
    missing = mapping.missing_columns(columns)
    if missing:
        raise FeedUnreadable(f"CSV lacks the mapped column(s): {', '.join(missing)}")
    rows: list[RawRow] = []
    try:
        for position, record in enumerate(reader, start=1):
            clean = {(k or "").strip(): v for k, v in record.items()}
            row = RawRow(position=position, values=mapping.apply(clean))
            if None in record:  # csv puts surplus cells under the None key
                row.errors.append(("*", f"{len(record[None])} more cell(s) than the header has"))
            rows.append(row)
    except csv.Error as exc:
        raise FeedUnreadable(f"CSV is malformed near line {reader.line_num}: {exc}") from exc
    return rows


def point_of(geometry: Any) -> tuple[float, float] | None:
    """(lat, lon) of a GeoJSON geometry: the point, or the mean of a shape's vertices."""
    if not isinstance(geometry, dict):
        return None
    gtype, coords = geometry.get("type"), geometry.get("coordinates")
    if gtype == "Point" and isinstance(coords, list) and len(coords) >= 2:
        return float(coords[1]), float(coords[0])
    flat: list[tuple[float, float]] = []

    def walk(c: Any) -> None:
        if isinstance(c, list) and len(c) >= 2 and all(isinstance(v, (int, float)) for v in c[:2]):
            flat.append((float(c[1]), float(c[0])))
        elif isinstance(c, list):
            for item in c:
                walk(item)

    if gtype in ("LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"):
        walk(coords)
    if not flat:
        return None
    return sum(p[0] for p in flat) / len(flat), sum(p[1] for p in flat) / len(flat)


def features_of(data: bytes) -> list[Any]:
    doc = load_json(decode(data))
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise FeedUnreadable("GeoJSON must be a FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise FeedUnreadable("GeoJSON FeatureCollection has no features array")
    return feats


def read_geojson(data: bytes, mapping: Mapping | None) -> list[RawRow]:
    feats = features_of(data)
    columns = sorted({k for f in feats if isinstance(f, dict)
                      for k in (f.get("properties") or {})})
    mapping = mapping or Mapping.infer(columns)
    rows: list[RawRow] = []
    for position, feat in enumerate(feats, start=1):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            rows.append(RawRow(position, errors=[("*", "not a GeoJSON Feature")]))
            continue
        props = feat.get("properties") or {}
        values = mapping.apply(props)
        if "external_id" not in values and feat.get("id") is not None:
            values["external_id"] = str(feat["id"])
        row = RawRow(position, values)
        point = point_of(feat.get("geometry"))
        if point is None and ("lat" not in values or "lon" not in values):
            row.errors.append(("geometry", "no usable geometry (need a Point or a shape)"))
        elif point is not None:
            values.setdefault("lat", point[0])
            values.setdefault("lon", point[1])
        rows.append(row)
    return rows
