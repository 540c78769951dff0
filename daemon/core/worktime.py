"""Office working time: when a step's standard ("10 menit", "3 hari") falls due.

The SOP counts its standards in office working time: Monday to Friday office hours in the
office's time zone, minus Indonesian national public holidays and cuti bersama (from the
`holidays` package, categories "public" and "government"), adjusted by a local file of extra days
off or extra working days (cuti bersama change by decree).

"hari" standards count whole working days (the due time is the same office time N working days
later); "jam" and "menit" standards count working minutes consumed only inside office hours.
All datetimes are timezone-aware; results are in the calendar's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from daemon.core.formatting import format_duration

STANDARD_DAY_MINUTES = 480  # one working day, for comparing actual against standard
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(16, 30)),
}
HOLIDAY_CATEGORIES = ("public", "government")  # government = cuti bersama in holidays >= 0.5x
_SEARCH_DAYS = 800  # how far next_open looks before giving up (a closed calendar)


@dataclass(frozen=True)
class Duration:
    """A standard: whole working `days` plus working `minutes`."""

    minutes: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        if self.days:
            parts.append(f"{self.days} hari")
        if self.minutes or not parts:
            parts.append(format_duration(self.minutes, menit_per_hari=None))
        return " ".join(parts)

    @property
    def zero(self) -> bool:
        return self.minutes == 0 and self.days == 0


_UNIT_MINUTES = {"menit": 1, "mnt": 1, "jam": 60}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(menit|mnt|jam|hari(?:\s+kerja)?)\b", re.IGNORECASE)


def parse_duration(text: str) -> Duration:
    """Read an SOP standard: '10 menit', '2 jam', '3 hari', '1 hari kerja', '1 Hari', '30 Menit',
    '1,5 jam', '1 jam 30 menit'. A fractional day becomes whole days plus working minutes
    (of STANDARD_DAY_MINUTES). Raises ValueError with an Indonesian message."""
    s = " ".join(str(text).split()).strip()
    pos, minutes, days, found = 0, 0.0, 0.0, False
    for m in _PART.finditer(s):
        if s[pos : m.start()].strip():
            break
        value = float(m.group(1).replace(",", "."))
        unit = m.group(2).lower()
        if unit.startswith("hari"):
            days += value
        else:
            minutes += value * _UNIT_MINUTES[unit]
        pos, found = m.end(), True
    if not found or s[pos:].strip():
        raise ValueError(
            f"lama waktu \u201c{text}\u201d tidak dikenal: tulis angka dan satuan menit, jam "
            "atau hari, misalnya \u201c10 menit\u201d, \u201c2 jam\u201d, \u201c3 hari\u201d "
            "atau \u201c1,5 jam\u201d"
        )
    whole_days = int(days)
    minutes += (days - whole_days) * STANDARD_DAY_MINUTES
    return Duration(minutes=int(round(minutes)), days=whole_days)


class WorkCalendar:
    """Office hours, national holidays and cuti bersama, and local extra days.

    hours: weekday (0 = Monday) -> (open, close); a missing weekday is closed. An `extra_on` day
    that falls on a closed weekday uses the hours of the first open weekday. `national=False`
    ignores the national holidays (tests, demos)."""

    def __init__(
        self,
        tz: str,
        hours: dict[int, tuple[time, time]] | None = None,
        extra_off: Iterable[date] = (),
        extra_on: Iterable[date] = (),
        national: bool = True,
        day_minutes: int = STANDARD_DAY_MINUTES,
    ):
        self.zone = ZoneInfo(tz)
        self.hours = dict(DEFAULT_HOURS if hours is None else hours)
        for wd, (start, end) in self.hours.items():
            if not 0 <= wd <= 6 or not start < end:
                raise ValueError(
                    f"jam kerja hari ke-{wd} tidak valid: jam buka harus sebelum jam tutup"
                )
        self.extra_off = set(extra_off)
        self.extra_on = set(extra_on)
        self.day_minutes = day_minutes
        self._national = (
            holidays.country_holidays("ID", categories=HOLIDAY_CATEGORIES, language="id")
            if national
            else None
        )

    # ----------------------------------------------------------------- days

    def day_off_reason(self, d: date) -> str | None:
        """Why `d` is not a working day ('Sabtu', 'Hari Kemerdekaan Republik Indonesia',
        'libur tambahan'), or None when it is one."""
        if d in self.extra_on:
            return None if self._hours_of(d) else "hari tanpa jam kerja"
        if d in self.extra_off:
            return "libur tambahan"
        if self._national is not None and d in self._national:
            return self._national.get(d)
        if d.weekday() not in self.hours:
            return ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")[d.weekday()]
        return None

    def is_working_day(self, d: date) -> bool:
        return self.day_off_reason(d) is None

    def _hours_of(self, d: date) -> tuple[time, time] | None:
        if d.weekday() in self.hours:
            return self.hours[d.weekday()]
        if d in self.extra_on and self.hours:
            return self.hours[min(self.hours)]
        return None

    def office_hours(self, d: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of `d` as aware datetimes, or None on a day off."""
        if not self.is_working_day(d):
            return None
        start, end = self._hours_of(d)  # type: ignore[misc]
        return (
            datetime.combine(d, start, tzinfo=self.zone),
            datetime.combine(d, end, tzinfo=self.zone),
        )

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        for i in range(1, _SEARCH_DAYS):
            nd = d + timedelta(days=i)
            if self.is_working_day(nd):
                return nd
        raise ValueError("kalender kerja tidak memiliki hari kerja: periksa jam kerja kantor")

    # ----------------------------------------------------------------- instants

    def local(self, dt: datetime) -> datetime:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("waktu harus menyertakan zona waktu")
        return dt.astimezone(self.zone)

    def is_open(self, dt: datetime) -> bool:
        dt = self.local(dt)
        hrs = self.office_hours(dt.date())
        return hrs is not None and hrs[0] <= dt < hrs[1]

    def next_open(self, dt: datetime) -> datetime:
        """`dt` itself if the office is open then, else the next opening."""
        dt = self.local(dt)
        hrs = self.office_hours(dt.date())
        if hrs is not None:
            if dt < hrs[0]:
                return hrs[0]
            if dt < hrs[1]:
                return dt
        return self.office_hours(self.next_working_day(dt.date()))[0]  # type: ignore[index]

    def add(self, start: datetime, dur: Duration) -> datetime:
        """The due time of a step started at `start` with standard `dur`."""
        cur = self.local(start)
        if dur.zero:
            return cur
        if dur.days:
            cur = self.next_open(cur)
            d = cur.date()
            for _ in range(dur.days):
                d = self.next_working_day(d)
            open_, close = self.office_hours(d)  # type: ignore[misc]
            cur = datetime.combine(d, cur.timetz(), tzinfo=self.zone)
            cur = min(max(cur, open_), close)
        remaining = timedelta(minutes=dur.minutes)
        while remaining > timedelta(0):
            cur = self.next_open(cur)
            close = self.office_hours(cur.date())[1]  # type: ignore[index]
            available = _elapsed(cur, close)
            if remaining <= available:
                return _shift(cur, remaining, self.zone)
            remaining -= available
            cur = close
        return cur

    def working_minutes(self, start: datetime, end: datetime) -> int:
        """Whole office minutes between two instants (0 if end <= start)."""
        start, end = self.local(start), self.local(end)
        if end <= start:
            return 0
        total = timedelta(0)
        d = start.date()
        while d <= end.date():
            hrs = self.office_hours(d)
            if hrs is not None:
                lo, hi = max(hrs[0], start), min(hrs[1], end)
                if hi > lo:
                    total += _elapsed(lo, hi)
            d += timedelta(days=1)
        return int(total.total_seconds() // 60)

    # ----------------------------------------------------------------- standards

    def standard_minutes(self, dur: Duration) -> int:
        """The standard in minutes (days x a standard day of 480 minutes), to set beside an
        actual `working_minutes`."""
        return dur.days * self.day_minutes + dur.minutes

    def scale(self, dur: Duration, factor: float) -> Duration:
        """`factor` times a standard (0.5: half, for reminders; 2: twice, for escalation).
        Whole days stay days; a fraction of a day becomes working minutes."""
        if factor < 0:
            raise ValueError("faktor pengali lama waktu tidak boleh negatif")
        days = dur.days * factor
        whole = int(days)
        minutes = dur.minutes * factor + (days - whole) * self.day_minutes
        return Duration(minutes=int(round(minutes)), days=whole)


def _elapsed(a: datetime, b: datetime) -> timedelta:
    """Real time between two aware datetimes (correct across DST changes too)."""
    return b.astimezone(UTC) - a.astimezone(UTC)


def _shift(dt: datetime, delta: timedelta, zone: ZoneInfo) -> datetime:
    return (dt.astimezone(UTC) + delta).astimezone(zone)


_EXTRA_LINE = re.compile(r"^(\+)?\s*(\S+)(?:\s+(.*))?$")


def load_extra_days(path: str | Path) -> tuple[set[date], set[date]]:
    """Read a local file of extra days off and extra working days.

    One entry a line: 'YYYY-MM-DD [keterangan]' is a day off (e.g. cuti bersama by a regent's
    decree), '+YYYY-MM-DD [keterangan]' an extra working day; '#' starts a comment line.
    Returns (days off, working days). Raises ValueError naming the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ValueError(f"berkas hari libur tambahan {p} tidak dapat dibaca: {e.strerror}") from e
    off: set[date] = set()
    on: set[date] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _EXTRA_LINE.match(line)
        assert m is not None  # any non-empty line matches
        try:
            d = date.fromisoformat(m.group(2))
            if len(m.group(2)) != 10:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{p.name} baris {n}: tanggal \u201c{m.group(2)}\u201d tidak valid: tulis "
                "YYYY-MM-DD, misalnya 2025-12-24 (libur) atau +2025-12-27 (hari kerja tambahan)"
            ) from None
        target, other = (on, off) if m.group(1) else (off, on)
        if d in other:
            raise ValueError(
                f"{p.name} baris {n}: tanggal {d.isoformat()} sudah tercatat sebagai "
                + ("hari libur" if m.group(1) else "hari kerja tambahan")
            )
        target.add(d)
    return off, on
