"""Office working time (daemon.core.worktime)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from daemon.core.worktime import (
    DEFAULT_HOURS,
    Duration,
    WorkCalendar,
    load_extra_days,
    parse_duration,
)

WIB = ZoneInfo("Asia/Jakarta")


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar("Asia/Jakarta")


# --------------------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    "text, minutes, days",
    [
        ("10 menit", 10, 0),
        ("30 Menit", 30, 0),
        ("2 jam", 120, 0),
        ("1,5 jam", 90, 0),
        ("1.5 jam", 90, 0),
        ("6 jam", 360, 0),
        ("3 hari", 0, 3),
        ("1 hari kerja", 0, 1),
        ("1 Hari", 0, 1),
        ("  2   HARI  ", 0, 2),
        ("1 jam 30 menit", 90, 0),
        ("1,5 hari", 240, 1),
        ("0 hari", 0, 0),
    ],
)
def test_parse_duration(text, minutes, days):
    assert parse_duration(text) == Duration(minutes=minutes, days=days)


@pytest.mark.parametrize("text", ["", "abc", "3", "3 minggu", "jam 3", "2 jam lagi", "-1 jam"])
def test_parse_duration_errors(text):
    with pytest.raises(ValueError, match="tidak dikenal"):
        parse_duration(text)


def test_duration_str():
    assert str(Duration(10)) == "10 menit"
    assert str(Duration(90)) == "1 jam 30 menit"
    assert str(Duration(0, 3)) == "3 hari"
    assert str(Duration(240, 1)) == "1 hari 4 jam"
    assert str(Duration()) == "0 menit"


# --------------------------------------------------------------------------- days


@pytest.mark.parametrize(
    "d, working",
    [
        (date(2025, 1, 10), True),  # Friday
        (date(2025, 1, 11), False),  # Saturday
        (date(2025, 1, 12), False),  # Sunday
        (date(2025, 8, 15), True),
        (date(2025, 8, 17), False),  # Hari Kemerdekaan (a Sunday in 2025)
        (date(2025, 8, 18), False),  # cuti bersama Hari Kemerdekaan
        (date(2024, 8, 16), True),
        (date(2023, 8, 17), False),  # Hari Kemerdekaan on a Thursday
        (date(2025, 3, 28), False),  # cuti bersama Nyepi
        (date(2025, 3, 31), False),  # Idul Fitri
        (date(2025, 4, 1), False),  # Idul Fitri hari kedua
        (date(2025, 4, 2), False),  # cuti bersama Idul Fitri
        (date(2025, 4, 3), False),
        (date(2025, 4, 4), False),
        (date(2025, 4, 7), False),
        (date(2025, 4, 8), True),
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),  # cuti bersama Natal
    ],
)
def test_is_working_day(cal, d, working):
    assert cal.is_working_day(d) is working


def test_day_off_reason_in_indonesian(cal):
    assert cal.day_off_reason(date(2025, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
    assert "Cuti Bersama" in cal.day_off_reason(date(2025, 4, 2))
    assert cal.day_off_reason(date(2025, 1, 11)) == "Sabtu"
    assert cal.day_off_reason(date(2025, 1, 10)) is None


def test_extra_days():
    c = WorkCalendar("Asia/Jakarta", extra_off={date(2025, 1, 10)}, extra_on={date(2025, 1, 11)})
    assert not c.is_working_day(date(2025, 1, 10))
    assert c.day_off_reason(date(2025, 1, 10)) == "libur tambahan"
    assert c.is_working_day(date(2025, 1, 11))  # a Saturday made a working day
    assert c.office_hours(date(2025, 1, 11)) == (at(2025, 1, 11, 7, 30), at(2025, 1, 11, 16))


def test_without_national_holidays():
    c = WorkCalendar("Asia/Jakarta", national=False)
    assert c.is_working_day(date(2025, 4, 2))
    assert not c.is_working_day(date(2025, 4, 5))


def test_friday_hours(cal):
    assert DEFAULT_HOURS[4] == (time(7, 30), time(16, 30))
    assert cal.office_hours(date(2025, 1, 10)) == (at(2025, 1, 10, 7, 30), at(2025, 1, 10, 16, 30))
    assert cal.office_hours(date(2025, 1, 9)) == (at(2025, 1, 9, 7, 30), at(2025, 1, 9, 16, 0))
    assert cal.office_hours(date(2025, 1, 11)) is None
    assert cal.is_open(at(2025, 1, 10, 16, 15))
    assert not cal.is_open(at(2025, 1, 9, 16, 15))


def test_invalid_hours():
    with pytest.raises(ValueError, match="jam buka"):
        WorkCalendar("Asia/Jakarta", hours={0: (time(16), time(8))})


def test_naive_datetime_rejected(cal):
    with pytest.raises(ValueError, match="zona waktu"):
        cal.next_open(datetime(2025, 1, 10, 9))


# --------------------------------------------------------------------------- next_open


@pytest.mark.parametrize(
    "dt, expected",
    [
        (at(2025, 1, 10, 9), at(2025, 1, 10, 9)),  # inside hours: itself
        (at(2025, 1, 10, 6), at(2025, 1, 10, 7, 30)),  # before opening
        (at(2025, 1, 9, 16), at(2025, 1, 10, 7, 30)),  # at closing: next day
        (at(2025, 1, 10, 16, 29), at(2025, 1, 10, 16, 29)),  # Friday closes later
        (at(2025, 1, 10, 17), at(2025, 1, 13, 7, 30)),  # Friday evening -> Monday
        (at(2025, 1, 11, 10), at(2025, 1, 13, 7, 30)),  # Saturday -> Monday
        (at(2025, 3, 27, 17), at(2025, 4, 8, 7, 30)),  # Nyepi, Idul Fitri and cuti bersama
        # 02:30 UTC is 09:30 WIB: other zones are converted to the office's zone
        (datetime(2025, 1, 10, 2, 30, tzinfo=UTC), at(2025, 1, 10, 9, 30)),
    ],
)
def test_next_open(cal, dt, expected):
    result = cal.next_open(dt)
    assert result == expected
    assert result.tzinfo == WIB


# --------------------------------------------------------------------------- add


@pytest.mark.parametrize(
    "start, standard, due",
    [
        (at(2025, 1, 9, 9), "10 menit", at(2025, 1, 9, 9, 10)),
        (at(2025, 1, 9, 15, 55), "10 menit", at(2025, 1, 10, 7, 35)),  # over the night
        (at(2025, 1, 10, 16, 25), "10 menit", at(2025, 1, 13, 7, 35)),  # Friday 16.30 close
        (at(2025, 1, 10, 15, 55), "10 menit", at(2025, 1, 10, 16, 5)),  # Friday: still open
        (at(2025, 1, 11, 10), "2 jam", at(2025, 1, 13, 9, 30)),  # start on Saturday
        (at(2025, 1, 13, 5), "1 jam", at(2025, 1, 13, 8, 30)),  # start before opening
        (at(2025, 1, 13, 20), "30 menit", at(2025, 1, 14, 8)),  # start after closing
        (at(2025, 1, 13, 9), "6 jam", at(2025, 1, 13, 15)),
        (at(2025, 1, 13, 14), "6 jam", at(2025, 1, 14, 11, 30)),
        (at(2025, 1, 13, 10), "1 hari", at(2025, 1, 14, 10)),
        (at(2025, 1, 9, 10), "3 hari", at(2025, 1, 14, 10)),  # across a weekend
        (at(2025, 8, 14, 10), "3 hari", at(2025, 8, 20, 10)),  # weekend, 17 Aug, cuti bersama
        (at(2025, 3, 26, 10), "3 hari", at(2025, 4, 9, 10)),  # Nyepi, Idul Fitri, cuti bersama
        (at(2025, 1, 11, 10), "1 hari", at(2025, 1, 14, 7, 30)),  # snapped to Monday opening
        (at(2025, 1, 10, 16, 15), "1 hari", at(2025, 1, 13, 16)),  # past Monday's closing
        (at(2025, 1, 13, 10), "1,5 hari", at(2025, 1, 14, 14)),  # 1 day + 240 minutes
        (at(2025, 1, 13, 10), "0 menit", at(2025, 1, 13, 10)),
    ],
)
def test_add(cal, start, standard, due):
    assert cal.add(start, parse_duration(standard)) == due


@pytest.mark.parametrize(
    "start",
    [
        at(2025, 1, 9, 9),
        at(2025, 1, 9, 15, 55),
        at(
            2025,
            1,
            10,
            16,
            25,
        ),
        at(2025, 3, 27, 14),
        at(2025, 8, 14, 15, 59),
        at(2025, 12, 24, 11, 11),
    ],
)
@pytest.mark.parametrize("minutes", [1, 10, 30, 60, 120, 360, 480, 2000])
def test_working_minutes_symmetric_with_add(cal, start, minutes):
    due = cal.add(start, Duration(minutes=minutes))
    assert cal.working_minutes(start, due) == minutes


def test_working_minutes(cal):
    assert cal.working_minutes(at(2025, 1, 9, 9), at(2025, 1, 9, 8)) == 0
    assert cal.working_minutes(at(2025, 1, 9, 9), at(2025, 1, 9, 9)) == 0
    assert cal.working_minutes(at(2025, 1, 11), at(2025, 1, 12, 23)) == 0  # weekend
    assert cal.working_minutes(at(2025, 1, 13), at(2025, 1, 14)) == 510  # a Monday
    assert cal.working_minutes(at(2025, 1, 10), at(2025, 1, 11)) == 540  # a Friday
    assert cal.working_minutes(at(2025, 1, 13), at(2025, 1, 20)) == 4 * 510 + 540
    assert cal.working_minutes(at(2025, 3, 27, 15), at(2025, 4, 8, 8)) == 90
    # seconds below a whole minute do not count
    start = at(2025, 1, 13, 9)
    assert cal.working_minutes(start, start + timedelta(seconds=119)) == 1


def test_working_minutes_of_days_standard(cal):
    start = at(2025, 1, 13, 10)
    due = cal.add(start, parse_duration("1 hari"))
    assert cal.working_minutes(start, due) == 510  # a real office day
    assert cal.standard_minutes(parse_duration("1 hari")) == 480


def test_standard_minutes(cal):
    assert cal.standard_minutes(parse_duration("10 menit")) == 10
    assert cal.standard_minutes(parse_duration("2 jam")) == 120
    assert cal.standard_minutes(parse_duration("3 hari")) == 1440
    assert cal.standard_minutes(Duration(30, 1)) == 510


@pytest.mark.parametrize(
    "standard, factor, expected",
    [
        ("3 hari", 0.5, Duration(240, 1)),
        ("3 hari", 2, Duration(0, 6)),
        ("1 hari", 0.5, Duration(240, 0)),
        ("10 menit", 2, Duration(20, 0)),
        ("15 menit", 0.5, Duration(8, 0)),
        ("2 jam", 1, Duration(120, 0)),
    ],
)
def test_scale(cal, standard, factor, expected):
    assert cal.scale(parse_duration(standard), factor) == expected


def test_scale_negative(cal):
    with pytest.raises(ValueError):
        cal.scale(Duration(10), -1)


def test_half_standard_due_before_deadline(cal):
    start = at(2025, 7, 7, 8)
    dur = parse_duration("3 hari")
    half = cal.add(start, cal.scale(dur, 0.5))
    full = cal.add(start, dur)
    double = cal.add(start, cal.scale(dur, 2))
    assert start < half < full < double
    assert half == at(2025, 7, 8, 12)
    assert double == at(2025, 7, 15, 8)


# --------------------------------------------------------------------------- extra days file


def test_load_extra_days(tmp_path):
    p = tmp_path / "libur.txt"
    p.write_text(
        "\ufeff# cuti bersama daerah\n"
        "2025-12-24 Cuti bersama Natal (SK Bupati)\n"
        "\n"
        "   2025-12-31\n"
        "+2025-12-27 hari kerja pengganti\n",
        encoding="utf-8",
    )
    off, on = load_extra_days(p)
    assert off == {date(2025, 12, 24), date(2025, 12, 31)}
    assert on == {date(2025, 12, 27)}
    c = WorkCalendar("Asia/Jakarta", extra_off=off, extra_on=on)
    assert not c.is_working_day(date(2025, 12, 24))
    assert c.is_working_day(date(2025, 12, 27))


@pytest.mark.parametrize(
    "content, line",
    [
        ("2025-12-24\n24-12-2025 libur\n", 2),
        ("# x\n2025-13-01\n", 2),
        ("2025-2-1\n", 1),
        ("+2025-12-27\n2025-12-27\n", 2),
    ],
)
def test_load_extra_days_errors(tmp_path, content, line):
    p = tmp_path / "libur.txt"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=f"libur.txt baris {line}:"):
        load_extra_days(p)


def test_load_extra_days_missing(tmp_path):
    with pytest.raises(ValueError, match="tidak dapat dibaca"):
        load_extra_days(tmp_path / "tidak-ada.txt")
