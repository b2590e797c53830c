"""Feed adapters and validation: every format read into canonical rows, every error precise."""

from __future__ import annotations

import json

import pytest

from causeway.content.ingest.base import FeedUnreadable, detect_format
from causeway.content.ingest.mapping import Mapping
from causeway.content.ingest.service import parse_feed
from causeway.content.ingest.validate import validate_row
from tests.conftest import DATA


def rows_and_errors(data: bytes, **kw):  # type: ignore[no-untyped-def]
    fmt, rows = parse_feed(data, **kw)
    out = [validate_row(r) for r in rows]
    return fmt, [rec for rec, _ in out], [e for _, errs in out for e in errs]


def test_detect_format() -> None:
    assert detect_format((DATA / "belfast-attractions.jsonld").read_bytes()) == "jsonld"
    assert detect_format((DATA / "belfast-overpass.json").read_bytes()) == "osm"
    assert detect_format(b'{"type":"FeatureCollection","features":[]}') == "geojson"
    osm_geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "node/1", "properties": {"tourism": "museum"}, "geometry": None}]}
    assert detect_format(json.dumps(osm_geojson).encode()) == "osm"
    assert detect_format(b"id,name,lat,lon\n1,A,54,-6\n") == "csv"
    for bad, reason in [(b"", "empty"), (b"{not json", "not valid JSON"), (b"\xff\xfe\x00", "not UTF-8"),
                        (b'{"hello": 1}', "neither")]:
        with pytest.raises(FeedUnreadable, match=reason):
            detect_format(bad)


def test_csv_with_inferred_columns_and_per_row_errors() -> None:
    data = (b"id,name,latitude,longitude,category,opening_hours,wheelchair,visit_minutes\n"
            b"a1,Ulster Museum,54.5822,-5.9352,museum,Tu-Su 10:00-17:00,yes,90\n"
            b"a2,,54.6,-5.9,museum,,,\n"
            b"a3,Somewhere,95,-5.9,spaceport,Mo-Fx,maybe,ten\n")
    fmt, records, errors = rows_and_errors(data)
    assert fmt == "csv"
    ok = records[0]
    assert ok is not None and ok.name == {"en": "Ulster Museum"} and ok.categories == ["museum"]
    assert ok.visit_minutes == 90 and ok.wheelchair == "yes" and ok.defaults_applied == {}
    assert records[1] is None and records[2] is None
    by_row = {(e.position, e.field) for e in errors}
    assert (2, "name") in by_row
    assert {(3, "lat"), (3, "categories"), (3, "opening_hours"), (3, "wheelchair"),
            (3, "visit_minutes")} <= by_row
    lat_error = next(e for e in errors if (e.position, e.field) == (3, "lat"))
    assert "outside -90..90" in lat_error.reason and lat_error.external_id == "a3"


def test_csv_mapping_templates_title_case_and_missing_columns() -> None:
    mapping = Mapping.from_dict({
        "fields": {"external_id": "ref", "name": "site", "lat": "y", "lon": "x",
                   "description": "In {council}.[ Grade {grade}.]"},
        "constants": {"categories": ["garden"]},
        "tags": ["[grade-{grade}]", "register"], "title_case": ["name"]})
    data = b"ref,site,y,x,council,grade\nR1,MOUNT STEWART,54.55,-5.6,ARDS,A\nR2,THE MALL (ARMAGH),54.35,-6.65,ARMAGH,\n"
    _, records, errors = rows_and_errors(data, mapping=mapping)
    assert errors == []
    first, second = records
    assert first.name == {"en": "Mount Stewart"} and first.description == {"en": "In ARDS. Grade A."}
    assert first.tags == ["grade-a", "register"] and first.categories == ["garden"]
    assert second.name == {"en": "The Mall (Armagh)"} and second.description == {"en": "In ARMAGH."}
    assert second.tags == ["register"]
    with pytest.raises(FeedUnreadable, match="lacks the mapped column"):
        parse_feed(b"ref,name\n1,x\n", mapping=mapping)
    with pytest.raises(FeedUnreadable, match="not one of"):
        Mapping.from_dict({"fields": {"colour": "c"}})


def test_geojson_points_and_polygons() -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "p1", "name": "Point place"},
         "geometry": {"type": "Point", "coordinates": [-5.93, 54.6]}},
        {"type": "Feature", "properties": {"id": "p2", "name": "Square park"},
         "geometry": {"type": "Polygon", "coordinates": [[[-6, 54], [-6, 55], [-5, 55], [-5, 54], [-6, 54]]]}},
        {"type": "Feature", "properties": {"id": "p3", "name": "Nowhere"}, "geometry": None},
    ]}
    _, records, errors = rows_and_errors(json.dumps(doc).encode())
    assert (records[0].lat, records[0].lon) == (54.6, -5.93)
    assert records[1].lat == pytest.approx(54.4) and records[1].lon == pytest.approx(-5.6)
    assert [(e.position, e.field) for e in errors] == [(3, "geometry")]


def test_jsonld_graph_types_languages_hours_and_broken_rows() -> None:
    fmt, records, errors = rows_and_errors((DATA / "belfast-attractions.jsonld").read_bytes())
    assert fmt == "jsonld"
    assert len(records) == 8  # the Organization node is not a row
    titanic = records[0]
    assert titanic.external_id == "vb-001"
    assert titanic.name == {"en": "Titanic Belfast", "ga": "Titanic Bhéal Feirste"}
    assert titanic.categories == ["museum", "history"]
    assert titanic.opening_hours == "Mo-Su 09:00-18:00"
    assert titanic.image_url == "https://images.example/titanic.jpg"
    assert titanic.wikidata == "Q2280017" and titanic.town == "Belfast" and titanic.postcode == "BT3 9EP"
    assert "families" in titanic.tags
    castle = records[1]
    assert castle.opening_hours == "Mo-Sa 09:00-22:00; Su 09:00-17:30" and castle.price_band == "free"
    assert records[2].price_band == "free"  # "True" as a string
    assert records[3].opening_hours == "Tu-Su 10:00-17:00; Mo off"
    assert records[4] is None and records[5] is None and records[6] is None and records[7] is None
    reasons = {(e.position, e.field): e.reason for e in errors}
    assert reasons[(5, "lat")] == "'not-a-number' is not a number"
    assert reasons[(6, "openingHours")].startswith("'Fr-Su 8am to 2pm' is not valid opening_hours syntax")
    assert reasons[(7, "name")] == "missing"
    assert reasons[(8, "@type")] == "Hotel is not an attraction type"


def test_jsonld_single_object_and_array() -> None:
    one = {"@context": "https://schema.org", "@type": "Museum", "@id": "urn:x:1", "name": "M",
           "geo": {"latitude": 54.1, "longitude": -6.1}}
    _, records, errors = rows_and_errors(json.dumps(one).encode())
    assert errors == [] and records[0].external_id == "urn:x:1"
    _, records, _ = rows_and_errors(json.dumps([one, {**one, "@id": "urn:x:2"}]).encode())
    assert [r.external_id for r in records] == ["urn:x:1", "urn:x:2"]


def test_overpass_json() -> None:
    fmt, records, errors = rows_and_errors((DATA / "belfast-overpass.json").read_bytes())
    assert fmt == "osm"
    assert len(records) == 7  # the untagged node is geometry, not a row
    titanic, castle, gaol = records[0], records[1], records[2]
    assert titanic.external_id == "node/1001"
    assert titanic.name == {"en": "Titanic Belfast", "ga": "Titanic Bhéal Feirste"}
    assert list(titanic.name) == ["en", "ga"]  # the plain name is the default language's, and leads
    assert titanic.wheelchair == "yes" and titanic.wikidata == "Q2280017"
    assert castle.external_id == "way/2002" and castle.categories[:2] == ["castle", "history"]
    assert castle.price_band == "free" and castle.lat == 54.6459
    assert gaol.address == "53-55 Crumlin Road, Belfast" and gaol.postcode == "BT14 6ST"
    assert gaol.wheelchair == "limited"
    assert records[6].categories == ["public-art"] and records[6].name["ga"] == "An tIasc Mór"  # tourism=artwork
    reasons = {(e.position, e.field): e.reason for e in errors}
    assert reasons[(4, "tourism")] == "tourism=hotel is not an attraction"
    assert "out center" in reasons[(5, "geometry")]
    assert "'sometimes'" in reasons[(6, "wheelchair")]


def test_osm_geojson_export() -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "node/42", "properties": {"tourism": "viewpoint", "name": "Scrabo Tower view"},
         "geometry": {"type": "Point", "coordinates": [-5.72, 54.58]}},
        {"type": "Feature", "properties": {"@id": "way/7", "historic": "ruins", "name": "Grey Abbey"},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[-5.56, 54.53], [-5.55, 54.53], [-5.55, 54.54], [-5.56, 54.53]]]}},
    ]}
    _, records, errors = rows_and_errors(json.dumps(doc).encode(), fmt="osm")
    assert errors == []
    assert records[0].external_id == "node/42" and records[0].categories == ["viewpoint", "nature"]
    assert records[1].external_id == "way/7" and "history" in records[1].categories


def test_defaults_fill_categories_duration_and_hours() -> None:
    _, records, _ = rows_and_errors(b"id,name,lat,lon\n1,Dunluce Castle,55.21,-6.58\n2,Nameless spot,55.2,-6.5\n")
    castle, other = records
    assert castle.categories == ["castle", "history"] and castle.visit_minutes == 90
    assert castle.defaults_applied == {"categories": "keywords", "visit_minutes": "default:castle",
                                       "opening_hours": "default:castle"}
    assert other.categories == [] and other.defaults_applied["visit_minutes"] == "default:fallback"
