"""Opening hours in OpenStreetMap ``opening_hours`` syntax: validate, evaluate, convert.

Parsing and evaluation are done by ``opening-hours-py`` (a maintained implementation of the
OSM specification, public holidays included); this module adds the destination's time zone,
a typed error, and conversion from schema.org ``openingHoursSpecification``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours, ParserError  # type: ignore[attr-defined]  # not in its stubs


class InvalidOpeningHours(ValueError):
    """The expression is not valid OSM opening_hours syntax."""


def _first_line(message: str) -> str:
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    expected = [ln for ln in lines if ln.startswith("= ")]
    return expected[0][2:] if expected else (lines[0] if lines else "invalid syntax")


def check(expression: str) -> str:
    """Return the expression stripped, or raise :class:`InvalidOpeningHours` saying why."""
    expr = expression.strip()
    if not expr:
        raise InvalidOpeningHours("opening hours are empty")
    try:
        OpeningHours(expr)
    except (ParserError, SyntaxError, ValueError) as exc:
        raise InvalidOpeningHours(
            f"{expr!r} is not valid opening_hours syntax ({_first_line(str(exc))})") from exc
    return expr


@dataclass(frozen=True)
class Schedule:
    """An opening-hours expression bound to a place: its time zone, country and location."""

    expression: str
    timezone: str = "Europe/London"
    country: str | None = "GB"
    lat: float | None = None
    lon: float | None = None

    def _parsed(self) -> OpeningHours:
        coords = (self.lat, self.lon) if self.lat is not None and self.lon is not None else None
        return OpeningHours(self.expression, timezone=ZoneInfo(self.timezone), country=self.country,
                            coords=coords)

    def _local(self, when: dt.datetime) -> dt.datetime:
        tz = ZoneInfo(self.timezone)
        return when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)

    def is_open(self, when: dt.datetime) -> bool:
        """Open at ``when`` (naive times are read in the destination's time zone)."""
        return bool(self._parsed().is_open(self._local(when)))

    def windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open intervals on local calendar day ``day``, as aware datetimes, in order."""
        tz = ZoneInfo(self.timezone)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        end = start + dt.timedelta(days=1)
        out: list[tuple[dt.datetime, dt.datetime]] = []
        for a, b, state, _comment in self._parsed().intervals(start, end):
            if str(state).lower().endswith("open"):
                a, b = max(a, start), min(b, end)
                if b > a:
                    out.append((a, b))
        return out

    def is_open_during(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Open at some moment in [start, end)."""
        a, b = self._local(start), self._local(end)
        for a_i, b_i, state, _ in self._parsed().intervals(a, b):
            if str(state).lower().endswith("open") and b_i > a_i:
                return True
        return False


_SCHEMA_DAYS = {
    "monday": "Mo", "tuesday": "Tu", "wednesday": "We", "thursday": "Th",
    "friday": "Fr", "saturday": "Sa", "sunday": "Su", "publicholidays": "PH",
}
_DAY_ORDER = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


def _schema_day(value: str) -> str:
    key = value.rsplit("/", 1)[-1].strip().lower()
    if key not in _SCHEMA_DAYS:
        raise InvalidOpeningHours(f"unknown dayOfWeek {value!r}")
    return _SCHEMA_DAYS[key]


def _hhmm(value: Any, field: str) -> str:
    text = str(value or "").strip()
    parts = text.split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise InvalidOpeningHours(f"{field} {text!r} is not a time like 09:30")
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        raise InvalidOpeningHours(f"{field} {text!r} is out of range")
    return f"{hour:02d}:{minute:02d}"


def _day_ranges(days: list[str]) -> str:
    """Compress ["Mo","Tu","We","Fr"] to "Mo-We,Fr" (PH kept at the end)."""
    ph = "PH" in days
    idx = sorted({_DAY_ORDER.index(d) for d in days if d != "PH"})
    parts: list[str] = []
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        parts.append(_DAY_ORDER[idx[i]] if i == j else f"{_DAY_ORDER[idx[i]]}-{_DAY_ORDER[idx[j]]}")
        i = j + 1
    if ph:
        parts.append("PH")
    return ",".join(parts)


def from_schema_org(specs: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """Convert schema.org ``openingHoursSpecification`` entries to one OSM expression.

    Entries with ``validFrom``/``validThrough`` are seasonal; only the year-round ones are
    kept when both kinds exist, since a year-less season would need a month range we can
    derive only when the dates say so (they are turned into ``Mmm dd-Mmm dd`` selectors).
    """
    if isinstance(specs, Mapping):
        specs = [specs]
    rules: dict[tuple[str, str], list[str]] = {}
    closed: list[tuple[str, str]] = []
    for spec in specs:
        days_raw = spec.get("dayOfWeek")
        if days_raw is None:
            raise InvalidOpeningHours("openingHoursSpecification without dayOfWeek")
        days = [_schema_day(d) for d in (days_raw if isinstance(days_raw, list) else [days_raw])]
        season = ""
        if spec.get("validFrom") and spec.get("validThrough"):
            season = _season(str(spec["validFrom"]), str(spec["validThrough"]))
        opens, closes = spec.get("opens"), spec.get("closes")
        if opens in (None, "") and closes in (None, ""):
            closed.append((season, _day_ranges(days)))
            continue
        o, c = _hhmm(opens, "opens"), _hhmm(closes, "closes")
        if o == c == "00:00":  # schema.org's convention for "closed all day"
            closed.append((season, _day_ranges(days)))
            continue
        if c == "23:59":
            c = "24:00"
        rules.setdefault((season, f"{o}-{c}"), []).extend(days)
    parts = [
        f"{season + ' ' if season else ''}{_day_ranges(days)} {hours}"
        for (season, hours), days in rules.items()
    ]
    parts += [f"{season + ' ' if season else ''}{days} off" for season, days in closed]
    if not parts:
        raise InvalidOpeningHours("openingHoursSpecification is empty")
    return check("; ".join(parts))


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _season(valid_from: str, valid_through: str) -> str:
    try:
        a = dt.date.fromisoformat(valid_from[:10])
        b = dt.date.fromisoformat(valid_through[:10])
    except ValueError as exc:
        raise InvalidOpeningHours(f"validFrom/validThrough not ISO dates: {exc}") from exc
    return f"{_MONTHS[a.month - 1]} {a.day:02d}-{_MONTHS[b.month - 1]} {b.day:02d}"


_WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


def _window_text(windows: list[tuple[dt.datetime, dt.datetime]]) -> str:
    def hm(t: dt.datetime, end: bool) -> str:
        return "24:00" if end and t.hour == 0 and t.minute == 0 else t.strftime("%H:%M")

    return ", ".join(f"{hm(a, False)}-{hm(b, True)}" for a, b in windows) or "closed"


def _week_text(schedule: Schedule, monday: dt.date) -> str:
    """One week as "Mo-Fr 10:00-17:00; Sa,Su closed" (days with the same hours grouped)."""
    by_text: dict[str, list[str]] = {}
    for i, day in enumerate(_WEEKDAYS):
        by_text.setdefault(_window_text(schedule.windows(monday + dt.timedelta(days=i))), []).append(day)
    return "; ".join(f"{_day_ranges(days)} {text}" for text, days in by_text.items())


def preview(expression: str, *, start: dt.date, timezone: str = "Europe/London",
            country: str | None = "GB") -> dict[str, Any]:
    """A readable account of an expression: the next seven days, and a typical week of each
    of the next twelve months grouped into seasons. Raises :class:`InvalidOpeningHours`."""
    expr = check(expression)
    parsed = OpeningHours(expr)
    here = Schedule(expr, timezone, country)
    days = []
    for i in range(7):
        day = start + dt.timedelta(days=i)
        days.append({"date": day.isoformat(), "weekday": _WEEKDAYS[day.weekday()],
                     "hours": _window_text(here.windows(day))})
    # Seasons: the second week of each month, without public holidays, so the rule shows.
    plain = Schedule(expr, timezone, None)
    seasons: list[dict[str, Any]] = []
    month = start.replace(day=1)
    for _ in range(12):
        monday = month + dt.timedelta(days=7 + (7 - month.weekday()) % 7)
        text = _week_text(plain, monday)
        label = _MONTHS[month.month - 1]
        if seasons and seasons[-1]["week"] == text:
            seasons[-1]["months"].append(label)
        else:
            seasons.append({"months": [label], "week": text})
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for s in seasons:
        s["label"] = ("all year" if len(s["months"]) == 12 else s["months"][0] if len(s["months"]) == 1
                      else f"{s['months'][0]}-{s['months'][-1]}")
    return {"opening_hours": expr, "normalized": str(parsed.normalize()), "warnings": [str(w) for w in parsed.warnings],
            "days": days, "seasons": seasons}
