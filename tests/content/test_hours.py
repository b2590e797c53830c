"""Opening hours: validation, evaluation in the destination's time zone, schema.org conversion."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from causeway.content.hours import InvalidOpeningHours, Schedule, check, from_schema_org

LONDON = ZoneInfo("Europe/London")


def test_check_accepts_osm_syntax_and_explains_errors() -> None:
    assert check("  Mo-Fr 10:00-17:00; PH off ") == "Mo-Fr 10:00-17:00; PH off"
    with pytest.raises(InvalidOpeningHours, match="expected wday"):
        check("Mo-Fx 10:00-17:00")
    with pytest.raises(InvalidOpeningHours, match="empty"):
        check("   ")


def test_is_open_uses_destination_time_and_public_holidays() -> None:
    s = Schedule("Mo-Fr 10:00-17:00; PH off", timezone="Europe/London", country="GB")
    assert s.is_open(dt.datetime(2026, 11, 23, 10, 30))  # naive = local Monday morning
    assert not s.is_open(dt.datetime(2026, 11, 23, 9, 59))
    assert not s.is_open(dt.datetime(2026, 12, 25, 11, 0))  # Christmas Day is a public holiday
    # 09:30 UTC in July is 10:30 BST: open. In January 09:30 UTC is 09:30 GMT: closed.
    assert s.is_open(dt.datetime(2026, 7, 14, 9, 30, tzinfo=dt.UTC))
    assert not s.is_open(dt.datetime(2026, 1, 14, 9, 30, tzinfo=dt.UTC))


def test_windows_of_a_day() -> None:
    s = Schedule("Tu-Sa 10:00-13:00,14:00-17:00; Su 12:00-17:00")
    assert s.windows(dt.date(2026, 11, 23)) == []  # Monday: closed
    tuesday = s.windows(dt.date(2026, 11, 24))
    assert [(a.time(), b.time()) for a, b in tuesday] == [
        (dt.time(10), dt.time(13)), (dt.time(14), dt.time(17))]
    assert all(a.tzinfo is not None and a.utcoffset() == dt.timedelta(0) for a, _ in tuesday)


def test_sunrise_sunset_depends_on_place_and_season() -> None:
    belfast = Schedule("sunrise-sunset", lat=54.6, lon=-5.93)
    (june_open, june_close), = belfast.windows(dt.date(2026, 6, 21))
    (dec_open, dec_close), = belfast.windows(dt.date(2026, 12, 21))
    assert june_close - june_open > dt.timedelta(hours=17)
    assert dec_close - dec_open < dt.timedelta(hours=8)


def test_is_open_during() -> None:
    s = Schedule("Mo-Su 19:00-23:00")
    day = dt.date(2026, 11, 24)
    assert s.is_open_during(dt.datetime.combine(day, dt.time(18)), dt.datetime.combine(day, dt.time(20)))
    assert not s.is_open_during(dt.datetime.combine(day, dt.time(9)), dt.datetime.combine(day, dt.time(18)))


def test_schema_org_specification_to_osm() -> None:
    expr = from_schema_org([
        {"dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Friday"], "opens": "09:00", "closes": "17:00"},
        {"dayOfWeek": "https://schema.org/Sunday", "opens": "12:00:00", "closes": "16:00:00"},
        {"dayOfWeek": "Saturday", "opens": "00:00", "closes": "00:00"},
    ])
    assert expr == "Mo-We,Fr 09:00-17:00; Su 12:00-16:00; Sa off"
    s = Schedule(expr)
    assert s.is_open(dt.datetime(2026, 11, 27, 16, 59))  # Friday
    assert not s.is_open(dt.datetime(2026, 11, 26, 12, 0))  # Thursday
    assert not s.is_open(dt.datetime(2026, 11, 28, 12, 0))  # Saturday off


def test_schema_org_seasons_and_errors() -> None:
    expr = from_schema_org({"dayOfWeek": "Monday", "opens": "10:00", "closes": "16:00",
                            "validFrom": "2026-04-01", "validThrough": "2026-09-30"})
    assert expr == "Apr 01-Sep 30 Mo 10:00-16:00"
    with pytest.raises(InvalidOpeningHours, match="dayOfWeek"):
        from_schema_org({"dayOfWeek": "Caturday", "opens": "10:00", "closes": "16:00"})
    with pytest.raises(InvalidOpeningHours, match="opens"):
        from_schema_org({"dayOfWeek": "Monday", "opens": "ten", "closes": "16:00"})
