"""The office's clock (SPEC §7).

Production reads the real time. Demo and tests set `PANTAU_NOW` (ISO 8601 with offset: the
office's time at a real instant), `PANTAU_EPOCH` (Unix seconds of that real instant; by default
the instant the office database first saw this PANTAU_NOW, recorded there) and
`PANTAU_TIME_SCALE` (office seconds per real second). So the daemon, its restarts and every CLI
command share one timeline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    def __init__(
        self,
        tz: str,
        base: datetime | None = None,
        epoch: float | None = None,
        scale: float = 1.0,
        real: Callable[[], float] = time.time,
    ):
        self.tz = ZoneInfo(tz)
        self.base, self.epoch, self.scale, self.real = base, epoch, scale, real

    def now(self) -> datetime:
        if self.base is None:
            return datetime.now(self.tz)
        elapsed = (self.real() - (self.epoch or 0.0)) * self.scale
        return (self.base + timedelta(seconds=elapsed)).astimezone(self.tz)

    def real_seconds(self, office_seconds: float) -> float:
        """How long to sleep in real time for `office_seconds` to pass on this clock."""
        return office_seconds / self.scale if self.scale > 0 else office_seconds

    @classmethod
    def from_env(cls, tz: str, remember_epoch: Callable[[str, str], str] | None = None) -> Clock:
        """`remember_epoch(key, value)` stores value under key unless one is stored, and returns
        the stored one (Store.meta_once): that is how PANTAU_EPOCH defaults to the first sight."""
        now_text = os.environ.get("PANTAU_NOW", "").strip()
        if not now_text:
            return cls(tz)
        base = datetime.fromisoformat(now_text)
        if base.tzinfo is None:
            raise ValueError(
                "PANTAU_NOW harus memuat zona waktu, misalnya 2025-10-06T08:00:00+07:00"
            )
        scale = float(os.environ.get("PANTAU_TIME_SCALE", "1") or 1)
        epoch_text = os.environ.get("PANTAU_EPOCH", "").strip()
        if epoch_text:
            epoch = float(epoch_text)
        elif remember_epoch is not None:
            epoch = float(remember_epoch(f"epoch:{now_text}", repr(time.time())))
        else:
            epoch = time.time()
        return cls(tz, base, epoch, scale)


class ManualClock(Clock):
    """A clock the caller moves by hand (the demo's accelerated timeline, and tests)."""

    def __init__(self, start: datetime):
        super().__init__(
            str(start.tzinfo) if isinstance(start.tzinfo, ZoneInfo) else "Asia/Jakarta"
        )
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        if when > self.current:
            self.current = when

    def advance(self, **kw: float) -> None:
        self.current = self.current + timedelta(**kw)
