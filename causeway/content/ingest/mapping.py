"""Column/property mappings for tabular feeds (CSV, GeoJSON properties).

A mapping is JSON::

    {
      "language": "en",
      "fields": {"external_id": "ref_no", "name": "site", "lat": "lat", "lon": "lon",
                 "description": "Grade {grade} historic park in {council}."},
      "constants": {"categories": ["garden", "history"]},
      "tags": ["[grade-{grade}]", "historic-register"],
      "title_case": ["name", "town"]
    }

A field's source is a column name, or a template with ``{column}`` placeholders; a part in
``[...]`` is dropped when one of its columns is empty. Columns
named ``name:xx`` / ``description:xx`` give other languages. A target ``extra.key`` keeps a
column the catalogue has no field for in the attraction's ``extra`` (e.g.
``"extra.popularity_tier": "tier"``). ``estimated`` names the fields whose values are the
provider's own estimates (``opening_hours; visit_minutes``): they are flagged as such in the
API, like category defaults. Without a mapping, columns that
already carry canonical names (or common aliases such as ``latitude``) are used.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causeway.content.ingest.base import FeedUnreadable, load_json

CANONICAL = (
    "external_id", "name", "description", "categories", "tags", "lat", "lon", "address", "town",
    "postcode", "website", "phone", "email", "image_url", "wikidata", "opening_hours", "visit_minutes",
    "price_band", "wheelchair", "estimated",
)
ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "ref", "ref_no", "identifier", "objectid", "code"),
    "name": ("title", "site", "site_name", "attraction"),
    "lat": ("latitude", "y"),
    "lon": ("lng", "long", "longitude", "x"),
    "website": ("url", "web", "homepage"),
    "image_url": ("image", "photo"),
    "categories": ("category", "type"),
    "opening_hours": ("hours", "openinghours"),
    "visit_minutes": ("duration", "duration_minutes"),
    "town": ("city", "locality"),
}
_LANG_FIELD = re.compile(r"^(name|description):([a-z]{2,3})$")
_EXTRA_FIELD = re.compile(r"^extra\.([a-z][a-z0-9_]{0,39})$")


@dataclass
class Mapping:
    fields: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    title_case: list[str] = field(default_factory=list)
    language: str = "en"

    @classmethod
    def load(cls, path: str | Path | None) -> Mapping | None:
        if path is None:
            return None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise FeedUnreadable(f"cannot read mapping file {path}: {exc.strerror}") from exc
        return cls.from_dict(load_json(text))

    @classmethod
    def from_dict(cls, doc: Any) -> Mapping:
        if not isinstance(doc, dict):
            raise FeedUnreadable("mapping must be a JSON object")
        unknown = set(doc) - {"fields", "constants", "tags", "title_case", "language", "$comment"}
        if unknown:
            raise FeedUnreadable(f"mapping has unknown keys: {', '.join(sorted(unknown))}")
        fields = doc.get("fields", {})
        for target in fields:
            if target not in CANONICAL and not _LANG_FIELD.match(target) and not _EXTRA_FIELD.match(target):
                raise FeedUnreadable(f"mapping field {target!r} is not one of: {', '.join(CANONICAL)}")
        return cls(fields=dict(fields), constants=dict(doc.get("constants", {})),
                   tags=list(doc.get("tags", [])), title_case=list(doc.get("title_case", [])),
                   language=str(doc.get("language", "en")))

    @classmethod
    def infer(cls, columns: list[str]) -> Mapping:
        """A mapping from the columns' own names (canonical names or common aliases)."""
        lower = {c.lower().strip(): c for c in columns}
        fields: dict[str, str] = {}
        for target in CANONICAL:
            for candidate in (target, *ALIASES.get(target, ())):
                if candidate in lower:
                    fields[target] = lower[candidate]
                    break
        for col in columns:
            if _LANG_FIELD.match(col.lower().strip()):
                fields[col.lower().strip()] = col
        return cls(fields=fields)

    def missing_columns(self, columns: list[str]) -> list[str]:
        """Columns this mapping names that the feed lacks."""
        have = set(columns)
        needed: set[str] = set()
        for source in self.fields.values():
            needed |= _columns_of(source)
        for template in self.tags:  # a tag without {column} is a literal
            if "{" in template:
                needed |= _columns_of(template)
        return sorted(needed - have)

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        """Canonical values (strings, not yet validated) for one record."""
        out: dict[str, Any] = {"name": {}, "description": {}}
        for target, source in self.fields.items():
            value = _render(source, record)
            if value in (None, ""):
                continue
            m = _LANG_FIELD.match(target)
            extra = _EXTRA_FIELD.match(target)
            if m:
                out[m.group(1)][m.group(2)] = value
            elif extra:
                out.setdefault("extra", {})[extra.group(1)] = value
            elif target in ("name", "description"):
                out[target][self.language] = value
            else:
                out[target] = value
        for target, value in self.constants.items():
            if target in ("name", "description") and isinstance(value, str):
                out[target].setdefault(self.language, value)
            else:
                out.setdefault(target, value)
        tags = [t for t in (_render(tpl, record) if "{" in tpl else tpl for tpl in self.tags) if t]
        if tags:
            existing = out.get("tags") or []
            out["tags"] = [*_as_list(existing), *tags]
        for target in self.title_case:
            if target in ("name", "description"):
                out[target] = {k: _title(v) for k, v in out[target].items()}
            elif isinstance(out.get(target), str):
                out[target] = _title(out[target])
        return out


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


def _columns_of(source: str) -> set[str]:
    if "{" not in source:
        return {source}
    return {name for _, name, _, _ in string.Formatter().parse(_OPTIONAL.sub(r"\1", source)) if name}


def _render(source: str, record: dict[str, Any]) -> str | None:
    if "{" not in source:
        value = record.get(source)
        return None if value is None else str(value).strip()
    values = {k: ("" if v is None or str(v).strip().lower() in ("none", "null") else str(v).strip())
              for k, v in record.items()}

    def optional(match: re.Match[str]) -> str:
        # "[ Monuments: {features_smr}.]" disappears when any of its columns is empty.
        inner = match.group(1)
        if any(not values.get(col) for col in _columns_of(inner) if "{" in inner):
            return ""
        return inner

    try:
        rendered = _OPTIONAL.sub(optional, source).format_map(values)
    except (KeyError, IndexError, ValueError):
        return None
    return rendered.strip() or None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p.strip() for p in re.split(r"[;,|]", str(value)) if p.strip()]


_SMALL = {"and", "of", "the", "in", "on", "at", "a", "an", "by", "for"}


def _title(text: str) -> str:
    """Title case for SHOUTED register names, keeping small words and Mc/O' names sensible."""
    words = re.split(r"(\s+)", text.lower())
    out = []
    for i, w in enumerate(words):
        if not w.strip():
            out.append(w)
            continue
        if i > 0 and w in _SMALL:
            out.append(w)
            continue
        t = "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
        t = re.sub(r"\b(Mc|O')([a-z])", lambda m: m.group(1) + m.group(2).upper(), t)
        t = re.sub(r"\(([a-z])", lambda m: "(" + m.group(1).upper(), t)
        out.append(t)
    return "".join(out)
