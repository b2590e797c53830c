"""Validation of raw rows into clean attraction records, with per-field reasons."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

from causeway.content import taxonomy
from causeway.content.hours import InvalidOpeningHours, check
from causeway.content.ingest.base import RawRow, RowError
from causeway.content.models import PriceBand, Wheelchair

_LANG = re.compile(r"^[a-z]{2,3}$")
_WIKIDATA = re.compile(r"^Q\d+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Fields a feed may mark as its own estimate (``estimated``), and how they are flagged.
ESTIMABLE = ("opening_hours", "visit_minutes", "price_band", "wheelchair")
PROVIDER_ESTIMATE = "estimate:provider"
_WHEELCHAIR = {"yes": "yes", "true": "yes", "designated": "yes", "limited": "limited",
               "partial": "limited", "no": "no", "false": "no", "unknown": "unknown"}


@dataclass
class AttractionIn:
    """A validated record of one attraction as a provider describes it."""

    external_id: str
    name: dict[str, str]
    lat: float
    lon: float
    description: dict[str, str] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    address: str | None = None
    town: str | None = None
    postcode: str | None = None
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    image_url: str | None = None
    wikidata: str | None = None
    opening_hours: str | None = None
    visit_minutes: int | None = None
    price_band: str = PriceBand.unknown.value
    wheelchair: str = Wheelchair.unknown.value
    extra: dict[str, Any] = field(default_factory=dict)
    defaults_applied: dict[str, str] = field(default_factory=dict)

    def content_hash(self) -> str:
        """A stable digest of everything the provider said, to tell 'unchanged' from 'updated'."""
        fields = asdict(self)
        for later in ("phone", "email"):  # added later: absent ones keep earlier records' digests
            if fields[later] is None:
                del fields[later]
        doc = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(doc.encode()).hexdigest()


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in re.split(r"[;,|]", str(value)) if p.strip()]


def _float(value: Any) -> float:
    number = float(str(value).strip())
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _url(value: Any) -> str:
    text = str(value).strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


def validate_row(row: RawRow, *, apply_defaults: bool = True) -> tuple[AttractionIn | None, list[RowError]]:
    """Validate one raw row; returns the clean record, or None and every reason it failed."""
    v = row.values
    ext_raw = v.get("external_id")
    ext = str(ext_raw).strip() if ext_raw not in (None, "") else None
    errors = [RowError(row.position, f, r, ext) for f, r in row.errors]

    def fail(field_name: str, reason: str) -> None:
        errors.append(RowError(row.position, field_name, reason, ext))

    if not ext:
        fail("external_id", "missing: every row needs a stable identifier")
    elif len(ext) > 200:
        fail("external_id", "longer than 200 characters")

    names = {str(k).lower(): str(t).strip() for k, t in (v.get("name") or {}).items() if str(t).strip()}
    if not names:
        fail("name", "missing")
    for lang in names:
        if not _LANG.match(lang):
            fail("name", f"language code {lang!r} is not ISO 639")
    descriptions = {str(k).lower(): str(t).strip() for k, t in (v.get("description") or {}).items()
                    if str(t).strip()}

    lat = lon = 0.0
    try:
        lat = _float(v.get("lat"))
        if not -90 <= lat <= 90:
            fail("lat", f"{lat} is outside -90..90")
    except (TypeError, ValueError):
        if not any(e.field == "geometry" for e in errors):
            fail("lat", "missing" if v.get("lat") in (None, "") else f"{v.get('lat')!r} is not a number")
    try:
        lon = _float(v.get("lon"))
        if not -180 <= lon <= 180:
            fail("lon", f"{lon} is outside -180..180")
    except (TypeError, ValueError):
        if not any(e.field == "geometry" for e in errors):
            fail("lon", "missing" if v.get("lon") in (None, "") else f"{v.get('lon')!r} is not a number")
    if lat == 0.0 and lon == 0.0 and not any(e.field in ("lat", "lon", "geometry") for e in errors):
        fail("lat", "0,0 is not a real location (Null Island)")

    categories: list[str] = []
    for cat in _list(v.get("categories")):
        slug = cat.lower().strip()
        if slug in taxonomy.CATEGORIES:
            categories.append(slug)
        else:
            fail("categories", f"{cat!r} is not in the taxonomy ({', '.join(taxonomy.CATEGORIES)})")
    tags = sorted({t.lower()[:60] for t in _list(v.get("tags"))})

    website = image_url = None
    if v.get("website"):
        try:
            website = _url(v["website"])
        except ValueError as exc:
            fail("website", str(exc))
    if v.get("image_url"):
        try:
            image_url = _url(v["image_url"])
        except ValueError as exc:
            fail("image_url", str(exc))
    phone = _opt(v.get("phone"))
    if phone and not _PHONE.match(phone):
        fail("phone", f"{phone!r} is not a telephone number (digits, spaces, + ( ) - . /)")
    email = _opt(v.get("email"))
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        fail("email", f"{email!r} is not an e-mail address")
    wikidata = None
    if v.get("wikidata"):
        wikidata = str(v["wikidata"]).strip()
        if not _WIKIDATA.match(wikidata):
            fail("wikidata", f"{wikidata!r} is not a Wikidata id like Q12345")

    opening_hours = None
    if v.get("opening_hours"):
        try:
            opening_hours = check(str(v["opening_hours"]))
        except InvalidOpeningHours as exc:
            fail("opening_hours", str(exc))

    visit_minutes = None
    if v.get("visit_minutes") not in (None, ""):
        try:
            visit_minutes = int(float(str(v["visit_minutes"])))
            if not 5 <= visit_minutes <= 24 * 60:
                fail("visit_minutes", f"{visit_minutes} is outside 5..1440 minutes")
        except ValueError:
            fail("visit_minutes", f"{v['visit_minutes']!r} is not a number of minutes")

    price_band = str(v.get("price_band") or "unknown").strip().lower()
    if price_band not in PriceBand.__members__:
        fail("price_band", f"{price_band!r} is not one of {', '.join(PriceBand.__members__)}")
    wheelchair_raw = str(v.get("wheelchair") or "unknown").strip().lower()
    wheelchair = _WHEELCHAIR.get(wheelchair_raw)
    if wheelchair is None:
        fail("wheelchair", f"{wheelchair_raw!r} is not yes, limited, no or unknown")

    estimated: list[str] = []
    for name in _list(v.get("estimated")):
        slug = name.lower().strip()
        if slug not in ESTIMABLE:
            fail("estimated", f"{name!r} cannot be marked as an estimate (one of {', '.join(ESTIMABLE)})")
        elif v.get(slug) in (None, "", []):
            fail("estimated", f"{slug} is marked as an estimate but the row gives no {slug}")
        elif slug not in estimated:
            estimated.append(slug)

    if errors:
        return None, errors

    record = AttractionIn(
        external_id=ext or "", name=names, lat=lat, lon=lon, description=descriptions,
        categories=categories, tags=tags, address=_opt(v.get("address")), town=_opt(v.get("town")),
        postcode=_opt(v.get("postcode")), website=website, phone=phone, email=email, image_url=image_url,
        wikidata=wikidata,
        opening_hours=opening_hours, visit_minutes=visit_minutes, price_band=price_band,
        wheelchair=wheelchair or "unknown", extra=dict(v.get("extra") or {}),
    )
    if apply_defaults:
        fill_defaults(record)
    for slug in estimated:  # the provider's own estimate: flagged like a category default
        record.defaults_applied[slug] = PROVIDER_ESTIMATE
    return record, []


def _opt(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def fill_defaults(record: AttractionIn) -> None:
    """Categories from keywords, visit length and opening hours from category defaults."""
    if not record.categories:
        record.categories = taxonomy.infer_categories(
            *record.name.values(), *record.description.values(), " ".join(record.tags))
        if record.categories:
            record.defaults_applied["categories"] = "keywords"
    if record.visit_minutes is None:
        record.visit_minutes, origin = taxonomy.default_visit_minutes(record.categories)
        record.defaults_applied["visit_minutes"] = f"default:{origin}"
    if record.opening_hours is None:
        record.opening_hours, origin = taxonomy.default_opening_hours(record.categories)
        record.defaults_applied["opening_hours"] = f"default:{origin}"
