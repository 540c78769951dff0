"""The scheduled start of a cycle (SPEC §2, `[jadwal]`).

`jadwal.cron` names the start time of each period's cycle; a cron time that falls on a day off or
outside office hours is moved to the next office opening (a fire on Sunday 5 October 08:00 starts
the cycle on Monday 6 October at the office's opening). The cycle monitors the last complete
period before the cron time (the fire of 5 October starts PK-2025-TW3).

A daemon that was not running at that instant (stopped, or started for the first time) starts the
period's cycle when it comes up, if that cycle does not exist yet and the moved start time passed
less than `jadwal.batas_terlambat` (working time, default "5 hari") ago, and says it started late;
past that it tells the operator and waits for `pantau cycle start`: an office that installs Pantau
mid-quarter gets no surprise letters.

Everything here is pure (a cron trigger, a work calendar and instants in), so the decision can be
tested without a daemon; daemon/shell/runners/scheduler.py acts on it and wakes at `next_start`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from daemon.core.model import Period
from daemon.core.worktime import Duration, WorkCalendar

# Look-back windows for the latest fire: small first, so a frequent cron stays cheap; a year at
# most, so a quarterly one is always found.
_WINDOWS = (timedelta(days=2), timedelta(days=40), timedelta(days=400))


@dataclass(frozen=True)
class ScheduledStart:
    fire: datetime  # the cron time
    start: datetime  # moved to the office's next opening (== fire when the office is open then)
    period: Period

    @property
    def moved(self) -> bool:
        return self.start != self.fire


@dataclass(frozen=True)
class Decision:
    """What to do now: "none", "start" (on time), "late" (start, and say it is late) or "notify"
    (too late: tell the operator, start nothing)."""

    action: str
    due: ScheduledStart | None = None
    limit: datetime | None = None  # the last instant a late start is still allowed


def moved_start(cal: WorkCalendar, fire: datetime) -> datetime:
    """The cron time, or the next office opening when the office is closed then."""
    return cal.next_open(fire)


def _fires(cron: CronTrigger, since: datetime, until: datetime) -> list[datetime]:
    out: list[datetime] = []
    prev = None
    t = cron.get_next_fire_time(None, since)
    while t is not None and t <= until:
        out.append(t)
        prev = t
        t = cron.get_next_fire_time(prev, t + timedelta(seconds=1))
    return out


def last_start(
    cron: CronTrigger, cal: WorkCalendar, periode: str, now: datetime
) -> ScheduledStart | None:
    """The latest scheduled start (after moving) at or before `now`, or None within a year."""
    for window in _WINDOWS:
        best = None
        for fire in _fires(cron, now - window, now):
            start = moved_start(cal, fire)
            if start <= now:
                best = (fire, start)
        if best:
            fire, start = best
            return ScheduledStart(fire, start, Period.containing(periode, fire.date()))
    return None


def next_start(cron: CronTrigger, cal: WorkCalendar, now: datetime) -> datetime | None:
    """The next scheduled start strictly after `now` (a fire already past whose moved start is
    still ahead counts: a Sunday fire seen on Sunday evening starts on Monday morning)."""
    candidates: list[datetime] = []
    for window in _WINDOWS[:2]:  # moved starts follow the fires' order: stop at one already due
        fires = _fires(cron, now - window, now)
        candidates = [s for s in (moved_start(cal, f) for f in fires) if s > now]
        if fires and moved_start(cal, fires[0]) <= now:
            break
    nxt = cron.get_next_fire_time(None, now + timedelta(microseconds=1))
    if nxt is not None:
        candidates.append(moved_start(cal, nxt))
    later = [c for c in candidates if c > now]
    return min(later) if later else None


def decide(cron: CronTrigger, cal: WorkCalendar, periode: str, now: datetime, batas: Duration,
           exists: Callable[[str], bool], running_since: datetime) -> Decision:
    """What the daemon does about the schedule at `now`. `exists(cycle_code)` tells whether the
    period's cycle is there already; `running_since` is when this daemon came up (a daemon that
    was up at the start instant starts on time, one that came up later starts late)."""
    due = last_start(cron, cal, periode, now)
    if due is None or exists(due.period.cycle_code):
        return Decision("none", due)
    limit = cal.add(due.start, batas)
    if now >= limit:
        return Decision("notify", due, limit)
    return Decision("late" if running_since > due.start else "start", due, limit)


def operator_addresses(cfg) -> list[str]:
    """Who is told about what Pantau cannot do by itself: `[operator] email` when the config has
    it, else the Kasubag."""
    op = getattr(cfg, "operator_email", None)
    if op is None:
        raw = (getattr(cfg, "raw", None) or {}).get("operator") or {}
        op = raw.get("email") if isinstance(raw, dict) else None
    if isinstance(op, str):
        op = [op]
    addrs = [a for a in (op or []) if isinstance(a, str) and a.strip()]
    return addrs or [cfg.kasubag.email]
