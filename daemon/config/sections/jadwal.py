"""`[jadwal]`: the period, the cron schedule of the cycle and how late a form may come."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from daemon.config.reader import Reader
from daemon.core.worktime import parse_duration


def read_jadwal(r: Reader, tz: str) -> dict[str, Any]:
    """[jadwal]: the period, the cron schedule and how late a form may come."""
    periode = r.choice("jadwal.periode", ("triwulan", "semester", "tahunan"), "triwulan")
    cron = r.get("jadwal.cron", str, "0 8 5 1,4,7,10 *")
    try:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(cron or "", timezone=ZoneInfo(tz))
    except (ValueError, TypeError) as e:
        r.problems.append(
            f"jadwal.cron: {cron!r} bukan jadwal cron yang sah ({e}); "
            'diharapkan lima bagian, misalnya "0 8 5 1,4,7,10 *"'
        )

    batas_terlambat = r.get("jadwal.batas_terlambat", str, "5 hari") or "5 hari"
    try:
        parse_duration(batas_terlambat)
    except ValueError as e:
        r.problems.append(f"jadwal.batas_terlambat: {e}")
        batas_terlambat = "5 hari"

    return {"jadwal_periode": periode, "jadwal_cron": cron or "0 8 5 1,4,7,10 *",
            "jadwal_batas_terlambat": batas_terlambat}
